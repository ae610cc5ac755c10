import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect, http, inner, policyOf } from '../helpers/policy';
import { decide } from '../../core/policy/decide';

const BASE = `
default_permissions = "work"
[permissions.work.network]
enabled = true
[permissions.work.network.domains]
"example.com" = "allow"
"**.github.com" = "allow"
"*.npmjs.org" = "allow"
"evil.github.com" = "deny"
"region*.v2.argotunnel.com" = "allow"
`;

describe('domain policy', () => {
  const p = policyOf(BASE);
  test('exact host allowed, with rule line', () => {
    const d = connect(p, 'example.com:443');
    assert.equal(d.decision, 'allow');
    assert.equal(d.status, 200);
    assert.equal(d.mitm, false);
    assert.deepEqual(d.rule && { file: d.rule.file, line: d.rule.line }, { file: '/t/config.toml', line: 6 });
  });
  test('exact does not cover subdomains', () => {
    const d = connect(p, 'www.example.com:443');
    assert.equal(d.decision, 'deny');
    assert.equal(d.reason, 'not_allowed');
    assert.equal(d.proxyError, 'blocked-by-allowlist');
    assert.equal(d.status, 403);
    assert.equal(d.rule, null);
  });
  test('**. covers apex and subdomains; *. only subdomains', () => {
    assert.equal(connect(p, 'github.com:443').decision, 'allow');
    assert.equal(connect(p, 'api.github.com:443').decision, 'allow');
    assert.equal(connect(p, 'npmjs.org:443').reason, 'not_allowed');
    assert.equal(connect(p, 'registry.npmjs.org:443').decision, 'allow');
    assert.equal(connect(p, 'a.b.registry.npmjs.org:443').decision, 'allow');
    assert.equal(connect(p, 'evilnpmjs.org:443').reason, 'not_allowed');
  });
  test('deny wins over a wildcard allow, and points at the deny rule', () => {
    const d = connect(p, 'EVIL.github.com.:443');
    assert.equal(d.reason, 'denied');
    assert.equal(d.proxyError, 'blocked-by-denylist');
    assert.equal(d.rule?.line, 9);
  });
  test('mid-label glob is anchored', () => {
    assert.equal(connect(p, 'region1.v2.argotunnel.com:443').decision, 'allow');
    assert.equal(connect(p, 'regionx.y.v2.argotunnel.com:443').decision, 'allow');
    assert.equal(connect(p, 'foo.region1.v2.argotunnel.com:443').reason, 'not_allowed');
  });
  test('empty allowlist blocks everything', () => {
    const q = policyOf('default_permissions = "w"\n[permissions.w.network]\nenabled = true\n');
    assert.equal(connect(q, 'example.com:443').reason, 'not_allowed');
  });
  test('global * allows every public host but not local ones', () => {
    const q = policyOf('default_permissions = "w"\n[permissions.w.network]\nenabled = true\ndomains = { "*" = "allow", "bad.example" = "deny" }\n');
    assert.equal(connect(q, 'anything.test:443').decision, 'allow');
    assert.equal(connect(q, 'bad.example:443').reason, 'denied');
    assert.equal(connect(q, 'localhost:443').reason, 'not_allowed_local');
    assert.equal(connect(q, '127.0.0.1:443').reason, 'not_allowed_local');
  });
  test('network not enabled: proxy disabled (503, no x-proxy-error)', () => {
    const q = policyOf('default_permissions = "w"\n[permissions.w.network]\ndomains = { "example.com" = "allow" }\n');
    const d = connect(q, 'example.com:443');
    assert.equal(d.status, 503);
    assert.equal(d.reason, 'proxy_disabled');
    assert.equal(d.proxyError, null);
  });
  test('built-in :danger-full-access is unrestricted', () => {
    const q = policyOf('default_permissions = ":danger-full-access"\n');
    assert.equal(connect(q, '10.0.0.1:443').decision, 'allow');
  });
  test('CONNECT without authority or with an empty host is a 400', () => {
    assert.equal(connect(p, '').status, 400);
    assert.equal(connect(p, '...:443').status, 400);
  });
});

