// Chaining to a corporate proxy (reference §8.2): a real tinyproxy started by the test sits between
// our proxy and the local upstreams. curl, Node fetch, Python requests and git go through our
// proxy; raw tunnels and MITM'd requests reach the upstream with CONNECT through tinyproxy, plain
// HTTP with absolute-form. With BasicAuth the proxy URL's credentials go to tinyproxy only and
// never show in events, stdout, stderr, the audit file, `env` output or error bodies.
// Test names are mapped with --resolve, so tinyproxy is asked for 127.0.0.1:PORT (it never does DNS).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { curl, gitClone, gitHead, hasCommand, nodeFetch, pythonRequest, pythonWithRequests, run } from './clients';
import { startSquid, startTinyproxy, type CorpProxy } from './corpProxy';
import { CLI, cleanEnv, decisionFor, disposeProxy, startProxy, tempDir, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const PYTHON = pythonWithRequests();
const HAS_TINYPROXY = hasCommand('tinyproxy');
const PROXY_CANARY = 'corp-pass-CANARY-51f0e2';
const SECRET = 'injected-secret-4c1d';

const CONFIG = `
default_permissions = "it"
[permissions.it.network]
enabled = true
mode = "full"
allow_local_binding = true
[permissions.it.network.domains]
"api.github.test" = "allow"
"internal-api.company.test" = "allow"
"plain.test" = "allow"
"git.test" = "allow"
"localhost" = "allow"
"nohop.test" = "allow"
"**.tracker.test" = "deny"
[permissions.it.network.mitm.hooks.inject]
host = "internal-api.company.test"
methods = ["GET", "POST"]
path_prefixes = ["/"]
action = ["inject"]
[permissions.it.network.mitm.hooks.clone]
host = "git.test"
methods = ["GET", "POST"]
path_prefixes = ["/repo.git/"]
action = ["pass"]
[[permissions.it.network.mitm.actions.inject.inject_request_headers]]
name = "x-injected"
secret_env_var = "IT_SECRET"
[permissions.it.network.mitm.actions.pass]
strip_request_headers = ["cookie"]
`;

function since<T>(list: T[], n: number): T[] {
  return list.slice(n);
}

describe('upstream proxy: chained to a real tinyproxy', { skip: !HAS_TINYPROXY && 'tinyproxy is not installed' }, () => {
  let up: Upstreams;
  let corp: CorpProxy;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    corp = await startTinyproxy();
    proxy = await startProxy({ config: CONFIG, upstreamCa: [up.https.caCertPath], env: { IT_SECRET: SECRET, HTTPS_PROXY: corp.url(), HTTP_PROXY: corp.url(), NO_PROXY: 'other.example, .nohop.test' }, resolve: ['nohop.test=127.0.0.1'] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await corp?.close();
    await up?.close();
  });

  test('the listening line names the upstream proxy from HTTPS_PROXY', () => {
    assert.equal(proxy.listening.upstreamProxy, `http://127.0.0.1:${corp.port}`);
  });

  test('a raw CONNECT tunnel goes through the corporate proxy with CONNECT (curl)', async () => {
    const n = corp.requests().length;
    const mark = proxy.mark();
    const r = await curl(`https://api.github.test:${up.https.port}/raw`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200);
    assert.deepEqual(since(corp.requests(), n), [`CONNECT 127.0.0.1:${up.https.port} HTTP/1.1`]);
    assert.equal((await decisionFor(proxy, 'api.github.test', mark)).decision, 'allow');
  });

  test('plain HTTP goes through it in absolute-form, our credential stripped (curl, Python requests)', async () => {
    const n = corp.requests().length;
    const r = await curl(`http://plain.test:${up.http.port}/plain?q=1`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 200, r.all);
    const echo = JSON.parse(r.body) as { url: string; host: string; headers: Record<string, string> };
    assert.equal(echo.url, '/plain?q=1');
    // A proxy sets Host from the absolute-form URI: the --resolve address the test name maps to.
    assert.equal(echo.host, `127.0.0.1:${up.http.port}`);
    assert.equal(echo.headers['proxy-authorization'], undefined);
    assert.deepEqual(since(corp.requests(), n), [`GET http://127.0.0.1:${up.http.port}/plain?q=1 HTTP/1.1`]);
    if (PYTHON) {
      const p = await pythonRequest(PYTHON, `http://plain.test:${up.http.port}/py`, { proxy: proxy.proxyUrl, verify: up.https.caCertPath });
      assert.equal(p.status, 200, p.raw);
      assert.equal(since(corp.requests(), n).length, 2);
    }
  });

  test("MITM'd requests reach the origin through a CONNECT tunnel, secrets injected only inside TLS (Node fetch, Python requests)", async () => {
    const n = corp.requests().length;
    const url = `https://internal-api.company.test:${up.https.port}/inject`;
    const f = await nodeFetch(url, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert] });
    assert.equal(f.status, 200, f.error);
    assert.equal((JSON.parse(f.body) as { headers: Record<string, string> }).headers['x-injected'], SECRET);
    assert.ok(since(corp.requests(), n).includes(`CONNECT 127.0.0.1:${up.https.port} HTTP/1.1`), since(corp.requests(), n).join('\n'));
    // A body larger than any stream buffer arrives whole on this hop (node:https; the lean direct client stays out of it).
    const big = 'b'.repeat(200_000);
    const post = await nodeFetch(url, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert], method: 'POST', body: big });
    assert.equal(post.status, 200, post.error);
    assert.equal((JSON.parse(post.body) as { body: string }).body, big);
    if (PYTHON) {
      const p = await pythonRequest(PYTHON, url, { proxy: proxy.proxyUrl, verify: proxy.listening.caCert });
      assert.equal(p.status, 200, p.raw);
    }
  });

  test('git clones over a MITM\'d tunnel through the corporate proxy', async () => {
    const dir = tempDir('git-clone-');
    try {
      const n = corp.requests().length;
      const dest = join(dir.path, 'clone');
      const r = await gitClone(`https://git.test:${up.https.port}${up.https.repoPath}`, { proxy: proxy.proxyUrl, caInfo: proxy.listening.caCert, dest });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await gitHead(dest), up.https.headCommit);
      assert.ok(since(corp.requests(), n).some((l) => l.startsWith(`CONNECT 127.0.0.1:${up.https.port}`)));
    } finally {
      dir.cleanup();
    }
  });

  test('a denied request never reaches the corporate proxy', async () => {
    const n = corp.requests().length;
    const r = await curl(`https://a.tracker.test:${up.https.port}/`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(r.connectStatus, 403);
    const p = await curl(`http://a.tracker.test:${up.http.port}/`, { proxy: proxy.proxyUrl });
    assert.equal(p.status, 403);
    assert.deepEqual(since(corp.requests(), n), []);
  });

  test('NO_PROXY matches and localhost go direct', async () => {
    const n = corp.requests().length;
    const r = await curl(`http://nohop.test:${up.http.port}/direct`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 200, r.all);
    const t = await curl(`https://nohop.test:${up.https.port}/direct`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(t.status, 200, t.all);
    const l = await curl(`http://localhost:${up.http.port}/direct`, { proxy: proxy.proxyUrl });
    assert.equal(l.status, 200, l.all);
    assert.deepEqual(since(corp.requests(), n), []);
  });
});

