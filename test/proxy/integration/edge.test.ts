// Edges a real client can reach: encoded path traversal on a hooked host, Host mismatch inside a
// MITM'd tunnel, HTTP/1.1 and HTTP/2 inside the tunnel, query strings kept out of the log, the
// decision event's shape, upstream certificate verification (no fail-open), SOCKS5.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { curl, header, lastBlock, nodeFetch } from './clients';
import { decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const CANARY = `canary-edge-${randomBytes(12).toString('hex')}`;

describe('hooked host edges', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  let secrets: TempDir;
  before(async () => {
    up = await startUpstreams();
    secrets = tempDir('secrets-');
    const file = join(secrets.path, 'audit-key');
    writeFileSync(file, 'file-secret\n', { mode: 0o600 });
    proxy = await startProxy({
      config: fixture('inject.toml', { AUDIT_SECRET_FILE: file }),
      env: { IT_GITHUB_TOKEN: CANARY },
      upstreamCa: [up.https.caCertPath],
    });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
    secrets?.cleanup();
  });

  const via = (): { proxy: string; cacert: string } => ({ proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });

  test('encoded dot segments cannot climb out of the hooked prefix with the injected token', async () => {
    for (const path of ['/repos/myorg/%2e%2e/other/x', '/repos/myorg/%2E%2E/%2E%2E/admin', '/repos/myorg/../other/x']) {
      const n = up.https.received.length;
      const r = await curl(`https://api.github.test:${up.https.port}${path}`, { ...via(), headers: ['x-echo-quiet: 1'], extra: ['--path-as-is'] });
      const reached = up.https.received.slice(n);
      // Either refused, or forwarded only to a path still inside /repos/myorg/ (no traversal upstream).
      if (r.status === 200) {
        for (const q of reached) assert.ok(!/(^|\/)(\.\.|%2e%2e)(\/|$)/i.test(q.url), `traversal reached the upstream: ${q.url}`);
      } else {
        assert.ok(r.status === 403 || r.status === 400, `${path}: status ${r.status}`);
        assert.equal(reached.length, 0, `${path} reached the upstream`);
      }
      assert.ok(!r.all.includes(CANARY));
    }
  });

  test('ambiguous paths (upstream authorization_path rules) are a hook miss: 403 blocked-by-mitm-hook, nothing forwarded', async () => {
    const ambiguous = ['%252e%252e/admin', '%2fadmin', '%5cadmin', 'a%25b', '%zz', '%2', 'a%5c..%5cb', '.%2e/admin', 'a/./b'];
    for (const rest of ambiguous) {
      const n = up.https.received.length;
      const r = await curl(`https://api.github.test:${up.https.port}/repos/myorg/${rest}`, { ...via(), extra: ['--path-as-is'] });
      assert.equal(r.status, 403, `${rest}: ${r.stderr}`);
      assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-mitm-hook', rest);
      assert.equal(up.https.received.length, n, `${rest} reached the upstream`);
      assert.ok(!r.all.includes(CANARY));
    }
    const ok = await curl(`https://api.github.test:${up.https.port}/repos/myorg/a..b/%2e%2efoo`, { ...via(), headers: ['x-echo-quiet: 1'], extra: ['--path-as-is'] });
    assert.equal(ok.status, 200, 'unambiguous dots and escapes still match');
  });

  test('plain HTTP to a hooked host: 403 blocked-by-mitm-required, recorded, and no byte (no secret) reaches the upstream', async () => {
    const received: Buffer[] = [];
    let connections = 0;
    const canaryUpstream = createServer((s) => {
      connections++;
      s.on('data', (c: Buffer) => received.push(c));
    });
    await new Promise<void>((r) => canaryUpstream.listen(0, '127.0.0.1', () => r()));
    const port = (canaryUpstream.address() as AddressInfo).port;
    try {
      for (const [host, method] of [['api.github.test', 'GET'], ['api.github.test', 'POST'], ['internal-api.company.test', 'GET']] as const) {
        const since = proxy.mark();
        const r = await curl(`http://${host}:${port}/repos/myorg/x`, { proxy: proxy.proxyUrl, method, headers: ['authorization: Bearer client-own'] });
        assert.equal(r.status, 403, `${host} ${method}`);
        assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-mitm-required');
        const body = JSON.parse(r.body) as Record<string, unknown>;
        assert.equal(body.reason, 'mitm_required');
        assert.equal(body.source, 'mode_guard');
        assert.equal(body.message, 'MITM required for limited HTTPS.');
        const d = await decisionFor(proxy, host, since, (e) => e.protocol === 'http');
        assert.equal(d.reason, 'mitm_required');
        assert.equal(d.decision, 'deny');
        assert.ok(!r.all.includes(CANARY));
      }
      // https:// sent as absolute-form to the HTTP listener is judged the same way.
      const url = new URL(proxy.proxyUrl);
      const auth = url.username ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}\r\n` : '';
      const raw = await rawExchange(Number(url.port), `GET https://api.github.test:${port}/repos/myorg/x HTTP/1.1\r\nHost: api.github.test:${port}\r\n${auth}Connection: close\r\n\r\n`);
      assert.match(raw, /^HTTP\/1\.1 403 /);
      assert.match(raw, /x-proxy-error: blocked-by-mitm-required/i);
      assert.equal(connections, 0, 'the proxy never dialled the plain-HTTP upstream');
      assert.ok(!Buffer.concat(received).toString('latin1').includes(CANARY));
    } finally {
      await new Promise<void>((r) => canaryUpstream.close(() => r()));
    }
  });

  test('Host header that differs from the tunnel host: 400, not forwarded', async () => {
    const n = up.https.received.length;
    const r = await curl(`https://api.github.test:${up.https.port}/repos/myorg/x`, { ...via(), headers: [`Host: internal-api.company.test:${up.https.port}`], extra: ['--http1.1'] });
    assert.equal(r.connectStatus, 200);
    assert.equal(r.status, 400);
    assert.equal(up.https.received.length, n);
  });

  test('HTTP/1.1 and HTTP/2 inside the tunnel both get the hook applied', async () => {
    for (const v of ['--http1.1', '--http2']) {
      const n = up.https.received.length;
      const r = await curl(`https://api.github.test:${up.https.port}/repos/myorg/v`, { ...via(), headers: ['x-echo-quiet: 1', 'authorization: Bearer mine'], extra: [v] });
      assert.equal(r.status, 200, `${v}: ${r.stderr}`);
      assert.equal(up.https.received[n]?.headers.authorization, `Bearer ${CANARY}`, v);
    }
  });

  test('concurrent MITM requests from Node fetch each get their own hook treatment', async () => {
    const n = up.https.received.length;
    const paths = Array.from({ length: 24 }, (_, i) => `/repos/myorg/c${i}`);
    const results = await Promise.all(paths.map((p) => nodeFetch(`https://api.github.test:${up.https.port}${p}`, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert], headers: { 'x-echo-quiet': '1' } })));
    for (const r of results) assert.equal(r.status, 200, r.error);
    const got = up.https.received.slice(n);
    assert.deepEqual(got.map((q) => q.url).sort(), [...paths].sort());
    for (const q of got) assert.equal(q.headers.authorization, `Bearer ${CANARY}`);
  });

  test('the query string of an inner request is never logged; the event has the contract fields', async () => {
    const since = proxy.mark();
    const marker = `q${randomBytes(6).toString('hex')}`;
    const r = await curl(`https://api.github.test:${up.https.port}/repos/myorg/q?access_token=${marker}`, via());
    assert.equal(r.status, 200);
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.method === 'GET');
    assert.ok(!proxy.stdout().includes(marker));
    assert.equal(d.path, '/repos/myorg/q');
    for (const k of ['id', 'time', 'reason', 'source', 'protocol', 'client', 'profile', 'mode'] as const) assert.ok(k in d, `decision event lacks ${k}`);
    assert.ok(typeof d.id === 'string' || typeof d.id === 'number', 'decision id');
    assert.ok(!Number.isNaN(Date.parse(String(d.time))));
    assert.match(String(d.client), /^127\.0\.0\.1:\d+$/);
    assert.equal(d.profile, 'it');
    assert.equal(d.mode, 'full');
    assert.equal(d.status, 200);
    assert.deepEqual(d.actions, ['rotate_token']);
  });
});