describe('local and private addresses', () => {
  const p = policyOf(`
default_permissions = "w"
[permissions.w.network]
enabled = true
[permissions.w.network.domains]
"127.0.0.1" = "allow"
"fe80::1" = "allow"
"*.corp.example" = "allow"
"internal.example" = "allow"
"*" = "allow"
`);
  test('an exact literal entry admits a local literal', () => {
    assert.equal(connect(p, '127.0.0.1:8443').decision, 'allow');
    assert.equal(connect(p, '[fe80::1%25lo0]:443').decision, 'allow');
  });
  test('wildcards never admit local literals', () => {
    assert.equal(connect(p, '127.0.0.2:443').reason, 'not_allowed_local');
    assert.equal(connect(p, '[::1]:443').reason, 'not_allowed_local');
    assert.equal(connect(p, '[::ffff:10.0.0.1]:443').reason, 'not_allowed_local');
    assert.equal(connect(p, 'localhost:443').reason, 'not_allowed_local');
  });
  test('names resolving to private addresses are blocked, unresolvable names fail closed', () => {
    assert.equal(connect(p, 'a.corp.example:443', { addresses: ['10.1.2.3'] }).reason, 'not_allowed_local');
    assert.equal(connect(p, 'a.corp.example:443', { addresses: ['93.184.216.34', '192.168.1.1'] }).reason, 'not_allowed_local');
    assert.equal(connect(p, 'internal.example:443', { error: 'unresolvable' }).reason, 'not_allowed_local');
    assert.equal(connect(p, 'internal.example:443', { addresses: ['93.184.216.34'] }).decision, 'allow');
  });
  test('the proxy is told when DNS is needed', () => {
    const d = decide(p, { kind: 'connect', authority: 'internal.example:443' });
    assert.equal(d.needsResolution, true);
    assert.equal(decide(p, { kind: 'connect', authority: '127.0.0.1:443' }).needsResolution, undefined);
  });
  test('every WHATWG IPv4 spelling is judged as its address, with no DNS step', () => {
    const loopback = ['127.1', '2130706433', '0x7f.0.0.1', '0177.0.0.1', '0x7f000001', '127.0.1', '0x7F.1', '017700000001', '127.1.'];
    for (const host of loopback) {
      const d = decide(p, { kind: 'connect', authority: `${host}:443` });
      assert.equal(d.needsResolution, undefined, host);
      assert.equal(d.reason, 'not_allowed_local', host);
      assert.equal(http(p, 'GET', host).reason, 'not_allowed_local', host);
      assert.equal(decide(p, { kind: 'socks', host, port: 443 }).reason, 'not_allowed_local', host);
    }
    for (const host of ['10.1', '167772161', '0xa.0.0.1', '0300.0250.1.1', '169.254.169.254'.replace('169.254', '0xa9.0xfe')]) {
      assert.equal(connect(p, `${host}:443`).reason, 'not_allowed_local', host);
    }
    // A public address in another spelling is judged by the lists (as upstream: no literal
    // exception, so even an exact entry for its canonical form does not admit a local spelling).
    assert.equal(connect(p, '134744072:443').decision, 'allow', '8.8.8.8 is public; `*` allows it');
    assert.equal(decide(p, { kind: 'connect', authority: '127.1:443' }).reason, 'not_allowed_local', '"127.0.0.1" = "allow" does not admit 127.1');
    // Hosts ending in a number that no parser accepts fail closed.
    for (const host of ['1.2.3.4.5', '256.1.1.1', '08.0.0.1', 'example.123', '4294967296']) {
      assert.equal(decide(p, { kind: 'connect', authority: `${host}:443` }).reason, 'not_allowed_local', host);
    }
    assert.equal(decide(p, { kind: 'connect', authority: 'internal.example:443' }).needsResolution, true, 'names still need DNS');
  });
  test('allow_local_binding = true judges local hosts by the lists only', () => {
    const q = policyOf('default_permissions = "w"\n[permissions.w.network]\nenabled = true\nallow_local_binding = true\ndomains = { "*" = "allow" }\n');
    assert.equal(connect(q, 'localhost:3000').decision, 'allow');
    assert.equal(connect(q, 'db.internal:5432', { addresses: ['10.0.0.5'] }).decision, 'allow');
  });
});

const HOOKS = `
default_permissions = "work"
[permissions.work.network]
enabled = true
[permissions.work.network.domains]
"api.github.com" = "allow"
"registry.npmjs.org" = "allow"
[permissions.work.network.mitm.hooks.gh_issues]
host = "api.github.com"
methods = ["POST", "put"]
path_prefixes = ["/repos/openai/", "pattern:/orgs/*/teams"]
query = { state = ["open", "pattern:op*"] }
action = ["strip_auth", "inject_token"]
[permissions.work.network.mitm.hooks.gh_read]
host = "API.github.com"
methods = ["GET"]
path_prefixes = ["/"]
headers = { "x-github-api-version" = [] }
action = ["strip_auth"]
[permissions.work.network.mitm.actions.strip_auth]
strip_request_headers = ["authorization"]
[permissions.work.network.mitm.actions.inject_token]
[[permissions.work.network.mitm.actions.inject_token.inject_request_headers]]
name = "authorization"
secret_env_var = "GH_TOKEN"
prefix = "Bearer "
`;