describe('upstream proxy with BasicAuth: credentials go to the corporate proxy only', { skip: !HAS_TINYPROXY && 'tinyproxy is not installed' }, () => {
  let up: Upstreams;
  let corp: CorpProxy;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    corp = await startTinyproxy({ user: 'alice', pass: PROXY_CANARY });
    // The flag wins over the environment (whose proxy is a dead port).
    proxy = await startProxy({
      config: CONFIG, upstreamCa: [up.https.caCertPath], audit: true, env: { IT_SECRET: SECRET, HTTPS_PROXY: 'http://127.0.0.1:9' },
      args: ['--upstream-proxy', corp.url(`alice:${PROXY_CANARY}`)],
    });
  });
  after(async () => {
    await disposeProxy(proxy);
    await corp?.close();
    await up?.close();
  });

  test('every client works through the authenticated corporate proxy; the origin never sees Proxy-Authorization', async () => {
    const n = corp.requests().length;
    const raw = await curl(`https://api.github.test:${up.https.port}/raw`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(raw.status, 200, raw.all);
    const plain = await curl(`http://plain.test:${up.http.port}/plain`, { proxy: proxy.proxyUrl });
    assert.equal(plain.status, 200, plain.all);
    const f = await nodeFetch(`https://internal-api.company.test:${up.https.port}/f`, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert] });
    assert.equal(f.status, 200, f.error);
    if (PYTHON) assert.equal((await pythonRequest(PYTHON, `https://internal-api.company.test:${up.https.port}/p`, { proxy: proxy.proxyUrl, verify: proxy.listening.caCert })).status, 200);
    const dir = tempDir('git-clone-');
    try {
      const g = await gitClone(`https://git.test:${up.https.port}${up.https.repoPath}`, { proxy: proxy.proxyUrl, caInfo: proxy.listening.caCert, dest: join(dir.path, 'c') });
      assert.equal(g.code, 0, g.stderr);
    } finally {
      dir.cleanup();
    }
    assert.ok(since(corp.requests(), n).length >= 4);
    for (const r of [...up.https.received, ...up.http.received]) assert.equal(r.headers['proxy-authorization'], undefined);
  });

  test('wrong credentials: a 502 naming the 407, never a direct fallback, never the credential', async () => {
    const wrong = await startProxy({ config: CONFIG, upstreamCa: [up.https.caCertPath], env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', corp.url('alice:wrong-CANARY-77')] });
    try {
      const before = up.https.received.length + up.http.received.length;
      const mark = wrong.mark();
      const t = await curl(`https://api.github.test:${up.https.port}/x`, { proxy: wrong.proxyUrl, cacert: up.https.caCertPath });
      assert.equal(t.connectStatus, 502, t.all);
      // curl does not keep a failed CONNECT's body: the reason is checked in the event.
      await wrong.waitFor((e) => e.event === 'error' && /api\.github\.test.*answered 40[17].*credentials in the proxy URL were refused/.test(String(e.message)), { since: mark, what: 'the tunnel 407 event' });
      const m = await curl(`https://internal-api.company.test:${up.https.port}/x`, { proxy: wrong.proxyUrl, cacert: wrong.listening.caCert });
      assert.equal(m.status, 502, m.all);
      assert.match(m.body, /answered 40[17].*credentials in the proxy URL were refused/);
      // tinyproxy answers a wrong credential on absolute-form with 401 + WWW-Authenticate, which
      // is indistinguishable from an origin's 401 and passed on; only a 407 is the proxy's refusal.
      const p = await curl(`http://plain.test:${up.http.port}/x`, { proxy: wrong.proxyUrl });
      assert.equal(p.status, 401, p.all);
      assert.equal(up.https.received.length + up.http.received.length, before, 'nothing reached the origin directly');
      const missing = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', corp.url()] });
      try {
        const q = await curl(`http://plain.test:${up.http.port}/x`, { proxy: missing.proxyUrl });
        assert.equal(q.status, 502, q.all);
        assert.match(q.body, /answered 407 \(the proxy requires credentials: put them in the proxy URL\)/);
        await missing.waitFor((e) => e.event === 'error' && /plain\.test.*answered 407/.test(String(e.message)), { what: 'an error event naming the 407' });
      } finally {
        await disposeProxy(missing);
      }
      const err = await wrong.waitFor((e) => e.event === 'error' && /answered 40[17]/.test(String(e.message)), { what: 'an error event' });
      assert.match(String(err.message), new RegExp(`127\\.0\\.0\\.1:${corp.port} with credentials`));
      for (const text of [t.all, m.all, p.all, wrong.stdout(), wrong.stderr()]) assert.ok(!text.includes('wrong-CANARY-77'));
    } finally {
      await disposeProxy(wrong);
    }
  });

  test('the credential never appears in events, stdout, stderr, the audit file or `env` output', async () => {
    const env = await run(process.execPath, [CLI, 'env', '--shell', 'bash'], { env: cleanEnv({ CODEX_NETPOLICY_HOME: proxy.netpolicyHome }) });
    assert.equal(env.code, 0, env.stderr);
    const audit = readFileSync(proxy.auditPath!, 'utf8');
    assert.ok(audit.length > 0);
    for (const text of [proxy.stdout(), proxy.stderr(), audit, env.stdout, env.stderr, JSON.stringify(proxy.events)]) {
      assert.ok(!text.includes(PROXY_CANARY), 'credential leaked');
      assert.ok(!text.includes(Buffer.from(`alice:${PROXY_CANARY}`).toString('base64')), 'encoded credential leaked');
    }
    assert.match(proxy.listening.upstreamProxy ?? '', /with credentials$/);
  });
});

