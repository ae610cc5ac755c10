// Limited mode: only GET/HEAD/OPTIONS pass; HTTPS is always MITM'd (clients trust the proxy CA).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { curl, gitClone, header, lastBlock } from './clients';
import { decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

describe('limited mode', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('limited.toml'), upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('plain HTTP GET passes', async () => {
    const r = await curl(`http://plain.test:${up.http.port}/read`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 200, r.stderr);
    assert.equal((JSON.parse(r.body) as { method: string }).method, 'GET');
  });

  test('plain HTTP POST: JSON 403 blocked-by-method-policy, upstream untouched', async () => {
    const since = proxy.mark();
    const n = up.http.received.length;
    const r = await curl(`http://plain.test:${up.http.port}/write`, { proxy: proxy.proxyUrl, method: 'POST', data: 'x' });
    assert.equal(r.status, 403);
    assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-method-policy');
    const body = JSON.parse(r.body) as { status: string; reason: string };
    assert.equal(body.status, 'blocked');
    assert.equal(body.reason, 'method_not_allowed');
    assert.equal(up.http.received.length, n);
    const d = await decisionFor(proxy, 'plain.test', since, (e) => e.decision === 'deny');
    assert.equal(d.reason, 'method_not_allowed');
    assert.equal(d.method, 'POST');
    assert.equal(d.mode, 'limited');
  });

  test('HTTPS GET is MITM\'d: the client trusts only the proxy CA and succeeds', async () => {
    const since = proxy.mark();
    const r = await curl(`https://api.github.test:${up.https.port}/repos/x?y=1`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body) as { method: string; url: string };
    assert.equal(echo.url, '/repos/x?y=1');
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.mitm === true);
    assert.equal(d.decision, 'allow');

    // Trusting only the upstream's own CA fails: the certificate came from the proxy.
    const direct = await curl(`https://api.github.test:${up.https.port}/`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(direct.code, 60, `expected a certificate error, got ${direct.code}: ${direct.stderr}`);
  });

  test('HTTPS POST inside the tunnel: 403 text/plain blocked-by-method-policy', async () => {
    const since = proxy.mark();
    const n = up.https.received.length;
    const r = await curl(`https://api.github.test:${up.https.port}/repos/x`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, method: 'POST', data: '{}' });
    assert.equal(r.connectStatus, 200);
    assert.equal(r.status, 403);
    const b = lastBlock(r);
    assert.equal(header(b, 'x-proxy-error'), 'blocked-by-method-policy');
    assert.match(header(b, 'content-type') ?? '', /^text\/plain/);
    assert.equal(up.https.received.length, n);
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.decision === 'deny');
    assert.equal(d.reason, 'method_not_allowed');
    assert.equal(d.method, 'POST');
    assert.equal(d.path, '/repos/x');
  });

  test('HEAD and OPTIONS pass inside the tunnel', async () => {
    for (const method of ['HEAD', 'OPTIONS']) {
      const r = await curl(`https://api.github.test:${up.https.port}/m`, {
        proxy: proxy.proxyUrl,
        cacert: proxy.listening.caCert,
        ...(method === 'HEAD' ? { extra: ['-I'] } : { method }),
      });
      assert.equal(r.status, 200, `${method}: ${r.stderr}`);
    }
  });

  test('git clone fails: smart HTTP needs POST, which limited mode blocks', async () => {
    const dir = tempDir('git-clone-');
    try {
      const dest = join(dir.path, 'clone');
      const r = await gitClone(`https://git.test:${up.https.port}/repo.git`, { proxy: proxy.proxyUrl, caInfo: proxy.listening.caCert, dest });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /403/);
      assert.ok(!existsSync(join(dest, 'README.md')));
      assert.ok(up.https.received.some((q) => q.method === 'GET' && q.url.startsWith('/repo.git/info/refs')), 'the ref advertisement (GET) went through');
      assert.ok(!up.https.received.some((q) => q.method === 'POST'), 'no POST reached the upstream');
    } finally {
      dir.cleanup();
    }
  });
});