describe('MITM hooks', () => {
  const p = policyOf(HOOKS, { env: { GH_TOKEN: 'canary-secret-123' } });
  test('a hooked host is decrypted even in full mode; others are tunnelled raw', () => {
    assert.equal(connect(p, 'api.github.com:443').mitm, true);
    assert.equal(connect(p, 'registry.npmjs.org:443').mitm, false);
  });
  test('first matching hook wins; strip then inject (names only)', () => {
    const d = inner(p, 'api.github.com', 'post', '/repos/openai/codex/issues?state=open');
    assert.equal(d.decision, 'allow');
    assert.equal(d.hook, 'gh_issues');
    assert.deepEqual(d.headers, { strip: ['authorization'], inject: ['authorization'] });
    assert.equal(d.rule?.line, 8);
    assert.ok(!JSON.stringify({ ...d, appliedHook: undefined }).includes('canary-secret-123'));
  });
  test('query values are decoded and matched by glob', () => {
    assert.equal(inner(p, 'api.github.com', 'POST', '/repos/openai/x?state=op%65n').hook, 'gh_issues');
    assert.equal(inner(p, 'api.github.com', 'POST', '/repos/openai/x?state=opaque').hook, 'gh_issues');
    assert.equal(inner(p, 'api.github.com', 'POST', '/repos/openai/x?state=closed').reason, 'mitm_hook_denied');
    assert.equal(inner(p, 'api.github.com', 'POST', '/repos/openai/x').reason, 'mitm_hook_denied');
  });
  test('pattern paths: * stays within a segment', () => {
    assert.equal(inner(p, 'api.github.com', 'PUT', '/orgs/acme/teams?state=open').hook, 'gh_issues');
    assert.equal(inner(p, 'api.github.com', 'PUT', '/orgs/acme/x/teams?state=open').reason, 'mitm_hook_denied');
  });
  test('header constraints: presence only', () => {
    assert.equal(inner(p, 'api.github.com', 'GET', '/anything', { 'X-GitHub-Api-Version': '2022-11-28' }).hook, 'gh_read');
    const miss = inner(p, 'api.github.com', 'GET', '/anything');
    assert.equal(miss.reason, 'mitm_hook_denied');
    assert.equal(miss.proxyError, 'blocked-by-mitm-hook');
    assert.equal(miss.status, 403);
    assert.equal(miss.rule?.line, 8, 'a hook miss points at the host\'s first hook');
  });
  test('ambiguous paths never match a hook: the hooked host denies them (mitm_hook_denied)', () => {
    const ambiguous = [
      '/repos/openai/../x', '/repos/openai/%2e%2e/x', '/repos/openai/%2E%2e/x', '/repos/openai/./x', '/repos/openai/%252e%252e/x',
      '/repos/openai/%2fx', '/repos/openai/%5cx', '/repos/openai/a\\x', '/repos/openai/%25', '/repos/openai/%', '/repos/openai/%2', '/repos/openai/%zz',
    ];
    for (const path of ambiguous) {
      const d = inner(p, 'api.github.com', 'POST', `${path}?state=open`);
      assert.equal(d.reason, 'mitm_hook_denied', path);
      assert.deepEqual(d.headers, { strip: [], inject: [] }, path);
    }
    for (const path of ['/repos/openai/a..b', '/repos/openai/%2e%2efoo', '/repos/openai/%2e%2e%2e', '/repos/openai/%E2%9C%93']) {
      assert.equal(inner(p, 'api.github.com', 'POST', `${path}?state=open`).hook, 'gh_issues', path);
    }
  });
  test('plain HTTP (http:// or absolute-form https://) to a hooked host: 403 mitm_required, before the method guard', () => {
    for (const method of ['GET', 'POST']) {
      for (const scheme of ['http', 'https']) {
        const d = decide(p, { kind: 'http', method, host: 'api.github.com', port: scheme === 'https' ? 443 : 80, scheme, path: '/repos/openai/x', query: 'state=open', resolution: { assumedPublic: true } });
        assert.equal(d.decision, 'deny');
        assert.equal(d.reason, 'mitm_required');
        assert.equal(d.proxyError, 'blocked-by-mitm-required');
        assert.equal(d.message, 'MITM required for limited HTTPS.');
        assert.equal(d.source, 'mode_guard');
        assert.equal(d.status, 403);
        assert.equal(d.hook, null);
        assert.deepEqual(d.headers, { strip: [], inject: [] });
        assert.equal(d.rule?.line, 8);
      }
    }
    assert.equal(http(p, 'GET', 'registry.npmjs.org').decision, 'allow', 'a host without hooks is forwarded');
    assert.equal(http(p, 'GET', 'evil.example').reason, 'not_allowed', 'host policy is judged first');
  });
  test('CONNECT inside MITM is 405; Host mismatch is 400', () => {
    assert.equal(inner(p, 'api.github.com', 'CONNECT', '/').status, 405);
    const d = decide(p, { kind: 'inner', tunnelHost: 'api.github.com', port: 443, method: 'GET', path: '/', query: '', hostHeader: 'other.example', resolution: { assumedPublic: true } });
    assert.equal(d.status, 400);
    assert.equal(d.message, 'host mismatch');
  });
  test('a missing secret is a load error naming the variable, never a value', async () => {
    const { errorsOf } = await import('../helpers/policy');
    const errs = errorsOf(HOOKS, { env: {} });
    assert.equal(errs.length, 1);
    assert.match(errs[0]!.message, /missing required environment variable GH_TOKEN/);
    assert.equal(errs[0]!.line, 25);
  });
});