describe('upstream proxy failures', () => {
  test('a refused upstream proxy and a 5xx from it are a 502 with the reason in an error event', { skip: !HAS_TINYPROXY && 'tinyproxy is not installed' }, async () => {
    const up = await startUpstreams();
    const corp = await startTinyproxy();
    const dead = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', 'http://127.0.0.1:9'] });
    const five = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', corp.url()] });
    try {
      const mark = dead.mark();
      const r = await curl(`https://api.github.test:${up.https.port}/x`, { proxy: dead.proxyUrl });
      assert.equal(r.connectStatus, 502);
      await dead.waitFor((e) => e.event === 'error' && /api\.github\.test.*refused the connection/.test(String(e.message)), { since: mark, what: 'the tunnel refusal event' });
      const p = await curl(`http://plain.test:${up.http.port}/x`, { proxy: dead.proxyUrl });
      assert.equal(p.status, 502);
      assert.match(p.body, /upstream proxy http:\/\/127\.0\.0\.1:9 refused the connection/);
      await dead.waitFor((e) => e.event === 'error' && /refused the connection/.test(String(e.message)), { since: mark, what: 'the refusal event' });
      // tinyproxy answers 5xx to a CONNECT whose target refuses (nothing listens on port 9).
      const fiveMark = five.mark();
      const t = await curl('https://api.github.test:9/x', { proxy: five.proxyUrl });
      assert.equal(t.connectStatus, 502, t.all);
      await five.waitFor((e) => e.event === 'error' && /CONNECT 127\.0\.0\.1:9 answered 5\d\d/.test(String(e.message)), { since: fiveMark, what: 'the 5xx event' });
    } finally {
      await disposeProxy(dead);
      await disposeProxy(five);
      await corp.close();
      await up.close();
    }
  });

  // Two real plain-HTTP proxies behind an https:// URL: squid answers the TLS hello with an HTTP
  // error (OpenSSL: wrong version number), tinyproxy waits for a request line that never ends.
  test('an https:// URL for a plain-HTTP proxy that answers (squid): a 502 that says it does not speak TLS', { skip: !hasCommand('squid') && 'squid is not installed' }, async () => {
    const up = await startUpstreams();
    const corp = await startSquid({});
    const wrong = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', `https://127.0.0.1:${corp.port}`] });
    try {
      const mark = wrong.mark();
      const p = await curl(`http://plain.test:${up.http.port}/x`, { proxy: wrong.proxyUrl });
      assert.equal(p.status, 502, p.all);
      assert.match(p.body, new RegExp(`upstream proxy https://127\\.0\\.0\\.1:${corp.port} does not speak TLS \\((ERR_SSL_WRONG_VERSION_NUMBER|wrong version number)\\): is it an http:// proxy\\?`), p.body);
      const t = await curl(`https://api.github.test:${up.https.port}/x`, { proxy: wrong.proxyUrl });
      assert.equal(t.connectStatus, 502, t.all);
      await wrong.waitFor((e) => e.event === 'error' && /api\.github\.test.*does not speak TLS/.test(String(e.message)), { since: mark, what: 'the tunnel error event' });
      assert.equal(up.http.received.length + up.https.received.length, 0, 'nothing went direct');
    } finally {
      await disposeProxy(wrong);
      await corp.close();
      await up.close();
    }
  });

  test('an https:// URL for a plain-HTTP proxy that stays silent (tinyproxy): a 502 once the connect timeout passes, not a hang', { skip: !HAS_TINYPROXY && 'tinyproxy is not installed' }, async () => {
    const up = await startUpstreams();
    const corp = await startTinyproxy();
    const wrong = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', `https://127.0.0.1:${corp.port}`] });
    try {
      const [p, t] = await Promise.all([
        curl(`http://plain.test:${up.http.port}/x`, { proxy: wrong.proxyUrl }),
        curl(`https://api.github.test:${up.https.port}/x`, { proxy: wrong.proxyUrl }),
      ]);
      assert.equal(p.status, 502, p.all);
      assert.match(p.body, /upstream proxy https:\/\/127\.0\.0\.1:\d+ did not complete the TLS handshake within 10000 ms/, p.body);
      assert.equal(t.connectStatus, 502, t.all);
      assert.deepEqual(corp.requests().filter((l) => /^(GET|CONNECT) /.test(l)), [], 'no request reached it in cleartext');
      assert.equal(up.http.received.length + up.https.received.length, 0, 'nothing went direct');
    } finally {
      await disposeProxy(wrong);
      await corp.close();
      await up.close();
    }
  });
});

