// The MITM upstream leg of h1 clients runs over the lean client (core/proxy/client/tlsPools.ts).
// These tests pin what the node:https path did: response timeout with upload progress, bodies
// streamed both ways (content-length and chunked), raw header casing/order/duplicates with
// hop-by-hop stripped, the client's abort reaching the origin, and keep-alive reuse.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { CaHandle } from '../../../core/ca';
import { connectTunnel, startRig, tempDir, testCa, tlsOver, type Rig } from './helpers';

const CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"api.test" = "allow"
[permissions.work.network.mitm.hooks.api]
host = "api.test"
methods = ["GET", "POST", "PUT"]
path_prefixes = ["/"]
action = ["strip"]
[permissions.work.network.mitm.actions.strip]
strip_request_headers = ["cookie"]
`;

const TIMEOUT_MS = 1200;
const BURST = 72;

interface Origin {
  port: number;
  /** Sockets the origin accepted (keep-alive reuse shows as fewer sockets than requests). */
  sockets: number;
  /** Of those, still open. */
  open: number;
  /** Resolves when the origin's response to /hang closed before it finished (the proxy gave up on it). */
  hangClosed: Promise<void>;
  close(): void;
}

async function origin(ca: CaHandle): Promise<Origin> {
  const leaf = ca.leafFor('api.test');
  const held: http.ServerResponse[] = [];
  let closedHang!: () => void;
  const o = { sockets: 0, open: 0, hangClosed: new Promise<void>((r) => (closedHang = r)) } as Origin;
  const server = https.createServer({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, (req, res) => {
    if (req.url === '/silent') return; // accepts, never answers
    if (req.url === '/slow') {
      // Held until BURST requests are open at once, so each needs its own upstream socket. The
      // head goes out at once: on a loaded machine the burst can take longer than the response
      // timeout to assemble, which bounds the wait for a head, not for the body.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      held.push(res);
      if (held.length === BURST) for (const h of held.splice(0)) h.end('slow');
      return;
    }
    if (req.url === '/hang') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part');
      res.on('close', () => !res.writableFinished && closedHang());
      return;
    }
    if (req.url === '/headers') {
      res.writeHead(200, 'Fine Thanks', ['X-Mixed-Case', 'A', 'Set-Cookie', 'a=1', 'x-b', '2', 'set-cookie', 'b=2', 'Connection', 'keep-alive, X-Private', 'X-Private', 'p', 'Keep-Alive', 'timeout=30', 'Content-Length', '2']);
      return void res.end('ok');
    }
    // Echo: what arrived (framing, length, digest); a large reply for /big.
    const hash = createHash('sha256');
    let len = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      len += c.length;
    });
    req.on('end', () => {
      const info = JSON.stringify({ len, sha: hash.digest('hex'), te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null, cookie: req.headers.cookie ?? null });
      if (req.url !== '/big') return void res.end(info);
      res.writeHead(200, { 'x-info': info });
      const chunk = Buffer.alloc(64 * 1024, 'z');
      let left = 128; // 8 MiB, written with backpressure
      const pump = (): void => {
        while (left > 0) if (left-- && !res.write(chunk)) return void res.once('drain', pump);
        res.end();
      };
      pump();
    });
  });
  server.on('secureConnection', (c) => {
    o.sockets++;
    o.open++;
    c.once('close', () => o.open--);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  o.port = (server.address() as AddressInfo).port;
  o.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return o;
}

interface Reply {
  status: number;
  message: string;
  raw: string[];
  body: Buffer;
}

/** One request through a fresh MITM tunnel; `send` writes the body (default: none). */
async function request(rig: Rig, port: number, opts: { method?: string; path: string; headers?: Record<string, string>; send?: (r: http.ClientRequest) => void }): Promise<Reply> {
  const { res, socket } = await connectTunnel(rig.port, `api.test:${port}`);
  assert.equal(res.status, 200);
  const t = await tlsOver(socket, 'api.test', rig.proxy.ca.certPem);
  return new Promise((resolve, reject) => {
    const r = https.request({ createConnection: () => t, method: opts.method ?? 'GET', path: opts.path, headers: { host: `api.test:${port}`, ...opts.headers } }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        t.destroy();
        resolve({ status: up.statusCode ?? 0, message: up.statusMessage ?? '', raw: up.rawHeaders, body: Buffer.concat(chunks) });
      });
    });
    r.on('error', reject);
    if (opts.send) opts.send(r);
    else r.end();
  });
}

describe('MITM upstream leg over the lean client', () => {
  let rig: Rig;
  let up: Origin;
  before(async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    up = await origin(ca);
    rig = await startRig(CONFIG, { dir, auth: 'off', upstreamCaFiles: [ca.certPath], limits: { responseTimeoutMs: TIMEOUT_MS } });
  });
  after(async () => {
    await rig.close();
    up.close();
  });

  test('raw header casing, order and duplicates come back; hop-by-hop and Connection-named headers do not', async () => {
    const r = await request(rig, up.port, { path: '/headers' });
    assert.equal(r.status, 200);
    assert.equal(r.message, 'Fine Thanks');
    // Date and Connection are the proxy's own (its server side), not the origin's.
    const names = r.raw.filter((_, i) => i % 2 === 0);
    assert.deepEqual(names.filter((n) => n !== 'Date' && n !== 'Connection'), ['X-Mixed-Case', 'Set-Cookie', 'x-b', 'set-cookie', 'Content-Length']);
    assert.doesNotMatch(r.raw[names.indexOf('Connection') * 2 + 1]!, /private/i);
    assert.deepEqual(r.raw.filter((_, i) => i % 2 === 1 && /^[ab]=/.test(r.raw[i]!)), ['a=1', 'b=2']);
    assert.equal(r.body.toString(), 'ok');
  });

  test('request bodies stream with content-length and chunked framing kept; a large response arrives whole', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 7, 'q');
    const digest = createHash('sha256').update(body).digest('hex');
    const fixed = await request(rig, up.port, { method: 'PUT', path: '/big', headers: { 'content-length': String(body.length), cookie: 'c=stripped' }, send: (r) => r.end(body) });
    assert.equal(fixed.status, 200, fixed.body.toString());
    const info = JSON.parse(fixed.raw[fixed.raw.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'x-info') + 1]!) as Record<string, unknown>;
    assert.deepEqual(info, { len: body.length, sha: digest, te: null, cl: String(body.length), cookie: null });
    assert.equal(fixed.body.length, 8 * 1024 * 1024);
    const chunked = await request(rig, up.port, {
      method: 'POST', path: '/echo', send: (r) => {
        r.write(body.subarray(0, 1000));
        setTimeout(() => r.end(body.subarray(1000)), 20);
      },
    });
    assert.deepEqual(JSON.parse(chunked.body.toString()), { len: body.length, sha: digest, te: 'chunked', cl: null, cookie: null });
    const none = await request(rig, up.port, { path: '/echo' });
    assert.deepEqual(JSON.parse(none.body.toString()), { len: 0, sha: createHash('sha256').digest('hex'), te: null, cl: null, cookie: null });
  });

  test('keep-alive: sequential requests reuse the pooled upstream socket', async () => {
    const before = up.sockets;
    for (let i = 0; i < 4; i++) assert.equal((await request(rig, up.port, { path: '/echo' })).status, 200);
    assert.ok(up.sockets - before <= 1, `opened ${up.sockets - before} upstream sockets for 4 sequential requests`);
  });

  test('after a burst, at most 64 idle upstream sockets stay open (as the https.Agent kept)', async () => {
    const burst = await Promise.all(Array.from({ length: BURST }, () => request(rig, up.port, { path: '/slow' })));
    assert.ok(burst.every((r) => r.status === 200));
    const peak = up.sockets;
    assert.ok(peak >= BURST, `the burst used ${peak} upstream sockets`);
    const deadline = Date.now() + 10_000;
    while (up.open > 64 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(up.open <= 64, `${up.open} upstream sockets still open`);
    assert.ok(up.open >= 50, `only ${up.open} kept for reuse`);
  });

  test('an upload slower than the response timeout is progress, not a timeout', async () => {
    const r = await request(rig, up.port, {
      method: 'POST', path: '/echo', send: (req) => {
        let n = 0;
        const tick = setInterval(() => {
          if (++n < 6) return void req.write('x'.repeat(10));
          clearInterval(tick);
          req.end();
        }, TIMEOUT_MS / 3);
      },
    });
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body.toString()) as { len: number }).len, 50);
  });

  test('an upload that stalls: the client still hears the 504', async () => {
    const r = await request(rig, up.port, { method: 'POST', path: '/echo', headers: { 'content-length': '100' }, send: (req) => void req.write('x'.repeat(10)) });
    assert.equal(r.status, 504);
    assert.match(r.body.toString(), /did not answer/);
  });

  test('a silent origin: 504 naming it after the response timeout, with the reason on the outcome event', async () => {
    const r = await request(rig, up.port, { path: '/silent' });
    assert.equal(r.status, 504);
    assert.match(r.body.toString(), new RegExp(`api.test:${up.port} did not answer within ${TIMEOUT_MS} ms`));
    assert.ok(rig.events.some((e) => e.event === 'outcome' && (e as { failure?: { reason?: string; status?: number } }).failure?.reason === 'response_timeout'));
  });

  test('a client that goes away mid-response: the upstream request is destroyed', async () => {
    const { socket } = await connectTunnel(rig.port, `api.test:${up.port}`);
    const t = await tlsOver(socket, 'api.test', rig.proxy.ca.certPem);
    t.write(`GET /hang HTTP/1.1\r\nHost: api.test:${up.port}\r\n\r\n`);
    await new Promise((r) => t.once('data', r));
    t.destroy();
    await Promise.race([up.hangClosed, new Promise((_, j) => setTimeout(() => j(new Error('origin response still open 3 s after the client left')), 3000))]);
  });
});
