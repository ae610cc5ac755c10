// Real clients other than curl through the proxy: Node fetch (undici ProxyAgent and, where Node
// supports it, NODE_USE_ENV_PROXY), Python requests, git over smart HTTP (raw tunnel and MITM).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitClone, gitHead, hasCommand, nodeFetch, pythonRequest, pythonWithRequests, run } from './clients';
import { cleanEnv, decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const PYTHON = pythonWithRequests();
const PY_SKIP = PYTHON ? false : 'python3 with `requests` not found (Debian: apt-get install -y python3-requests)';
const GIT_SKIP = hasCommand('git') ? false : 'git not installed';

/** Node's built-in env-proxy support (NODE_USE_ENV_PROXY) arrived in 24.0 and 22.21. */
function envProxySkip(): string | false {
  const [maj = 0, min = 0] = process.versions.node.split('.').map(Number);
  if (maj >= 24 || (maj === 22 && min >= 21)) return false;
  return `Node ${process.versions.node} has no NODE_USE_ENV_PROXY support (needs >= 22.21 or 24)`;
}

describe('clients through a full-mode proxy (raw tunnels)', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('full.toml'), upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('Node fetch via undici ProxyAgent: allowed tunnel, then a denied host', async () => {
    const ok = await nodeFetch(`https://api.github.test:${up.https.port}/from/node`, { proxy: proxy.proxyUrl, ca: [up.https.caCertPath] });
    assert.equal(ok.error, undefined);
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as { url: string }).url, '/from/node');

    const since = proxy.mark();
    const denied = await nodeFetch(`https://a.tracker.test:${up.https.port}/`, { proxy: proxy.proxyUrl, ca: [up.https.caCertPath] });
    assert.equal(denied.status, 0);
    assert.match(denied.error ?? '', /403/);
    const d = await decisionFor(proxy, 'a.tracker.test', since);
    assert.equal(d.reason, 'denied');
  });

  test('Node fetch with NODE_USE_ENV_PROXY=1 and HTTPS_PROXY', { skip: envProxySkip() }, async () => {
    const since = proxy.mark();
    const script = `fetch(process.argv[1]).then(async (r) => console.log(r.status, await r.text()), (e) => { console.log('ERR', e.cause?.message ?? e.message); process.exit(3); })`;
    const r = await run(process.execPath, ['-e', script, `https://api.github.test:${up.https.port}/env-proxy`], {
      env: cleanEnv({ NODE_USE_ENV_PROXY: '1', HTTPS_PROXY: proxy.proxyUrl, NODE_EXTRA_CA_CERTS: up.https.caCertPath }),
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^200 /);
    await decisionFor(proxy, 'api.github.test', since);
  });

  test('Python requests: allowed tunnel (verify = upstream CA), plain HTTP, denied host', { skip: PY_SKIP }, async () => {
    const ok = await pythonRequest(PYTHON!, `https://api.github.test:${up.https.port}/from/python`, { proxy: proxy.proxyUrl, verify: up.https.caCertPath });
    assert.equal(ok.error, undefined, ok.raw);
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as { url: string }).url, '/from/python');

    const plain = await pythonRequest(PYTHON!, `http://plain.test:${up.http.port}/py`, { proxy: proxy.proxyUrl, verify: up.https.caCertPath, method: 'PUT', data: 'x' });
    assert.equal(plain.status, 200, plain.raw);
    assert.equal((JSON.parse(plain.body) as { method: string }).method, 'PUT');

    const blocked = await pythonRequest(PYTHON!, `http://other.test:${up.http.port}/`, { proxy: proxy.proxyUrl, verify: up.https.caCertPath });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.headers['x-proxy-error'] ?? blocked.headers['X-Proxy-Error'], 'blocked-by-allowlist');

    const denied = await pythonRequest(PYTHON!, `https://x.tracker.test:${up.https.port}/`, { proxy: proxy.proxyUrl, verify: up.https.caCertPath });
    assert.equal(denied.status, 0);
    assert.match(denied.error ?? '', /ProxyError|403/);
  });

  test('git clone over a raw tunnel (sslCAInfo = upstream CA)', { skip: GIT_SKIP }, async () => {
    const dir = tempDir('git-clone-');
    try {
      const since = proxy.mark();
      const dest = join(dir.path, 'clone');
      const r = await gitClone(`https://git.test:${up.https.port}/repo.git`, { proxy: proxy.proxyUrl, caInfo: up.https.caCertPath, dest });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await gitHead(dest), up.https.headCommit);
      assert.match(readFileSync(join(dest, 'README.md'), 'utf8'), /policy proxy/);
      const d = await decisionFor(proxy, 'git.test', since);
      assert.equal(d.decision, 'allow');
      assert.equal(d.mitm, false);
    } finally {
      dir.cleanup();
    }
  });
});

