// Proxy authentication (--auth): who may use the proxy, and that injected secrets are never handed
// to a client that did not present the per-run credential.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { curl } from './clients';
import { disposeProxy, fixture, startProxy, writeAtomic, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const CANARY = `canary-auth-${randomBytes(12).toString('hex')}`;

describe('--auth required without secrets in the policy', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('full.toml'), upstreamCa: [up.https.caCertPath], auth: 'required' });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('the announced URL carries credentials; without them CONNECT and plain HTTP get 407', async () => {
    assert.ok(new URL(proxy.proxyUrl).password);
    const c = await curl(`https://api.github.test:${up.https.port}/`, { proxy: proxy.bareUrl, cacert: up.https.caCertPath });
    assert.equal(c.connectStatus, 407);
    const h = await curl(`http://plain.test:${up.http.port}/`, { proxy: proxy.bareUrl });
    assert.equal(h.status, 407);
    assert.equal(up.http.received.length + up.https.received.length, 0);
    const ok = await curl(`https://api.github.test:${up.https.port}/`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(ok.status, 200, ok.stderr);
  });
});

describe('--auth auto', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('full.toml'), upstreamCa: [up.https.caCertPath], env: { IT_GITHUB_TOKEN: CANARY } });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('no secrets in the policy: no credentials needed', async () => {
    assert.equal(new URL(proxy.proxyUrl).password, '');
    const r = await curl(`http://plain.test:${up.http.port}/`, { proxy: proxy.bareUrl });
    assert.equal(r.status, 200);
  });

  // A reload that starts injecting secrets must not hand them to clients of a proxy that announced
  // no credential: either the reload is refused (what the proxy does today) or auth turns on.
  test(
    'a reload that adds injected secrets never injects them for an unauthenticated client',
    async () => {
      const since = proxy.mark();
      const text = `${fixture('full.toml')}
[permissions.it.network.mitm.hooks.rotate]
host = "api.github.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]

[permissions.it.network.mitm.actions.inject]
[[permissions.it.network.mitm.actions.inject.inject_request_headers]]
name = "authorization"
secret_env_var = "IT_GITHUB_TOKEN"
prefix = "Bearer "
`;
      writeAtomic(proxy.configPath, text);
      const e = await proxy.waitFor((ev) => ev.event === 'policy', { since, what: 'the reload' });
      if (e.status === 'invalid') assert.match(JSON.stringify(e.diagnostics), /credential|restart/i);
      const n = up.https.received.length;
      const r = await curl(`https://api.github.test:${up.https.port}/x`, { proxy: proxy.bareUrl, cacert: proxy.listening.caCert, headers: ['x-echo-quiet: 1'] });
      assert.ok(!r.all.includes(CANARY));
      const leaked = up.https.received.slice(n).filter((q) => JSON.stringify(q.headers).includes(CANARY));
      assert.equal(leaked.length, 0, 'an unauthenticated client got the secret injected');
    },
  );
});