describe('upstream certificate verification', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    // No --upstream-ca: the upstream's own test CA is not trusted by the proxy.
    proxy = await startProxy({ config: fixture('limited.toml') });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('a MITM\'d request to an upstream with an untrusted certificate fails (502), nothing is sent', async () => {
    const r = await curl(`https://api.github.test:${up.https.port}/secret-path`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(r.connectStatus, 200);
    assert.equal(r.status, 502, r.body);
    assert.equal(up.https.received.length, 0);
  });
});

describe('SOCKS5 listener', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('full.toml'), upstreamCa: [up.https.caCertPath], socks: true });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('the listening line announces the SOCKS address', () => {
    assert.match(String(proxy.listening.socks), /^127\.0\.0\.1:\d+$/);
  });

  test('curl --socks5-hostname: allowed host tunnels, denied host is refused and logged', async () => {
    const socks = `socks5h://${proxy.listening.socks}`;
    const since = proxy.mark();
    const ok = await curl(`https://api.github.test:${up.https.port}/socks`, { proxy: socks, cacert: up.https.caCertPath });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.body) as { url: string }).url, '/socks');
    const allow = await decisionFor(proxy, 'api.github.test', since);
    assert.equal(allow.decision, 'allow');
    assert.match(String(allow.protocol), /socks/);

    const n = up.https.received.length;
    const denied = await curl(`https://b.tracker.test:${up.https.port}/`, { proxy: socks, cacert: up.https.caCertPath });
    assert.notEqual(denied.code, 0);
    assert.equal(up.https.received.length, n);
    const d = await decisionFor(proxy, 'b.tracker.test', since);
    assert.equal(d.reason, 'denied');
  });

  test('plain HTTP blocks still answer through the HTTP listener alongside SOCKS', async () => {
    const r = await curl(`http://other.test:${up.http.port}/`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 403);
    assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-allowlist');
  });
});

/** One raw request to the proxy; resolves with everything it answered until it closed. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = netConnect(port, '127.0.0.1', () => s.write(request));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.setTimeout(10_000, () => s.destroy());
  });
}