describe('limited mode', () => {
  const p = policyOf(`
default_permissions = "w"
[permissions.w.network]
enabled = true
mode = "limited"
domains = { "example.com" = "allow", "api.example.com" = "allow" }
[permissions.w.network.mitm.hooks.write]
host = "api.example.com"
methods = ["POST"]
path_prefixes = ["/"]
action = ["a"]
[permissions.w.network.mitm.actions.a]
strip_request_headers = ["cookie"]
`);
  test('every CONNECT is decrypted', () => assert.equal(connect(p, 'example.com:443').mitm, true));
  test('plain HTTP: only GET/HEAD/OPTIONS, exact case', () => {
    assert.equal(http(p, 'GET', 'example.com').decision, 'allow');
    const d = http(p, 'POST', 'example.com');
    assert.equal(d.reason, 'method_not_allowed');
    assert.equal(d.proxyError, 'blocked-by-method-policy');
    assert.equal(d.source, 'mode_guard');
    assert.equal(d.rule?.line, 5);
    assert.equal(http(p, 'get', 'example.com').reason, 'method_not_allowed');
  });
  test('host policy is judged before the method', () => {
    assert.equal(http(p, 'POST', 'other.example').reason, 'not_allowed');
  });
  test('inner requests are clamped after hooks: a matched write is still blocked', () => {
    const d = inner(p, 'api.example.com', 'POST', '/x');
    assert.equal(d.reason, 'method_not_allowed');
    assert.equal(inner(p, 'example.com', 'GET', '/').decision, 'allow');
  });
  test('SOCKS5: TCP only to 443, UDP always blocked', () => {
    assert.equal(decide(p, { kind: 'socks', host: 'example.com', port: 80, resolution: { assumedPublic: true } }).reason, 'method_not_allowed');
    const ok = decide(p, { kind: 'socks', host: 'example.com', port: 443, resolution: { assumedPublic: true } });
    assert.equal(ok.decision, 'allow');
    assert.equal(ok.mitm, true);
    assert.equal(decide(p, { kind: 'socks', host: 'example.com', port: 53, udp: true, resolution: { assumedPublic: true } }).reason, 'method_not_allowed');
  });
});

describe('plain HTTP', () => {
  const p = policyOf(BASE);
  test('Host header must match the target', () => {
    assert.equal(http(p, 'GET', 'example.com', '/', { hostHeader: 'example.com' }).decision, 'allow');
    assert.equal(http(p, 'GET', 'example.com', '/', { hostHeader: 'other.com' }).status, 400);
    assert.equal(http(p, 'GET', 'example.com', '/', { hostHeader: 'example.com:8080' }).status, 400);
    assert.equal(http(p, 'GET', 'example.com', '/', { port: 8080, hostHeader: 'example.com' }).status, 400);
    assert.equal(http(p, 'GET', 'example.com', '/', { port: 8080, hostHeader: 'example.com:8080' }).decision, 'allow');
  });
  test('missing host is a 400', () => assert.equal(http(p, 'GET', '').status, 400));
  test('SOCKS to a hooked host on a port other than 443 needs MITM', () => {
    const q = policyOf(HOOKS, { env: { GH_TOKEN: 't' } });
    assert.equal(decide(q, { kind: 'socks', host: 'api.github.com', port: 80, resolution: { assumedPublic: true } }).reason, 'mitm_required');
  });
});
