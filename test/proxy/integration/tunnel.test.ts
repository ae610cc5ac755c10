// Full mode without hooks, driven by curl: raw CONNECT tunnels, plain HTTP forwarding, allowlist and
// denylist blocks, local-address protection, invalid policy at start, SIGTERM.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { curl, header, lastBlock } from './clients';
import { decisionFor, disposeProxy, fixture, runProxyToExit, startProxy, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

/** 1-based line of the first line containing `needle` (rule lines are checked against the fixture). */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `fixture has no line with ${needle}`);
  return i + 1;
}

describe('full mode: raw tunnels, plain HTTP and host blocks (curl)', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  const config = fixture('full.toml');
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config, upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('listening line announces a loopback proxy URL and the CA', () => {
    assert.match(proxy.listening.http, /^127\.0\.0\.1:\d+$/);
    assert.equal(new URL(proxy.proxyUrl).host, proxy.listening.http);
    assert.match(proxy.listening.caCert, /^\/.*\.pem$/);
  });

  test('allowed HTTPS host is a raw tunnel: the client sees the upstream certificate', async () => {
    const since = proxy.mark();
    const n = up.https.received.length;
    const url = `https://api.github.test:${up.https.port}/raw/tunnel?x=1`;
    const r = await curl(url, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.connectStatus, 200);
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body) as { method: string; url: string; host: string };
    assert.equal(echo.method, 'GET');
    assert.equal(echo.url, '/raw/tunnel?x=1');
    assert.equal(up.https.received.length, n + 1);

    const d = await decisionFor(proxy, 'api.github.test', since);
    assert.equal(d.decision, 'allow');
    assert.equal(d.port, up.https.port);
    assert.equal(d.mitm, false);
    assert.equal(d.method, 'CONNECT');
    assert.deepEqual(d.rule && { line: (d.rule as { line: number }).line }, { line: lineOf(config, '"api.github.test"') });
    assert.ok(String((d.rule as { file: string }).file).endsWith('config.toml'));

    // Trusting only the proxy's CA fails: the proxy did not terminate TLS.
    const viaProxyCa = await curl(url, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(viaProxyCa.connectStatus, 200);
    assert.equal(viaProxyCa.code, 60, `expected a certificate error, got ${viaProxyCa.code}: ${viaProxyCa.stderr}`);
  });

  test('denylisted host: CONNECT 403 text/plain, blocked-by-denylist, event names the deny rule', async () => {
    const since = proxy.mark();
    const n = up.https.received.length;
    const r = await curl(`https://deep.tracker.test:${up.https.port}/`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.notEqual(r.code, 0);
    assert.equal(r.connectStatus, 403);
    const block = r.blocks[0];
    assert.equal(header(block, 'x-proxy-error'), 'blocked-by-denylist');
    assert.match(header(block, 'content-type') ?? '', /^text\/plain/);
    assert.equal(up.https.received.length, n, 'upstream must not be reached');

    const d = await decisionFor(proxy, 'deep.tracker.test', since);
    assert.equal(d.decision, 'deny');
    assert.equal(d.reason, 'denied');
    assert.equal(d.proxyError, 'blocked-by-denylist');
    assert.equal(d.status, 403);
    assert.equal((d.rule as { line: number } | null)?.line, lineOf(config, '"**.tracker.test"'));
  });

  test('host missing from the allowlist: CONNECT 403 blocked-by-allowlist, no rule', async () => {
    const since = proxy.mark();
    const r = await curl(`https://other.test:${up.https.port}/`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(r.connectStatus, 403);
    assert.equal(header(r.blocks[0], 'x-proxy-error'), 'blocked-by-allowlist');
    const d = await decisionFor(proxy, 'other.test', since);
    assert.equal(d.decision, 'deny');
    assert.equal(d.reason, 'not_allowed');
    assert.equal(d.rule, null);
  });

  test('plain HTTP is forwarded; the event carries the path without the query; no Proxy-Authorization upstream', async () => {
    const since = proxy.mark();
    const r = await curl(`http://plain.test:${up.http.port}/plain/path?token=do-not-log-me`, { proxy: proxy.proxyUrl, method: 'POST', data: 'hello' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body) as { method: string; url: string; host: string; headers: Record<string, string>; body: string };
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/plain/path?token=do-not-log-me');
    assert.equal(echo.host, `plain.test:${up.http.port}`);
    assert.equal(echo.body, 'hello');
    assert.equal(echo.headers['proxy-authorization'], undefined);
    assert.equal(echo.headers['proxy-connection'], undefined);

    const d = await decisionFor(proxy, 'plain.test', since);
    assert.equal(d.decision, 'allow');
    assert.equal(d.method, 'POST');
    assert.equal(d.path, '/plain/path');
    assert.ok(!proxy.stdout().includes('do-not-log-me'), 'query strings are never logged');
  });

  test('plain HTTP to a blocked host: 403 JSON body with status "blocked" and x-proxy-error', async () => {
    const n = up.http.received.length;
    const r = await curl(`http://other.test:${up.http.port}/x`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 403);
    const b = lastBlock(r);
    assert.equal(header(b, 'x-proxy-error'), 'blocked-by-allowlist');
    assert.match(header(b, 'content-type') ?? '', /^application\/json/);
    const body = JSON.parse(r.body) as { status: string; reason: string; host: string };
    assert.equal(body.status, 'blocked');
    assert.equal(body.reason, 'not_allowed');
    assert.equal(body.host, 'other.test');
    assert.equal(up.http.received.length, n);
  });

  test('absolute-form request whose Host header names another host: 400, not forwarded', async () => {
    const n = up.http.received.length;
    const r = await curl(`http://plain.test:${up.http.port}/`, { proxy: proxy.proxyUrl, headers: [`Host: other.test:${up.http.port}`] });
    assert.equal(r.status, 400);
    assert.equal(up.http.received.length, n);
  });

  test('SIGTERM: the proxy exits cleanly', async () => {
    const r = await proxy.stop();
    assert.equal(r.signal, null, `killed by ${r.signal}`);
    assert.equal(r.code, 0);
  });
});

describe('local/private address protection (allow_local_binding = false)', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('local-block.toml'), upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('allowlisted name resolving to 127.0.0.1: CONNECT 403 blocked-by-allowlist, reason not_allowed_local', async () => {
    const since = proxy.mark();
    const r = await curl(`https://api.github.test:${up.https.port}/`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(r.connectStatus, 403);
    assert.equal(header(r.blocks[0], 'x-proxy-error'), 'blocked-by-allowlist');
    assert.equal(up.https.received.length, 0);
    const d = await decisionFor(proxy, 'api.github.test', since);
    assert.equal(d.decision, 'deny');
    assert.equal(d.reason, 'not_allowed_local');
  });

  test('plain HTTP to a name resolving to loopback: JSON 403 not_allowed_local', async () => {
    const r = await curl(`http://plain.test:${up.http.port}/`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 403);
    assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-allowlist');
    assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'not_allowed_local');
    assert.equal(up.http.received.length, 0);
  });

  test('a loopback IP literal is blocked too', async () => {
    const r = await curl(`http://127.0.0.1:${up.http.port}/`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 403);
    assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'not_allowed_local');
    assert.equal(up.http.received.length, 0);
  });
});

describe('invalid policy at start', () => {
  test('exit code 2 with file:line:col: message on stderr, no listening line', async () => {
    const config = 'default_permissions = "it"\n[permissions.it.network]\nmode = "full\n';
    const r = await runProxyToExit({ config });
    try {
      assert.equal(r.code, 2, `stderr: ${r.stderr}`);
      assert.match(r.stderr, /config\.toml:3:\d+: \S/);
      assert.ok(!r.stdout.includes('"listening"'));
    } finally {
      r.dir.cleanup();
    }
  });

  test('a schema error (unknown mode) also refuses to start, pointing at the value', async () => {
    const config = 'default_permissions = "it"\n[permissions.it.network]\nenabled = true\nmode = "partial"\n';
    const r = await runProxyToExit({ config });
    try {
      assert.equal(r.code, 2, `stderr: ${r.stderr}`);
      assert.match(r.stderr, /config\.toml:4:\d+: \S/);
    } finally {
      r.dir.cleanup();
    }
  });
});
