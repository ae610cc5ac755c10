// The raw tunnel's download side (core/proxy/relay.ts): reads into reused memory, so these check
// what reuse could break — content of concurrent tunnels under backpressure, bytes the server sends
// before the relay starts, and the first-byte guard that no longer sees 'data' events.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connectForRelay, relayTo } from '../../../core/proxy/relay';
import { runTunnel, type TunnelReplies } from '../../../core/proxy/stages/tunnel';
import { stageRig, type StageRig } from './rig';

const meta = { method: 'CONNECT', path: null, client: 'test', startedAt: performance.now() };
const replies = (): TunnelReplies => ({ denied: () => assert.fail('denied'), opened: () => Buffer.alloc(0), failed: () => assert.fail('failed') });
const listen = (srv: Server): Promise<number> => new Promise((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as AddressInfo).port)));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A client socket whose peer is already in a raw tunnel to 127.0.0.1:port. */
async function tunnelTo(rig: StageRig, port: number): Promise<Socket> {
  const srv = createServer();
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const client = connect(await listen(srv), '127.0.0.1');
  const server = await accepted;
  srv.close();
  await runTunnel(rig.ctx, () => assert.fail('must not intercept'), server, { kind: 'connect', authority: `ok.test:${port}` }, 'ok.test', meta, replies());
  return client;
}

/** Everything the client receives until the upstream closes; `stallMs`: read nothing at first. */
function drain(client: Socket, stallMs: number): Promise<Buffer> {
  client.pause();
  const chunks: Buffer[] = [];
  client.on('data', (c: Buffer) => chunks.push(c));
  setTimeout(() => client.resume(), stallMs);
  return new Promise((r) => client.once('close', () => r(Buffer.concat(chunks))));
}

describe('raw tunnel relay (download side)', () => {
  let rig: StageRig;
  before(async () => (rig = await stageRig({ limits: { responseTimeoutMs: 400 } })));
  after(() => rig.close());

  test('concurrent tunnels, each with its own random content, slow and fast clients: every byte intact', async () => {
    const bodies = [0, 1, 2, 3, 4, 5].map((i) => randomBytes((12 << 20) + i * 4099));
    let next = 0;
    // Each upstream sends its body in uneven writes, so reads land at varied sizes.
    const origin = createServer((s) => {
      const body = bodies[next++]!;
      let at = 0;
      const pump = (): void => {
        while (at < body.length) {
          const end = Math.min(body.length, at + 1 + ((at * 7919) % 300_000));
          const more = s.write(body.subarray(at, end));
          at = end;
          if (!more) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const port = await listen(origin);
    const clients: Socket[] = [];
    for (let i = 0; i < bodies.length; i++) clients.push(await tunnelTo(rig, port));
    const got = await Promise.all(clients.map((c, i) => drain(c, i % 2 ? 700 : 0)));
    origin.close();
    got.forEach((g, i) => assert.equal(sha(g), sha(bodies[i]!), `tunnel ${i}: ${g.length} of ${bodies[i]!.length} bytes, content differs`));
  });

  test('a relay started late to a client that reads late: held bytes first, big reads wait for their writes, content intact', async () => {
    // The upstream fills the kernel's queues before the relay starts and while the client stalls,
    // so reads are large (the relay's own buffer) and writes to the client stay pending.
    const body = randomBytes(40 << 20);
    const origin = createServer((s) => s.end(body));
    const upstream = connectForRelay({ host: '127.0.0.1', port: await listen(origin) });
    await new Promise((r) => setTimeout(r, 200));
    const sinkSrv = createServer();
    const accepted = new Promise<Socket>((r) => sinkSrv.once('connection', r));
    const client = connect(await listen(sinkSrv), '127.0.0.1');
    const sink = await accepted;
    const got = drain(client, 500);
    assert.equal(relayTo(upstream, sink, () => {}), true);
    sink.on('finish', () => sink.destroy());
    const all = await got;
    assert.equal(all.length, body.length);
    assert.equal(sha(all), sha(body));
    origin.close();
    sinkSrv.close();
  });

  test('an upstream that speaks first (a banner) before the client sends anything: the client gets it', async () => {
    const origin = createServer((s) => s.write('SSH-2.0-relay-test\r\n'));
    const client = await tunnelTo(rig, await listen(origin));
    const line = await new Promise<string>((r) => client.once('data', (c: Buffer) => r(c.toString())));
    assert.equal(line, 'SSH-2.0-relay-test\r\n');
    client.destroy();
    origin.close();
  });

  test('an upstream that answered is not closed by the first-byte timeout later', async () => {
    const origin = createServer((s) => s.pipe(s));
    const client = await tunnelTo(rig, await listen(origin));
    const echo = (msg: string): Promise<string> => new Promise((r) => {
      client.once('data', (c: Buffer) => r(c.toString()));
      client.write(msg);
    });
    assert.equal(await echo('one'), 'one');
    // Longer than the rig's 400 ms response timeout: a guard that missed the first byte closes here.
    await new Promise((r) => setTimeout(r, 900));
    assert.equal(client.destroyed, false);
    assert.equal(await echo('two'), 'two');
    client.destroy();
    origin.close();
  });
});
