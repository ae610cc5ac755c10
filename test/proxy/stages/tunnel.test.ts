import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Decision } from '../../../core/policy/decide';
import type { Tunnel } from '../../../core/proxy/context';
import { runTunnel, type TunnelReplies } from '../../../core/proxy/stages/tunnel';
import { stageRig, type StageRig } from './rig';

/** A connected socket pair: `server` is the stream the tunnel stage works on, `client` the peer. */
async function pair(): Promise<{ server: Socket; client: Socket; close(): void }> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const client = connect((srv.address() as AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  return { server, client, close: () => srv.close() };
}

function recorder(head = Buffer.alloc(0)): TunnelReplies & { calls: string[]; denial?: Decision } {
  const calls: string[] = [];
  const r: TunnelReplies & { calls: string[]; denial?: Decision } = {
    calls,
    denied: (d) => {
      calls.push('denied');
      r.denial = d;
    },
    opened: (up) => {
      calls.push(up ? 'opened:dialled' : 'opened:intercepted');
      return head;
    },
    failed: (timeout) => void calls.push(`failed:${timeout}`),
    handedOff: () => void calls.push('handedOff'),
  };
  return r;
}

const meta = { method: 'CONNECT', path: null, client: 'test', startedAt: performance.now() };

describe('tunnel pipeline: judge → dial | intercept', () => {
  let rig: StageRig;
  let echo: Server;
  let echoPort: number;
  before(async () => {
    rig = await stageRig();
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as AddressInfo).port;
  });
  after(() => {
    echo.close();
    rig.close();
  });

  test('a denied tunnel gets the denial and nothing is dialled or intercepted', async () => {
    const p = await pair();
    const replies = recorder();
    await runTunnel(rig.ctx, () => assert.fail('must not intercept'), p.server, { kind: 'connect', authority: `blocked.test:${echoPort}` }, 'blocked.test', meta, replies);
    assert.deepEqual(replies.calls, ['denied']);
    assert.equal(replies.denial?.reason, 'denied');
    p.client.destroy();
    p.close();
  });

  test('an allowed raw tunnel dials the checked address, forwards the early bytes, splices both ways, records the outcome', async () => {
    const p = await pair();
    const replies = recorder(Buffer.from('early,'));
    await runTunnel(rig.ctx, () => assert.fail('must not intercept'), p.server, { kind: 'connect', authority: `ok.test:${echoPort}` }, 'ok.test', meta, replies);
    assert.deepEqual(replies.calls, ['opened:dialled', 'handedOff']);
    p.client.write('late');
    let got = '';
    await new Promise<void>((r) => p.client.setEncoding('utf8').on('data', (c: string) => {
      got += c;
      if (got.length >= 10) r();
    }));
    assert.equal(got, 'early,late');
    const done = new Promise<void>((r) => rig.ctx.events.onEvent((e) => e.event === 'outcome' && r()));
    p.client.destroy();
    await done;
    const outcome = [...rig.events].reverse().find((e) => e.event === 'outcome');
    assert.ok(outcome?.event === 'outcome' && outcome.bytes === 20 && outcome.upstreamStatus === null);
    p.close();
  });

  test('an upstream that sends a large body and closes at once: the slow client still gets every byte', async () => {
    // The upstream's FIN arrives while most of the body still waits in the proxy's write buffer to
    // the client; closing the client side then must flush it, not destroy it.
    const body = Buffer.alloc((24 << 20) + 1000, 7);
    const burst = createServer((s) => s.end(body));
    await new Promise<void>((r) => burst.listen(0, '127.0.0.1', () => r()));
    const port = (burst.address() as AddressInfo).port;
    const p = await pair();
    const replies = recorder();
    await runTunnel(rig.ctx, () => assert.fail('must not intercept'), p.server, { kind: 'connect', authority: `ok.test:${port}` }, 'ok.test', meta, replies);
    p.client.pause();
    await new Promise((r) => setTimeout(r, 400));
    let got = 0;
    await new Promise<void>((resolve) => {
      p.client.on('data', (c: Buffer) => (got += c.length));
      p.client.once('close', () => resolve());
      p.client.resume();
    });
    assert.equal(got, body.length);
    p.close();
    burst.close();
  });

  test('a hooked host is intercepted with the judged tunnel; the early bytes go back onto the stream', async () => {
    const p = await pair();
    const replies = recorder(Buffer.from('hello'));
    let tunnel: Tunnel | undefined;
    let unread = '';
    await runTunnel(rig.ctx, (s, t) => {
      tunnel = t;
      unread = String(s.read() ?? '');
    }, p.server, { kind: 'connect', authority: 'hooked.test:443' }, 'hooked.test', meta, replies);
    assert.deepEqual(replies.calls, ['opened:intercepted', 'handedOff']);
    assert.deepEqual(tunnel, { host: 'hooked.test', port: 443, client: 'test' });
    assert.equal(unread, 'hello');
    p.client.destroy();
    p.close();
  });

  test('an upstream that refuses the connection is a failure, not a timeout', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const p = await pair();
    const replies = recorder();
    await runTunnel(rig.ctx, () => assert.fail('must not intercept'), p.server, { kind: 'connect', authority: `ok.test:${port}` }, 'ok.test', meta, replies);
    assert.deepEqual(replies.calls, ['failed:false']);
    p.client.destroy();
    p.close();
  });
});
