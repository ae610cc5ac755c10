// A client that goes away before the origin has answered (an h2 stream reset, a dropped
// connection; h2, HTTP/1.1 inside MITM, plain HTTP): the decision log gets one `outcome` for that
// request, failure `client_aborted` (the proxy answered nothing, so no status), and the upstream
// request is cancelled: the origin sees RST_STREAM CANCEL or its connection closed, not a request
// left open. Real peers: Node's http2/https/http clients through the proxy, and local origins
// (h2 with HTTP/1.1 by ALPN, and plain HTTP) that hold `/hold/…`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadOrCreateCa } from '../../../core/ca/index';
import { h2Request, h2Session, tunnelTls } from './h2Client';
import { disposeProxy, startProxy, tempDir, within, type ProxyEvent, type RunningProxy, type TempDir } from './harness';

const POLICY = `
default_permissions = "it"
[permissions.it.network]
enabled = true
mode = "full"
allow_local_binding = true
[permissions.it.network.domains]
"hold.test" = "allow"
"plain.test" = "allow"
[permissions.it.network.mitm.hooks.all]
host = "hold.test"
methods = ["GET", "POST"]
path_prefixes = ["/"]
action = ["strip"]
[permissions.it.network.mitm.actions.strip]
strip_request_headers = ["x-api-key"]
`;

/** A held request as the origin sees it: its RST_STREAM code when it closes (h2), or 'closed' (HTTP/1.1 connection gone). */
interface Held { closed: Promise<number | 'closed'> }