describe('corporate trust: the CA a proxy starts with is trusted upstream, without --upstream-ca', { skip: !HAS_TINYPROXY && 'tinyproxy is not installed' }, () => {
  for (const variable of ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_DIR'] as const) {
    test(`${variable}: a MITM'd request through the corporate proxy verifies the upstream`, async () => {
      const up = await startUpstreams();
      const corp = await startTinyproxy();
      const value = variable === 'SSL_CERT_DIR' ? join(up.https.caCertPath, '..') : up.https.caCertPath;
      const trusted = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET, HTTPS_PROXY: corp.url(), [variable]: value } });
      const untrusted = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET, HTTPS_PROXY: corp.url() } });
      try {
        const url = `https://internal-api.company.test:${up.https.port}/trust`;
        const ok = await nodeFetch(url, { proxy: trusted.proxyUrl, ca: [trusted.listening.caCert] });
        assert.equal(ok.status, 200, ok.error);
        const bad = await nodeFetch(url, { proxy: untrusted.proxyUrl, ca: [untrusted.listening.caCert] });
        assert.equal(bad.status, 502, 'the control without the CA fails verification');
      } finally {
        await disposeProxy(trusted);
        await disposeProxy(untrusted);
        await corp.close();
        await up.close();
      }
    });
  }
});

