// HTTP/2 inside MITM: curl --http2 and Node's http2 client through the proxy to local h2 (and
// h1-only) origins. Each h2 stream is judged like an h1 request (hooks strip/inject, default deny
// on a hooked host, limited mode), blocks are 403 + x-proxy-error, the upstream hop is h2 when
// the origin offers it and stays verified (an untrusted origin is refused over h2 too).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';
import { curlH2, h2Request, h2Session } from './h2Client';
import { startH2Upstream, type H2Upstream } from './h2Upstream';

const CANARY = `canary-h2-${randomBytes(12).toString('hex')}`;
const FILE_CANARY = `canary-h2-file-${randomBytes(12).toString('hex')}`;

describe('HTTP/2 inside MITM', () => {
  let h2: H2Upstream;
  let h1: H2Upstream;
  let untrusted: H2Upstream;
  let proxy: RunningProxy;
  let secrets: TempDir;
  before(async () => {
    [h2, h1, untrusted] = await Promise.all([startH2Upstream('h2'), startH2Upstream('h1'), startH2Upstream('h2')]);
    secrets = tempDir('secrets-');
    const secretFile = join(secrets.path, 'audit-key');
    writeFileSync(secretFile, `${FILE_CANARY}\n`, { mode: 0o600 });
    proxy = await startProxy({ config: fixture('inject.toml', { AUDIT_SECRET_FILE: secretFile }), env: { IT_GITHUB_TOKEN: CANARY }, upstreamCa: [h2.caCertPath, h1.caCertPath], args: ['--response-timeout', '2000'] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await Promise.all([h2?.close(), h1?.close(), untrusted?.close()]);
    secrets?.cleanup();
  });

  test('curl --http2: h2 on both hops, the hook strips and injects on the h2 request', async () => {
    const since = proxy.mark();
    const n = h2.seen.length;
    const r = await curlH2(`https://api.github.test:${h2.port}/repos/myorg/app?x=1`, proxy.proxyUrl, proxy.listening.caCert, ['-H', 'Authorization: Bearer agent-found-this', '-H', 'X-Api-Key: k', '-H', 'x-keep: yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200);
    assert.equal(r.version, '2', 'the proxy spoke h2 to curl');
    assert.equal(h2.seen.length, n + 1);
    const got = h2.seen[n]!;
    assert.equal(got.httpVersion, '2.0', 'the origin was reached over h2');
    assert.equal(got.url, '/repos/myorg/app?x=1');
    assert.equal(got.headers.authorization, `Bearer ${CANARY}`);
    assert.equal(got.headers['x-audit-source'], FILE_CANARY);
    assert.equal(got.headers['x-api-key'], undefined);
    assert.equal(got.headers['x-keep'], 'yes');
    assert.equal(got.headers[':authority'], `api.github.test:${h2.port}`);
    assert.ok(!r.headers.includes(CANARY) && !r.stderr.includes(CANARY));
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.mitm === true && e.method === 'GET');
    assert.equal(d.decision, 'allow');
    assert.equal(d.hook, 'rotate');
    assert.equal(d.path, '/repos/myorg/app');
    const o = await proxy.waitFor((e) => e.event === 'outcome' && e.id === d.id, { since, what: 'the outcome' });
    assert.equal(o.upstreamStatus, 200);
    assert.ok(Number(o.bytes) > 0);
    assert.ok(!proxy.stdout().includes(CANARY) && !proxy.stdout().includes(FILE_CANARY), 'no secret in the event stream');
  });

  test('curl --http2: an unmatched path on a hooked host is 403 + x-proxy-error over h2', async () => {
    const n = h2.seen.length;
    const r = await curlH2(`https://api.github.test:${h2.port}/orgs/other`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.version, '2');
    assert.equal(r.status, 403);
    assert.match(r.headers, /^x-proxy-error: blocked-by-mitm-hook$/im);
    assert.equal(h2.seen.length, n, 'nothing reached the origin');
  });

  test('curl --http2 to an HTTP/1.1-only origin: h2 to the client, HTTP/1.1 upstream', async () => {
    const n = h1.seen.length;
    const r = await curlH2(`https://internal-api.company.test:${h1.port}/status`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200);
    assert.equal(r.version, '2');
    assert.equal(h1.seen[n]?.httpVersion, '1.1');
    assert.equal(h1.seen[n]?.headers.host, `internal-api.company.test:${h1.port}`);
  });

  test('curl --http1.1 still gets HTTP/1.1 (ALPN offers both)', async () => {
    const n = h2.seen.length;
    const r = await curlH2(`https://api.github.test:${h2.port}/repos/myorg/h1`, proxy.proxyUrl, proxy.listening.caCert, ['--http1.1']);
    assert.equal(r.status, 200, r.stderr);
    assert.equal(r.version, '1.1');
    assert.equal(h2.seen[n]?.httpVersion, '1.1', 'an h1 client stays on HTTP/1.1 upstream');
  });

  test('Node http2 client: concurrent streams on one session, POST bodies, one decision per stream', async () => {
    const session = await h2Session(proxy.proxyUrl, 'api.github.test', h2.port, proxy.listening.caCert);
    try {
      const since = proxy.mark();
      const replies = await Promise.all([1, 2, 3, 4].map((i) => h2Request(session, { ':method': 'POST', ':path': `/repos/myorg/p${i}`, 'content-type': 'text/plain' }, `body-${i}`)));
      for (const [i, r] of replies.entries()) {
        assert.equal(r.status, 200);
        const seen = JSON.parse(r.body) as { httpVersion: string; body: string; url: string; headers: Record<string, string> };
        assert.equal(seen.httpVersion, '2.0');
        assert.equal(seen.url, `/repos/myorg/p${i + 1}`);
        assert.equal(seen.body, `body-${i + 1}`);
        assert.equal(seen.headers.authorization, `Bearer ${CANARY}`);
      }
      const t = await h2Request(session, { ':method': 'GET', ':path': '/trailers' });
      assert.equal(t.status, 403, 'not a hooked path: denied like any request');
      assert.equal(t.headers['x-proxy-error'], 'blocked-by-mitm-hook');
      await decisionFor(proxy, 'api.github.test', since, (e) => e.decision === 'deny' && e.path === '/trailers');
      // This test's paths only: the proxy writes a decision's line before its response, but this
      // process may read the previous test's line from the pipe after `since` was taken.
      const mine = new Set([1, 2, 3, 4].map((i) => `/repos/myorg/p${i}`).concat('/trailers'));
      const decisions = proxy.decisions('api.github.test', since).filter((e) => e.mitm === true && mine.has(String(e.path)));
      assert.equal(decisions.length, 5, 'one decision per stream');
    } finally {
      session.close();
    }
  });

  test('Node http2 client: request trailers reach an h2 origin; CONNECT inside the h2 tunnel is 405', async () => {
    const session = await h2Session(proxy.proxyUrl, 'api.github.test', h2.port, proxy.listening.caCert);
    try {
      const reply = await new Promise<{ trailers: Record<string, string> }>((resolve, reject) => {
        const s = session.request({ ':method': 'POST', ':path': '/repos/myorg/upload' }, { waitForTrailers: true });
        s.on('wantTrailers', () => s.sendTrailers({ 'x-digest': 'sha-256=abc' }));
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as { trailers: Record<string, string> }));
        s.on('error', reject);
        s.end('payload');
      });
      assert.equal(reply.trailers['x-digest'], 'sha-256=abc');
      const c = await h2Request(session, { ':method': 'CONNECT', ':authority': 'elsewhere.test:443' });
      assert.equal(c.status, 405);
    } finally {
      session.close();
    }
  });

  test('an h2 origin that never answers: 504 on the stream after the response timeout, the session stays usable', async () => {
    const session = await h2Session(proxy.proxyUrl, 'api.github.test', h2.port, proxy.listening.caCert);
    try {
      const hung = await h2Request(session, { ':method': 'GET', ':path': '/repos/myorg/hang' });
      assert.equal(hung.status, 504);
      assert.match(hung.body, /did not answer within 2000 ms/);
      const next = await h2Request(session, { ':method': 'GET', ':path': '/repos/myorg/after' });
      assert.equal(next.status, 200);
    } finally {
      session.close();
    }
  });

  test('an origin whose certificate the proxy does not trust is refused over h2 (502)', async () => {
    const since = proxy.mark();
    const r = await curlH2(`https://api.github.test:${untrusted.port}/repos/myorg/x`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(r.version, '2');
    assert.equal(r.status, 502);
    assert.equal(untrusted.seen.length, 0);
    await proxy.waitFor((e) => e.event === 'error' && /certificate|self.signed|issuer/i.test(String(e.message)), { since, what: 'the verification error' });
    // The 502 is the request's outcome too (docs/semantics.md #8 session 7).
    const o = await proxy.waitFor((e) => e.event === 'outcome' && (e.failure as { reason?: string } | undefined)?.reason === 'upstream_tls', { since, what: 'the upstream_tls outcome' });
    assert.equal((o.failure as { status: number }).status, 502);
    assert.match((o.failure as { message: string }).message, new RegExp(`^upstream api\\.github\\.test:${untrusted.port}: `));
  });
});

describe('HTTP/2 inside MITM: limited mode and trailers', () => {
  let h2: H2Upstream;
  let proxy: RunningProxy;
  before(async () => {
    h2 = await startH2Upstream('h2');
    proxy = await startProxy({ config: fixture('limited.toml'), upstreamCa: [h2.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await h2?.close();
  });

  test('POST on h2 is 403 blocked-by-method-policy; GET passes with h2 upstream and response trailers', async () => {
    const session = await h2Session(proxy.proxyUrl, 'api.github.test', h2.port, proxy.listening.caCert);
    try {
      const n = h2.seen.length;
      const post = await h2Request(session, { ':method': 'POST', ':path': '/write' }, 'x');
      assert.equal(post.status, 403);
      assert.equal(post.headers['x-proxy-error'], 'blocked-by-method-policy');
      assert.equal(h2.seen.length, n);
      const get = await h2Request(session, { ':method': 'GET', ':path': '/trailers' });
      assert.equal(get.status, 200);
      assert.equal((JSON.parse(get.body) as { httpVersion: string }).httpVersion, '2.0');
      assert.equal(get.trailers['x-checksum'], 'abc123', 'response trailers cross the proxy');
    } finally {
      session.close();
    }
    const curl = await curlH2(`https://api.github.test:${h2.port}/write`, proxy.proxyUrl, proxy.listening.caCert, ['-X', 'POST', '--data', 'x']);
    assert.equal(curl.version, '2');
    assert.equal(curl.status, 403);
    assert.match(curl.headers, /^x-proxy-error: blocked-by-method-policy$/im);
  });
});