describe('a client that goes away before the response: one outcome, client_aborted; the upstream request cancelled', () => {
  let dir: TempDir;
  let origin: http2.Http2SecureServer;
  let port: number;
  let plain: http.Server;
  let plainPort: number;
  let h1Only: https.Server;
  let h1Port: number;
  let proxy: RunningProxy;
  const held = new Map<string, Held>();
  const arrived = new Map<string, () => void>();

  before(async () => {
    dir = tempDir('h2-reset-');
    const ca = await loadOrCreateCa(join(dir.path, 'ca'));
    origin = http2.createSecureServer({ allowHTTP1: true, SNICallback: (name, cb) => cb(null, ca.secureContextFor(name)) });
    origin.on('stream', (stream, headers) => {
      const path = String(headers[':path']);
      // Never answers: the test resets the client's stream while this one waits.
      if (path.startsWith('/hold/')) return hold(path, stream, once(stream, 'close').then(() => stream.rstCode));
      stream.respond({ ':status': 200 });
      stream.end('fine');
    });
    origin.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.httpVersion !== '2.0') h1Origin(req, res);
    });
    plain = http.createServer(h1Origin);
    h1Only = https.createServer({ SNICallback: (name, cb) => cb(null, ca.secureContextFor(name)) }, h1Origin);
    await new Promise<void>((r) => h1Only.listen(0, '127.0.0.1', r));
    h1Port = (h1Only.address() as AddressInfo).port;
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    port = (origin.address() as AddressInfo).port;
    plainPort = (plain.address() as AddressInfo).port;
    proxy = await startProxy({ config: POLICY, upstreamCa: [ca.certPath], resolve: ['hold.test=127.0.0.1'] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await new Promise<void>((r) => origin?.close(() => r()));
    plain?.closeAllConnections();
    h1Only?.closeAllConnections();
    await new Promise<void>((r) => h1Only?.close(() => r()));
    await new Promise<void>((r) => plain?.close(() => r()));
    dir?.cleanup();
  });

  function hold(path: string, body: NodeJS.ReadableStream, closed: Promise<number | 'closed'>): void {
    held.set(path, { closed });
    body.resume();
    arrived.get(path)?.();
  }

  /** An HTTP/1.1 origin: holds `/hold/…` until the connection closes, answers the rest. */
  function h1Origin(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url?.startsWith('/hold/')) return hold(req.url, req, once(res, 'close').then(() => 'closed' as const));
    res.end('fine');
  }

  /** Opens `path` (a POST whose body stays open when `upload`) and resolves once the origin holds it. */
  async function holdOpen(session: http2.ClientHttp2Session, path: string, upload: boolean): Promise<http2.ClientHttp2Stream> {
    const there = new Promise<void>((r) => arrived.set(path, r));
    const s = session.request({ ':method': upload ? 'POST' : 'GET', ':path': path }, { endStream: !upload });
    s.on('error', () => undefined);
    // An answer before the origin holds the stream (a 403 or 502) fails the test instead of hanging it.
    const early = once(s, 'response').then(([h]) => assert.fail(`answered ${String((h as http2.IncomingHttpHeaders)[':status'])} before the origin held the stream`));
    if (upload) s.write('part of a body');
    await Promise.race([there, early]);
    return s;
  }

  const outcomesOf = (id: unknown): ProxyEvent[] => proxy.events.filter((e) => e.event === 'outcome' && e.id === id);

  /** The one outcome of the held request at `path`: client_aborted, nothing answered; the origin's stream cancelled. */
  async function assertAborted(since: number, path: string, how: RegExp, cancelled: number | 'closed' = http2.constants.NGHTTP2_CANCEL): Promise<void> {
    const d = await proxy.waitFor((e) => e.event === 'decision' && e.path === path, { since, what: `the decision of ${path}` });
    assert.equal(d.decision, 'allow');
    const o = await proxy.waitFor((e) => e.event === 'outcome' && e.id === d.id, { since, what: `the outcome of ${path}` });
    const failure = o.failure as { reason: string; status: number | null; message: string } | undefined;
    assert.equal(failure?.reason, 'client_aborted', JSON.stringify(o));
    assert.equal(failure.status, null, 'the proxy answered nothing');
    assert.match(failure.message, /(hold|plain)\.test:\d+/);
    assert.match(failure.message, how);
    assert.equal(o.upstreamStatus, null);
    assert.equal(o.bytes, 0);
    const code = await within(held.get(path)!.closed, 5_000, 'the origin to see the stream close');
    assert.equal(code, cancelled, 'the upstream request was cancelled');
    await sleep(300);
    assert.equal(outcomesOf(d.id).length, 1, 'exactly one outcome for the aborted stream');
  }

  test('a GET reset (RST_STREAM CANCEL) while the origin holds it: one outcome, client_aborted; the origin sees CANCEL; the session goes on', async () => {
    const since = proxy.mark();
    const session = await h2Session(proxy.proxyUrl, 'hold.test', port, proxy.listening.caCert);
    try {
      const s = await holdOpen(session, '/hold/get', false);
      s.close(http2.constants.NGHTTP2_CANCEL);
      await assertAborted(since, '/hold/get', /reset the stream \(RST_STREAM CANCEL\)/);
      const next = await h2Request(session, { ':method': 'GET', ':path': '/after' });
      assert.equal(next.status, 200);
    } finally {
      session.close();
    }
  });

  test('an h2 client to an HTTP/1.1-only origin, stream reset while it holds the request: one outcome; the origin\'s connection closed', async () => {
    const since = proxy.mark();
    const session = await h2Session(proxy.proxyUrl, 'hold.test', h1Port, proxy.listening.caCert);
    try {
      const s = await holdOpen(session, '/hold/h2-to-h1', false);
      s.close(http2.constants.NGHTTP2_CANCEL);
      await assertAborted(since, '/hold/h2-to-h1', /reset the stream \(RST_STREAM CANCEL\)/, 'closed');
    } finally {
      session.close();
    }
  });

  test('a POST whose client connection drops mid-body: one outcome, client_aborted; the origin sees CANCEL', async () => {
    const since = proxy.mark();
    const socket = await tunnelTls(proxy.proxyUrl, 'hold.test', port, proxy.listening.caCert, ['h2']);
    const session = http2.connect(`https://hold.test:${port}`, { createConnection: () => socket });
    session.on('error', () => undefined);
    await holdOpen(session, '/hold/post', true);
    socket.destroy();
    await assertAborted(since, '/hold/post', /the client (closed the connection|reset the stream)/);
  });

  /** Sends `path` with `send`, destroys the client request once the origin holds it, checks the outcome. */
  async function abortH1(path: string, send: (path: string) => http.ClientRequest): Promise<void> {
    const since = proxy.mark();
    const there = new Promise<void>((r) => arrived.set(path, r));
    const req = send(path);
    req.on('error', () => undefined);
    const early = once(req, 'response').then(([r]) => assert.fail(`answered ${(r as http.IncomingMessage).statusCode} before the origin held the request`));
    req.end();
    await Promise.race([there, early]);
    req.destroy();
    await assertAborted(since, path, /the client closed the connection/, 'closed');
    assert.ok(!proxy.events.slice(since).some((e) => e.event === 'error'), 'a client leaving is not an upstream error');
  }

  test('HTTP/1.1 inside MITM: a client closing its connection while the origin holds the request', async () => {
    const socket = await tunnelTls(proxy.proxyUrl, 'hold.test', port, proxy.listening.caCert, ['http/1.1']);
    await abortH1('/hold/mitm-h1', (path) => https.request({ host: 'hold.test', port, path, createConnection: () => socket }));
  });

  test('plain HTTP through the proxy: a client closing its connection while the origin holds the request', async () => {
    const p = new URL(proxy.proxyUrl);
    const auth = p.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}` } : {};
    await abortH1('/hold/plain', (path) => http.request({ host: p.hostname, port: Number(p.port), path: `http://plain.test:${plainPort}${path}`, headers: { ...auth, host: `plain.test:${plainPort}` }, agent: false }));
  });
});
