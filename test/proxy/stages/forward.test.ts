import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { headerLookup, pairsOf } from '../../../core/proxy/hopByHop';
import type { Incoming, Reply } from '../../../core/proxy/responses';
import { runRequest, type RequestPlan } from '../../../core/proxy/stages/request';
import { serve, stageRig, type StageRig } from './rig';

/** A plain-HTTP plan for `ok.test` (or another host) on the upstream's port. */
function plan(req: Incoming, port: number, host = 'ok.test', path = '/hello'): RequestPlan {
  const pairs = pairsOf(req.rawHeaders);
  const method = req.method ?? 'GET';
  return {
    decision: { kind: 'http', method, host, port, scheme: 'http', path, query: '', headers: headerLookup(pairs) },
    pairs, host, method, path, url: path, client: 'test', startedAt: performance.now(), authority: `${host}:${port}`, port, tls: false, label: `${host}:${port}`,
  };
}

/** A front server (HTTP/1 or HTTP/2 compat) whose every request runs the request pipeline. */
async function front(rig: StageRig, kind: 'h1' | 'h2', upPort: number, host?: string): Promise<{ port: number; close(): void }> {
  const handler = (req: Incoming, res: Reply): void => void runRequest(rig.ctx, req, res, plan(req, upPort, host));
  const server = kind === 'h1' ? http.createServer(handler) : http2.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function get(port: number): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ port, host: '127.0.0.1', path: '/hello', agent: false, headers: { connection: 'close, x-hop', 'x-hop': '1', 'x-keep': 'k' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe('request pipeline: judge → rewrite → forward', () => {
  let rig: StageRig;
  let up: Awaited<ReturnType<typeof serve>>;
  let seen: http.IncomingHttpHeaders[];
  before(async () => {
    rig = await stageRig({ limits: { responseTimeoutMs: 300 } });
    seen = [];
    up = await serve((req, res) => {
      seen.push(req.headers);
      if (req.url === '/silent') return;
      res.writeHead(201, { 'x-up': 'yes', connection: 'keep-alive, x-drop', 'x-drop': '1', 'set-cookie': ['a=1', 'b=2'] });
      res.end('upstream body');
    });
  });
  after(async () => {
    await up.close();
    rig.close();
  });

  test('HTTP/1 front: forwarded with hop-by-hop headers stripped both ways; outcome recorded', async () => {
    const f = await front(rig, 'h1', up.port);
    const r = await get(f.port);
    f.close();
    assert.equal(r.status, 201);
    assert.equal(r.body, 'upstream body');
    assert.equal(r.headers['x-up'], 'yes');
    assert.equal(r.headers['x-drop'], undefined);
    assert.equal(seen.at(-1)!['x-keep'], 'k');
    assert.equal(seen.at(-1)!['x-hop'], undefined);
    await new Promise((r) => setTimeout(r, 50));
    const outcome = [...rig.events].reverse().find((e) => e.event === 'outcome');
    assert.ok(outcome && outcome.event === 'outcome');
    assert.equal(outcome.upstreamStatus, 201);
    assert.equal(outcome.bytes, 'upstream body'.length);
  });

  test('HTTP/2 compatibility front: the same pipeline, pseudo-headers never reach the HTTP/1 upstream', async () => {
    const f = await front(rig, 'h2', up.port);
    const session = http2.connect(`http://127.0.0.1:${f.port}`);
    const { status, headers, body } = await new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const s = session.request({ ':path': '/hello', ':authority': `ok.test:${up.port}`, 'x-keep': 'h2' });
      let b = '';
      let h: http2.IncomingHttpHeaders = {};
      s.on('response', (x) => (h = x)).setEncoding('utf8').on('data', (c: string) => (b += c)).on('end', () => resolve({ status: Number(h[':status']), headers: h, body: b })).on('error', reject);
    });
    session.close();
    f.close();
    assert.equal(status, 201);
    assert.equal(body, 'upstream body');
    assert.deepEqual(headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(headers['x-drop'], undefined);
    assert.equal(seen.at(-1)!['x-keep'], 'h2');
    assert.equal(seen.at(-1)![':path'], undefined);
    assert.equal(seen.at(-1)!.host, `ok.test:${up.port}`);
  });

  test('a denied host is answered by the pipeline (JSON block) and never reaches the upstream', async () => {
    const n = seen.length;
    const f = await front(rig, 'h1', up.port, 'blocked.test');
    const r = await get(f.port);
    f.close();
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-proxy-error'], 'blocked-by-denylist');
    assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'denied');
    assert.equal(seen.length, n);
  });

  test('an upstream that accepts and stays silent gets a timely 504 naming it; the outcome event carries the reason', async () => {
    const server = http.createServer((req, res) => void runRequest(rig.ctx, req, res, plan(req, up.port, 'ok.test', '/silent')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const r = await get((server.address() as AddressInfo).port);
    server.close();
    assert.equal(r.status, 504);
    assert.match(r.body, new RegExp(`ok.test:${up.port} did not answer within 300 ms`));
    assert.ok(rig.events.some((e) => e.event === 'outcome' && e.failure?.reason === 'response_timeout' && e.failure.status === 504 && /did not answer/.test(e.failure.message)));
    assert.ok(!rig.events.some((e) => e.event === 'error' && /did not answer/.test(e.message)), 'no separate error event');
  });
});
