// HTTP/2 inside MITM while chained to a corporate proxy (a real tinyproxy started by the test):
// curl --http2 speaks h2 to our proxy, and our proxy speaks h2 to the origin over TLS inside a
// CONNECT tunnel through tinyproxy — verified like a direct h2 session, hooks applied per stream.
// NO_PROXY names keep the direct h2 pool; a dead corporate proxy is a 502 naming it; BasicAuth credentials go to it alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hasCommand } from './clients';
import { startTinyproxy, type CorpProxy } from './corpProxy';
import { disposeProxy, startProxy, type RunningProxy } from './harness';
import { curlH2 } from './h2Client';
import { startH2Upstream, type H2Upstream } from './h2Upstream';

const HAS_TINYPROXY = hasCommand('tinyproxy');
const SECRET = 'h2-chain-secret-9e3a';

const CONFIG = `
default_permissions = "it"
[permissions.it.network]
enabled = true
mode = "full"
allow_local_binding = true
[permissions.it.network.domains]
"internal-api.company.test" = "allow"
"api.github.test" = "allow"
"nohop.test" = "allow"
[permissions.it.network.mitm.hooks.inject]
host = "internal-api.company.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[permissions.it.network.mitm.hooks.direct]
host = "nohop.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
# A hooked host is MITM'd, so its upstream TLS is ours to verify.
[permissions.it.network.mitm.hooks.untrusted]
host = "api.github.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[[permissions.it.network.mitm.actions.inject.inject_request_headers]]
name = "x-injected"
secret_env_var = "IT_SECRET"
`;

describe('HTTP/2 through a corporate upstream proxy (tinyproxy)', { skip: !HAS_TINYPROXY && 'tinyproxy is not installed' }, () => {
  let origin: H2Upstream;
  let untrusted: H2Upstream;
  let corp: CorpProxy;
  let proxy: RunningProxy;
  before(async () => {
    [origin, untrusted] = await Promise.all([startH2Upstream('h2'), startH2Upstream('h2')]);
    corp = await startTinyproxy();
    proxy = await startProxy({
      config: CONFIG, upstreamCa: [origin.caCertPath], resolve: ['nohop.test=127.0.0.1'],
      env: { IT_SECRET: SECRET, HTTPS_PROXY: corp.url(), NO_PROXY: '.nohop.test' },
    });
  });
  after(async () => {
    await disposeProxy(proxy);
    await corp?.close();
    await Promise.all([origin?.close(), untrusted?.close()]);
  });

  test('curl --http2: h2 to the client and to the origin through a CONNECT tunnel, the hook injects', async () => {
    const n = corp.requests().length;
    const seen = origin.seen.length;
    const r = await curlH2(`https://internal-api.company.test:${origin.port}/h2/chain`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.version, '2', 'the proxy spoke h2 to curl');
    const got = origin.seen[seen];
    assert.equal(got?.httpVersion, '2.0', 'the origin was reached over h2');
    assert.equal(got?.url, '/h2/chain');
    assert.equal(got?.headers['x-injected'], SECRET);
    assert.equal(got?.headers['proxy-authorization'], undefined);
    assert.deepEqual(corp.requests().slice(n), [`CONNECT 127.0.0.1:${origin.port} HTTP/1.1`]);
    // A second request reuses the pooled h2 session: no new CONNECT.
    const again = await curlH2(`https://internal-api.company.test:${origin.port}/h2/again`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(again.status, 200, again.body);
    assert.equal(origin.seen[seen + 1]?.httpVersion, '2.0');
    assert.equal(corp.requests().length, n + 1, corp.requests().slice(n).join('\n'));
  });

  test('NO_PROXY names keep the direct h2 pool (nothing reaches the corporate proxy)', async () => {
    const n = corp.requests().length;
    const seen = origin.seen.length;
    const r = await curlH2(`https://nohop.test:${origin.port}/direct`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.version, '2');
    assert.equal(origin.seen[seen]?.httpVersion, '2.0');
    assert.equal(origin.seen[seen]?.headers['x-injected'], SECRET);
    assert.deepEqual(corp.requests().slice(n), []);
  });

  test('an origin the proxy does not trust is refused through the chain too (502, nothing reaches it)', async () => {
    const since = proxy.mark();
    const n = corp.requests().length;
    const r = await curlH2(`https://api.github.test:${untrusted.port}/x`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(r.version, '2');
    assert.equal(r.status, 502);
    assert.equal(untrusted.seen.length, 0);
    assert.ok(corp.requests().slice(n).includes(`CONNECT 127.0.0.1:${untrusted.port} HTTP/1.1`), 'the refusal happened inside the tunnel');
    await proxy.waitFor((e) => e.event === 'error' && /certificate|self.signed|issuer/i.test(String(e.message)), { since, what: 'the verification error' });
  });

  test('a dead corporate proxy: 502 on the h2 stream naming it, never a direct fallback', async () => {
    const dead = await startProxy({ config: CONFIG, upstreamCa: [origin.caCertPath], env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', 'http://127.0.0.1:9'] });
    try {
      const seen = origin.seen.length;
      const r = await curlH2(`https://internal-api.company.test:${origin.port}/dead`, dead.proxyUrl, dead.listening.caCert);
      assert.equal(r.version, '2');
      assert.equal(r.status, 502);
      assert.match(r.body, /upstream proxy failure for .*upstream proxy http:\/\/127\.0\.0\.1:9 refused the connection/);
      assert.equal(origin.seen.length, seen, 'nothing reached the origin directly');
    } finally {
      await disposeProxy(dead);
    }
  });

  test('with BasicAuth: h2 through the authenticated proxy; the credential reaches only the proxy, never output', async () => {
    const canary = 'h2-corp-pass-CANARY-3b7d';
    const authed = await startTinyproxy({ user: 'bob', pass: canary });
    const chained = await startProxy({ config: CONFIG, upstreamCa: [origin.caCertPath], env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', authed.url(`bob:${canary}`)] });
    try {
      const seen = origin.seen.length;
      const r = await curlH2(`https://internal-api.company.test:${origin.port}/authed`, chained.proxyUrl, chained.listening.caCert);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.version, '2');
      assert.equal(origin.seen[seen]?.httpVersion, '2.0');
      assert.equal(origin.seen[seen]?.headers['proxy-authorization'], undefined);
      assert.deepEqual(authed.requests(), [`CONNECT 127.0.0.1:${origin.port} HTTP/1.1`]);
      for (const text of [r.headers, r.body, r.stderr, chained.stdout(), chained.stderr()]) assert.ok(!text.includes(canary), 'credential leaked');
    } finally {
      await disposeProxy(chained);
      await authed.close();
    }
  });
});