describe('upstream proxy: a real squid resolves the names', { skip: !hasCommand('squid') && 'squid is not installed' }, () => {
  const NAMED = `default_permissions = "it"
[permissions.it.network]
enabled = true
allow_local_binding = true
[permissions.it.network.domains]
"corp-only.test" = "allow"
"mitm.corp-only.test" = "allow"
[permissions.it.network.mitm.hooks.h]
host = "mitm.corp-only.test"
methods = ["GET"]
path_prefixes = ["/mitm/"]
action = ["inject"]
[[permissions.it.network.mitm.actions.inject.inject_request_headers]]
name = "x-injected"
secret_env_var = "IT_SECRET"
`;

  test('the host name is sent to the corporate proxy, which resolves it (curl raw and plain, Node fetch through MITM)', async () => {
    const up = await startUpstreams();
    const corp = await startSquid({ 'corp-only.test': '127.0.0.1', 'mitm.corp-only.test': '127.0.0.1' });
    // No --resolve for corp-only.test: this machine cannot resolve it; only squid can.
    const proxy = await startProxy({ config: NAMED, upstreamCa: [up.https.caCertPath], env: { IT_SECRET: SECRET, HTTPS_PROXY: corp.url(), HTTP_PROXY: corp.url() } });
    try {
      const plain = await curl(`http://corp-only.test:${up.http.port}/named`, { proxy: proxy.proxyUrl });
      assert.equal(plain.status, 200, plain.all);
      assert.equal((JSON.parse(plain.body) as { host: string }).host, `corp-only.test:${up.http.port}`);
      const raw = await curl(`https://corp-only.test:${up.https.port}/raw`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
      assert.equal(raw.status, 200, raw.all);
      const f = await nodeFetch(`https://mitm.corp-only.test:${up.https.port}/mitm/x`, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert] });
      assert.equal(f.status, 200, f.error);
      assert.equal((JSON.parse(f.body) as { headers: Record<string, string> }).headers['x-injected'], SECRET);
      // Squid logs a transaction when it ends: our pooled MITM tunnel ends with our proxy.
      await proxy.stop();
      await new Promise((r) => setTimeout(r, 500));
      const seen = corp.requests();
      assert.ok(seen.includes(`GET http://corp-only.test:${up.http.port}/named`), seen.join('\n'));
      assert.ok(seen.includes(`CONNECT corp-only.test:${up.https.port}`), seen.join('\n'));
      assert.ok(seen.includes(`CONNECT mitm.corp-only.test:${up.https.port}`), seen.join('\n'));
    } finally {
      await disposeProxy(proxy);
      await corp.close();
      await up.close();
    }
  });
});