describe('clients through MITM\'d tunnels (trusting the proxy CA)', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('git-hooked.toml'), upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('git clone through a hooked host: every smart-HTTP request is decided and logged', { skip: GIT_SKIP }, async () => {
    const dir = tempDir('git-clone-');
    try {
      const since = proxy.mark();
      const dest = join(dir.path, 'clone');
      const r = await gitClone(`https://git.test:${up.https.port}/repo.git`, { proxy: proxy.proxyUrl, caInfo: proxy.listening.caCert, dest });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await gitHead(dest), up.https.headCommit);
      await decisionFor(proxy, 'git.test', since, (e) => e.mitm === true && e.method === 'POST' && e.hook === 'clone_repo');
      const inner = proxy.decisions('git.test', since).filter((e) => e.mitm === true && e.method !== 'CONNECT');
      assert.ok(inner.some((e) => e.method === 'GET' && String(e.path).endsWith('/info/refs')), JSON.stringify(inner));
      assert.ok(!up.https.received.some((q) => q.headers['proxy-authorization'] !== undefined));
    } finally {
      dir.cleanup();
    }
  });

  test('git clone of a path outside the hook is refused (blocked-by-mitm-hook)', { skip: GIT_SKIP }, async () => {
    const dir = tempDir('git-clone-');
    try {
      const n = up.https.received.length;
      const r = await gitClone(`https://git.test:${up.https.port}/other.git`, { proxy: proxy.proxyUrl, caInfo: proxy.listening.caCert, dest: join(dir.path, 'c') });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /403/);
      assert.equal(up.https.received.length, n);
    } finally {
      dir.cleanup();
    }
  });

  test('Python requests through the MITM (verify = proxy CA)', { skip: PY_SKIP }, async () => {
    const r = await pythonRequest(PYTHON!, `https://git.test:${up.https.port}/repo.git/info/refs?service=git-upload-pack`, { proxy: proxy.proxyUrl, verify: proxy.listening.caCert });
    assert.equal(r.error, undefined, r.raw);
    assert.equal(r.status, 200);
    assert.match(r.headers['Content-Type'] ?? r.headers['content-type'] ?? '', /git-upload-pack-advertisement/);
    const miss = await pythonRequest(PYTHON!, `https://git.test:${up.https.port}/elsewhere`, { proxy: proxy.proxyUrl, verify: proxy.listening.caCert });
    assert.equal(miss.status, 403);
  });

  test('Node fetch through the MITM (ca = proxy CA) and a tunnel trusting the wrong CA fails', async () => {
    const ok = await nodeFetch(`https://git.test:${up.https.port}/repo.git/info/refs?service=git-upload-pack`, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert] });
    assert.equal(ok.error, undefined);
    assert.equal(ok.status, 200);
    const wrong = await nodeFetch(`https://git.test:${up.https.port}/repo.git/info/refs?service=git-upload-pack`, { proxy: proxy.proxyUrl, ca: [up.https.caCertPath] });
    assert.equal(wrong.status, 0);
    assert.match(wrong.error ?? '', /certificate|self.signed|issuer/i);
  });
});
