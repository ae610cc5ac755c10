// The upstream proxy configuration (core/net/upstreamProxy.ts): which variables win, what is
// refused, NO_PROXY, the hop rule, and that no description or error ever carries a credential.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeHop, describeProxy, hopFor, parseNoProxy, parseProxyUrl, upstreamProxyConfig, UpstreamProxyUrlError } from '../../../core/net/upstreamProxy';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli, tempFile } from '../../helpers/cli';

const CANARY = 'pw-CANARY-9a8b';

describe('upstream proxy configuration', () => {
  test('HTTPS_PROXY, then HTTP_PROXY, then ALL_PROXY for CONNECT; HTTP_PROXY then ALL_PROXY for plain; upper case first', () => {
    const cfg = upstreamProxyConfig({ https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2', ALL_PROXY: 'http://all:3' });
    assert.equal(cfg.secure?.host, 'upper');
    assert.equal(cfg.secure?.source, 'HTTPS_PROXY');
    assert.equal(cfg.plain?.host, 'all');
    const onlyHttp = upstreamProxyConfig({ http_proxy: 'proxy.corp:8080' });
    assert.deepEqual([onlyHttp.secure?.host, onlyHttp.secure?.port, onlyHttp.secure?.protocol], ['proxy.corp', 8080, 'http:']);
    assert.equal(upstreamProxyConfig({ HTTPS_PROXY: '  ', https_proxy: 'http://b:1' }).secure?.host, 'b', 'blank values are skipped');
    assert.deepEqual([upstreamProxyConfig({}).secure, upstreamProxyConfig({}).plain], [null, null]);
  });

  test('--upstream-proxy wins over the environment', () => {
    const cfg = upstreamProxyConfig({ HTTPS_PROXY: 'http://env:1' }, 'http://flag:2');
    assert.equal(cfg.secure?.host, 'flag');
    assert.equal(cfg.plain?.host, 'flag');
  });

  test('SOCKS and invalid variables are ignored with a warning that never shows the value; the flag is an error', () => {
    const cfg = upstreamProxyConfig({ HTTPS_PROXY: `socks5://u:${CANARY}@h:1`, HTTP_PROXY: `http://u:${CANARY}@[bad` });
    assert.equal(cfg.secure, null);
    assert.equal(cfg.warnings.length, 2);
    assert.ok(!cfg.warnings.join(' ').includes(CANARY));
    assert.match(cfg.warnings[0]!, /HTTPS_PROXY: socks5 proxies are not supported/);
    assert.throws(() => upstreamProxyConfig({}, `ftp://u:${CANARY}@h`), (e: Error) => e instanceof UpstreamProxyUrlError && !e.message.includes(CANARY));
  });

  test('values a codex-netpolicy proxy wrote for its terminals are never chained to (self-loop)', () => {
    const cfg = upstreamProxyConfig({ HTTPS_PROXY: 'http://x:y@127.0.0.1:4000', CODEX_NETPOLICY_PROXY: '1' });
    assert.equal(cfg.secure, null);
    assert.match(cfg.warnings[0]!, /self-loop/);
    assert.equal(upstreamProxyConfig({ CODEX_NETPOLICY_PROXY: '1' }, 'http://corp:1').secure?.host, 'corp', 'an explicit flag still chains');
  });

  test('credentials become Proxy-Authorization (percent-decoded) and never appear in descriptions', () => {
    const p = parseProxyUrl(`http://al%40ice:${CANARY}%3A@proxy.corp:3128`, 'HTTPS_PROXY');
    assert.equal(p.authorization, `Basic ${Buffer.from(`al@ice:${CANARY}:`).toString('base64')}`);
    assert.equal(describeProxy(p), 'http://proxy.corp:3128 with credentials');
    assert.equal(describeHop({ kind: 'proxy', proxy: p }), 'via upstream proxy http://proxy.corp:3128 with credentials (from HTTPS_PROXY)');
    assert.equal(parseProxyUrl('https://[::1]', 'x').port, 443);
    assert.equal(describeProxy(parseProxyUrl('http://[fd00::1]:8080', 'x')), 'http://[fd00::1]:8080');
  });
});

describe('NO_PROXY and the hop rule', () => {
  test('NO_PROXY: domains with subdomains, leading dots and *., ports, IPs and CIDR ranges, *', () => {
    const n = parseNoProxy('example.com, .corp.test *.wild.test,host.test:8443,10.1.2.3,192.168.0.0/16,[::1]:99,fd00::/8');
    for (const [h, port] of [['example.com', 443], ['a.example.com', 80], ['corp.test', 1], ['x.corp.test', 1], ['wild.test', 1], ['a.wild.test', 1], ['host.test', 8443], ['10.1.2.3', 80], ['192.168.4.5', 1], ['::1', 99], ['fd00::5', 1], ['EXAMPLE.COM.', 443]] as const) {
      assert.ok(n.matches(h, port), `${h}:${port} should match`);
    }
    for (const [h, port] of [['notexample.com', 443], ['host.test', 443], ['10.1.2.4', 80], ['192.169.0.1', 1], ['::1', 98], ['com', 1]] as const) {
      assert.ok(!n.matches(h, port), `${h}:${port} should not match`);
    }
    assert.ok(parseNoProxy('*').matches('anything', 1));
    assert.ok(!parseNoProxy('').matches('anything', 1));
  });

  test('direct when none is configured, the policy disallows it, the target is local, or NO_PROXY matches', () => {
    const cfg = upstreamProxyConfig({ HTTPS_PROXY: 'http://corp:1', NO_PROXY: 'intranet.test' });
    assert.equal(hopFor(cfg, true, 'api.example.com', 443, true).kind, 'proxy');
    assert.deepEqual(hopFor(cfg, false, 'api.example.com', 443, true), { kind: 'direct', why: 'disabled-by-policy' });
    for (const local of ['localhost', 'LOCALHOST.', '127.0.0.1', '10.0.0.5', '::1', '169.254.1.1']) assert.deepEqual(hopFor(cfg, true, local, 443, true), { kind: 'direct', why: 'local-target' }, local);
    assert.equal(hopFor(cfg, true, '8.8.8.8', 443, true).kind, 'proxy', 'a public IP literal goes through the proxy');
    assert.deepEqual(hopFor(cfg, true, 'a.intranet.test', 443, true), { kind: 'direct', why: 'no_proxy' });
    assert.deepEqual(hopFor(cfg, true, 'api.example.com', 80, false), { kind: 'direct', why: 'no-proxy-configured' }, 'plain HTTP does not use HTTPS_PROXY');
  });
});

describe('explain shows the hop', () => {
  const config = ['default_permissions = "w"', '[permissions.w.network]', 'enabled = true', '[permissions.w.network.domains]', '"example.com" = "allow"', '"intranet.test" = "allow"'].join('\n');
  test('via the proxy (credentials redacted), direct by NO_PROXY, none when denied', () => {
    const file = tempFile('config.toml', config);
    try {
      const env = { HTTPS_PROXY: `http://bob:${CANARY}@proxy.corp:3128`, NO_PROXY: '.intranet.test' };
      const via = runCli(['explain', '--json', '--config', file, 'GET', 'https://example.com/x'], env);
      assert.equal(via.code, 0, via.stderr);
      assert.deepEqual(JSON.parse(via.stdout).hop, { route: 'upstream-proxy', proxy: 'http://proxy.corp:3128 with credentials', description: 'via upstream proxy http://proxy.corp:3128 with credentials (from HTTPS_PROXY)' });
      const direct = runCli(['explain', '--config', file, 'GET', 'https://intranet.test/'], env);
      assert.match(direct.stdout, /hop: +direct \(NO_PROXY matches\)/);
      const denied = runCli(['explain', '--json', '--config', file, 'GET', 'https://evil.test/'], env);
      assert.equal(JSON.parse(denied.stdout).hop, null);
      for (const r of [via, direct, denied]) assert.ok(!(r.stdout + r.stderr).includes(CANARY));
    } finally {
      rmSync(dirname(file), { recursive: true, force: true });
    }
  });
});

describe('self-loop at start', () => {
  test('an upstream proxy that is the proxy\'s own --listen address is refused before listening', () => {
    const file = tempFile('config.toml', 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\n');
    try {
      const r = runCli(['proxy', '--config', file, '--listen', '127.0.0.1:39187', '--ca-dir', join(dirname(file), 'ca'), '--upstream-proxy', 'http://u:CANARY-x@localhost:39187']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /upstream proxy http:\/\/localhost:39187 with credentials \(from --upstream-proxy\) is this proxy's own listener 127\.0\.0\.1:39187/);
      assert.ok(!r.stderr.includes('CANARY-x'));
    } finally {
      rmSync(dirname(file), { recursive: true, force: true });
    }
  });
});
