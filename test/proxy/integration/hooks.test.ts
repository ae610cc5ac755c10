// MITM hooks end to end: strip + inject with canary secrets (which must never surface anywhere but
// at the upstream), default deny on a hooked host, and proxy authentication when secrets are injected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curl, header, lastBlock, nodeFetch } from './clients';
import { decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const ENV_CANARY = `canary-env-${randomBytes(12).toString('hex')}`;
const FILE_CANARY = `canary-file-${randomBytes(12).toString('hex')}`;

function assertNoCanary(what: string, text: string): void {
  assert.ok(!text.includes(ENV_CANARY), `${what} contains the env secret`);
  assert.ok(!text.includes(FILE_CANARY), `${what} contains the file secret`);
}

describe('MITM hook: strip and inject', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  let secrets: TempDir;
  before(async () => {
    up = await startUpstreams();
    secrets = tempDir('secrets-');
    const secretFile = join(secrets.path, 'audit-key');
    writeFileSync(secretFile, `${FILE_CANARY}\n`, { mode: 0o600 });
    proxy = await startProxy({
      config: fixture('inject.toml', { AUDIT_SECRET_FILE: secretFile }),
      env: { IT_GITHUB_TOKEN: ENV_CANARY },
      upstreamCa: [up.https.caCertPath],
      audit: true,
    });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
    secrets?.cleanup();
  });

  test('the proxy URL carries credentials because the policy injects secrets', () => {
    const u = new URL(proxy.proxyUrl);
    assert.ok(u.username && u.password, proxy.proxyUrl.replace(/:[^:@/]*@/, ':***@'));
    assertNoCanary('proxy URL', proxy.proxyUrl);
  });

  test('curl: client credentials are stripped, the proxy secrets injected, nothing leaks back', async () => {
    const since = proxy.mark();
    const n = up.https.received.length;
    const r = await curl(`https://api.github.test:${up.https.port}/repos/myorg/app?page=2`, {
      proxy: proxy.proxyUrl,
      cacert: proxy.listening.caCert,
      headers: ['Authorization: Bearer agent-found-this', 'X-Api-Key: agent-key', 'x-echo-quiet: 1', 'x-keep: yes'],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200);
    assertNoCanary('client output', r.all);

    assert.equal(up.https.received.length, n + 1);
    const got = up.https.received[n]!;
    assert.equal(got.url, '/repos/myorg/app?page=2');
    assert.equal(got.headers.authorization, `Bearer ${ENV_CANARY}`);
    assert.equal(got.headers['x-audit-source'], FILE_CANARY, 'secret_file is read and trimmed');
    assert.equal(got.headers['x-api-key'], undefined);
    assert.equal(got.headers['x-keep'], 'yes', 'unlisted headers are untouched');
    assert.equal(got.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'authorization').length, 1);
    assert.ok(!JSON.stringify(got.headers).includes('agent-found-this'));

    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.mitm === true && e.method === 'GET');
    assert.equal(d.decision, 'allow');
    assert.equal(d.hook, 'rotate');
    assert.equal(d.path, '/repos/myorg/app');
    const h = d.headers as { strip: string[]; inject: string[] };
    assert.ok(h.strip.includes('authorization') && h.strip.includes('x-api-key'));
    assert.deepEqual([...h.inject].sort(), ['authorization', 'x-audit-source']);
  });

  test('Node fetch (undici ProxyAgent) gets the same treatment', async () => {
    const n = up.https.received.length;
    const r = await nodeFetch(`https://api.github.test:${up.https.port}/repos/myorg/app`, {
      proxy: proxy.proxyUrl,
      ca: [proxy.listening.caCert],
      method: 'POST',
      headers: { authorization: 'token from-node', 'x-echo-quiet': '1' },
      body: '{"title":"t"}',
    });
    assert.equal(r.error, undefined);
    assert.equal(r.status, 200);
    assertNoCanary('fetch response', JSON.stringify(r));
    const got = up.https.received[n]!;
    assert.equal(got.method, 'POST');
    assert.equal(got.headers.authorization, `Bearer ${ENV_CANARY}`);
  });

  test('a hooked host with no matching hook: 403 text/plain blocked-by-mitm-hook', async () => {
    const n = up.https.received.length;
    const since = proxy.mark();
    // api.github.test has hooks, but none for DELETE nor for paths outside /repos/myorg/.
    for (const [method, path] of [['DELETE', '/repos/myorg/app'], ['GET', '/repos/other/app']] as const) {
      const r = await curl(`https://api.github.test:${up.https.port}${path}`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, method });
      assert.equal(r.connectStatus, 200);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-mitm-hook');
      assert.match(header(lastBlock(r), 'content-type') ?? '', /^text\/plain/);
    }
    assert.equal(up.https.received.length, n, 'blocked requests never reach the upstream');
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.decision === 'deny');
    assert.equal(d.reason, 'mitm_hook_denied');
  });

  test('internal API hooked read-only: GET passes, POST is blocked', async () => {
    const get = await curl(`https://internal-api.company.test:${up.https.port}/v1/items`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(get.status, 200, get.stderr);
    const post = await curl(`https://internal-api.company.test:${up.https.port}/v1/items`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, method: 'POST', data: 'x' });
    assert.equal(post.status, 403);
    assert.equal(header(lastBlock(post), 'x-proxy-error'), 'blocked-by-mitm-hook');
  });

  test('407 without or with wrong proxy credentials; the announced URL works', async () => {
    const base = new URL(proxy.bareUrl);
    const wrong = `http://nobody:wrong@${base.host}`;
    for (const p of [proxy.bareUrl, wrong]) {
      const c = await curl(`https://api.github.test:${up.https.port}/repos/myorg/app`, { proxy: p, cacert: proxy.listening.caCert });
      assert.equal(c.connectStatus, 407, `CONNECT via ${p.replace(/:[^:@/]*@/, ':***@')}`);
      assert.ok(header(c.blocks[0], 'proxy-authenticate'), '407 carries Proxy-Authenticate');
      const h = await curl(`http://plain.test:${up.http.port}/`, { proxy: p });
      assert.equal(h.status, 407, 'plain HTTP needs credentials too');
    }
    const ok = await curl(`http://plain.test:${up.http.port}/`, { proxy: proxy.proxyUrl });
    assert.equal(ok.status, 200);
  });

  test('no secret in proxy stdout, stderr or the audit file', async () => {
    // Let any buffered audit lines land.
    await new Promise((r) => setTimeout(r, 200));
    assertNoCanary('proxy stdout', proxy.stdout());
    assertNoCanary('proxy stderr', proxy.stderr());
    const audit = readFileSync(proxy.auditPath!, 'utf8');
    assert.ok(audit.includes('api.github.test'), 'the audit file records decisions');
    assertNoCanary('audit file', audit);
    // The proxy password is announced once (the listening line) and never again.
    const password = decodeURIComponent(new URL(proxy.proxyUrl).password);
    const later = proxy.stdout().split('\n').filter((l) => !l.includes('"event":"listening"'));
    assert.ok(!later.some((l) => l.includes(password)), 'proxy password in an event');
    assert.ok(!audit.includes(password) && !proxy.stderr().includes(password), 'proxy password in audit/stderr');
  });
});
