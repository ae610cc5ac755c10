// gRPC client streaming, bidirectional streaming, cancellation, deadlines and backpressure through
// the MITM proxy, with @grpc/grpc-js on both ends (peers in grpcPeers.ts). Every reply is computed
// by the server from what it received, so a relay that drops, reorders or buffers a stream fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { loadOrCreateCa } from '../../../core/ca/index';
import { method, proxiedClient, startGrpcServer, stopGrpcServer, type Msg } from './grpcPeers';
import { decisionFor, disposeProxy, startProxy, within, type RunningProxy } from './harness';

const CANARY = `canary-grpcs-${randomBytes(12).toString('hex')}`;
// Short enough that a client stream outlasting it is tested in a few seconds (see the last-but-one test).
const RESPONSE_TIMEOUT_MS = 1500;

const POLICY = `
default_permissions = "it"
[permissions.it.network]
enabled = true
mode = "full"
allow_local_binding = true
[permissions.it.network.domains]
"api.github.test" = "allow"
"tracker.test" = "deny"
[permissions.it.network.mitm.hooks.grpc]
host = "api.github.test"
methods = ["POST"]
path_prefixes = ["/test.Stream/"]
action = ["token"]
[permissions.it.network.mitm.actions.token]
strip_request_headers = ["x-api-key"]
[[permissions.it.network.mitm.actions.token.inject_request_headers]]
name = "authorization"
secret_env_var = "IT_GRPC_TOKEN"
prefix = "Bearer "
`;

const SERVICE = {
  collect: method('/test.Stream/Collect', true, false),
  chat: method('/test.Stream/Chat', true, true),
  flood: method('/test.Stream/Flood', false, true),
  upload: method('/test.Stream/Upload', true, false),
};

interface StreamClient extends grpc.Client {
  collect(md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: Msg) => void): grpc.ClientWritableStream<Msg>;
  chat(md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientDuplexStream<Msg, Msg>;
  flood(req: Msg): grpc.ClientReadableStream<Msg>;
  upload(cb: (e: grpc.ServiceError | null, r?: Msg) => void): grpc.ClientWritableStream<Msg>;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
/** The chat's rule: each reply is the hash of the previous reply and the message just received. */
const nextReply = (prev: string, v: unknown): string => sha(`${prev}|${String(v)}`);

/** What the server saw of each call, by the client's `x-call` metadata. */
interface Seen { cancelled: Promise<void>; peer: string }
const seen = new Map<string, Seen>();
/** The flood's progress as the server sees it (test 5). */
const flood = { completed: 0, sawFalse: false };
/** The upload's server side (test 10): paused after its first message until `resume()`. */
const upload = { received: 0, resume: (): void => undefined };

function track(call: grpc.ServerDuplexStream<Msg, Msg> | grpc.ServerWritableStream<Msg, Msg>): void {
  const id = String(call.metadata.get('x-call')[0] ?? '');
  seen.set(id, { cancelled: new Promise<void>((r) => call.once('cancelled', () => r())), peer: call.getPeer() });
}

const impl: grpc.UntypedServiceImplementation = {
  collect: (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    const hash = createHash('sha256');
    let count = 0;
    call.on('data', (m: Msg) => {
      hash.update(JSON.stringify(m));
      count++;
    });
    call.on('end', () => cb(null, {
      count, hash: hash.digest('hex'),
      authorization: call.metadata.get('authorization')[0] === `Bearer ${CANARY}`, apiKey: call.metadata.get('x-api-key').length,
    }));
  },
  chat: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
    track(call);
    let last = 'seed';
    let count = 0;
    call.on('data', (m: Msg) => {
      if (m.hang) return;
      if (m.end === 'ok') {
        const trailers = new grpc.Metadata();
        trailers.set('x-summary', `${count}:${last}`);
        trailers.set('x-raw-bin', Buffer.from([0, 1, 2, 255]));
        return void call.end(trailers);
      }
      if (m.end === 'exhausted') {
        const trailers = new grpc.Metadata();
        trailers.set('x-retry-after', '7');
        return void call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: `quota gone after ${count}`, metadata: trailers });
      }
      count++;
      last = nextReply(last, m.v);
      call.write({ v: last });
    });
    call.on('end', () => call.end());
  },
  upload: (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    const hash = createHash('sha256');
    call.on('data', (m: Msg) => {
      hash.update(JSON.stringify(m));
      if (upload.received++ === 0) {
        call.pause();
        upload.resume = () => call.resume();
      }
    });
    call.on('end', () => cb(null, { count: upload.received, hash: hash.digest('hex') }));
  },
  flood: async (call: grpc.ServerWritableStream<Msg, Msg>) => {
    track(call);
    const pad = 'f'.repeat(Number(call.request.size));
    for (let i = 0; i < Number(call.request.total) && !call.cancelled; i++) {
      if (!call.write({ i, pad }, () => flood.completed++)) {
        flood.sawFalse = true;
        await once(call, 'drain');
      }
    }
    call.end();
  },
};

/** Sends one chat message and waits for its reply, checking the reply follows from it. */
async function pingPong(s: grpc.ClientDuplexStream<Msg, Msg>, state: { last: string }, v: string): Promise<void> {
  const reply = once(s, 'data') as Promise<[Msg]>;
  s.write({ v });
  const [m] = await reply;
  const want = nextReply(state.last, v);
  assert.equal(m.v, want, 'the reply must follow from this message and the one before');
  state.last = want;
}

const statusOf = (s: grpc.ClientDuplexStream<Msg, Msg> | grpc.ClientReadableStream<Msg>): Promise<grpc.StatusObject> =>
  new Promise((resolve) => {
    s.on('error', () => undefined); // a non-OK status is also emitted as an error; the status event carries it whole
    s.once('status', resolve);
  });

function callMd(id: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-call', id);
  return md;
}

describe('gRPC streaming (grpc-js) through the MITM proxy', () => {
  let server: grpc.Server;
  let port: number;
  let dir: string;
  let proxy: RunningProxy;
  let client: StreamClient;
  let patient: RunningProxy;
  let patientClient: StreamClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grpcs-it-'));
    const ca = await loadOrCreateCa(join(dir, 'upstream-ca'));
    ({ server, port } = await startGrpcServer(SERVICE, impl, ca.leafFor('api.github.test')));
    proxy = await startProxy({ config: POLICY, env: { IT_GRPC_TOKEN: CANARY }, upstreamCa: [ca.certPath], args: ['--response-timeout', String(RESPONSE_TIMEOUT_MS)] });
    client = proxiedClient<StreamClient>(SERVICE, `api.github.test:${port}`, proxy.proxyUrl, proxy.listening.caCert);
    // The default response timeout (60 s): a paused server must stall the client, not time out, however slow the machine.
    patient = await startProxy({ config: POLICY, env: { IT_GRPC_TOKEN: CANARY }, upstreamCa: [ca.certPath] });
    patientClient = proxiedClient<StreamClient>(SERVICE, `api.github.test:${port}`, patient.proxyUrl, patient.listening.caCert);
  });
  after(async () => {
    client?.close();
    patientClient?.close();
    await disposeProxy(patient);
    await disposeProxy(proxy);
    await stopGrpcServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Client-streams `msgs` (waiting for drain when asked, `gapMs` between messages), half-closes, returns the server's summary. */
  async function collect(msgs: Msg[], gapMs = 0): Promise<Msg> {
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer agent');
    md.set('x-api-key', 'k');
    let done!: Promise<Msg>;
    const s = await new Promise<grpc.ClientWritableStream<Msg>>((ready) => {
      done = new Promise<Msg>((resolve, reject) => ready(client.collect(md, (e, r) => (e ? reject(e) : resolve(r!)))));
    });
    for (const m of msgs) {
      if (!s.write(m)) await once(s, 'drain');
      if (gapMs) await sleep(gapMs);
    }
    s.end();
    return done;
  }

  const summaryOf = (msgs: Msg[]): Msg => ({
    count: msgs.length, hash: msgs.reduce((h, m) => h.update(JSON.stringify(m)), createHash('sha256')).digest('hex'), authorization: true, apiKey: 0,
  });

  test('client streaming: every message (one of 1 MiB, past the h2 window) arrives in order; half-close gets the summary; metadata rewritten', async () => {
    const since = proxy.mark();
    const big = randomBytes(768 * 1024).toString('base64'); // 1 MiB of text: 16 default (64 KiB) windows
    const msgs: Msg[] = [];
    for (let i = 0; i < 40; i++) msgs.push({ i, text: i === 20 ? big : randomBytes(64).toString('hex') });
    assert.deepEqual(await collect(msgs), summaryOf(msgs));
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.method === 'POST');
    assert.equal(d.decision, 'allow');
    assert.equal(d.hook, 'grpc');
    assert.equal(d.path, '/test.Stream/Collect');
    assert.ok(!proxy.stdout().includes(CANARY));
  });

  test('bidirectional ping-pong, each reply chained to the message before; OK status with custom trailers intact', async () => {
    const s = client.chat(callMd('pingpong'));
    const status = statusOf(s);
    const state = { last: 'seed' };
    for (let i = 0; i < 25; i++) await pingPong(s, state, `${i}-${state.last.slice(0, 8)}`);
    s.write({ end: 'ok' });
    s.end();
    const st = await status;
    assert.equal(st.code, grpc.status.OK, st.details);
    assert.deepEqual(st.metadata.get('x-summary'), [`25:${state.last}`]);
    assert.deepEqual(st.metadata.get('x-raw-bin'), [Buffer.from([0, 1, 2, 255])]);
  });

  test('bidirectional stream ended by the server with RESOURCE_EXHAUSTED: code, message and trailers arrive as such', async () => {
    const s = client.chat(callMd('exhausted'));
    const status = statusOf(s);
    const state = { last: 'seed' };
    for (let i = 0; i < 3; i++) await pingPong(s, state, `x${i}`);
    s.write({ end: 'exhausted' });
    const st = await status;
    assert.equal(st.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(st.details, 'quota gone after 3');
    assert.deepEqual(st.metadata.get('x-retry-after'), ['7']);
  });

  test('a client cancelling a bidi stream: the server sees the cancel; another stream on the same connections goes on', async () => {
    const a = client.chat(callMd('cancel-a'));
    const b = client.chat(callMd('cancel-b'));
    const aStatus = statusOf(a);
    const bStatus = statusOf(b);
    const sa = { last: 'seed' };
    const sb = { last: 'seed' };
    await pingPong(a, sa, 'a0');
    await pingPong(b, sb, 'b0');
    await pingPong(a, sa, 'a1');
    a.cancel();
    assert.equal((await aStatus).code, grpc.status.CANCELLED);
    await within(seen.get('cancel-a')!.cancelled, 5_000, 'the server to see the cancel (RST_STREAM relayed)');
    for (let i = 1; i < 5; i++) await pingPong(b, sb, `b${i}`);
    b.write({ end: 'ok' });
    b.end();
    assert.equal((await bStatus).code, grpc.status.OK);
    // One upstream h2 session carried both streams.
    assert.equal(seen.get('cancel-a')!.peer, seen.get('cancel-b')!.peer);
  });

  test('a deadline that passes: DEADLINE_EXCEEDED at the client, the server sees the call cancelled', async () => {
    const s = client.chat(callMd('deadline'), { deadline: Date.now() + 700 });
    const status = statusOf(s);
    s.write({ hang: true });
    assert.equal((await status).code, grpc.status.DEADLINE_EXCEEDED);
    await within(seen.get('deadline')!.cancelled, 5_000, 'the server to see the deadline cancel');
  });

  test('deadlines that pass as the server gives up too (a trailers-only answer racing the client\'s RST_STREAM) leave the proxy serving', async () => {
    // grpc-js servers enforce grpc-timeout themselves: each end ends the stream at about the same moment.
    const calls = Array.from({ length: 12 }, () => {
      const s = client.chat(new grpc.Metadata(), { deadline: Date.now() + 300 });
      s.write({ hang: true });
      return statusOf(s);
    });
    const codes = (await Promise.all(calls)).map((st) => st.code);
    await sleep(200);
    assert.equal(proxy.child.exitCode, null, `the proxy died: ${proxy.stderr()}`);
    assert.deepEqual(codes, calls.map(() => grpc.status.DEADLINE_EXCEEDED));
    const s = client.chat(callMd('after-race'));
    const status = statusOf(s);
    await pingPong(s, { last: 'seed' }, 'still there');
    s.end();
    assert.equal((await status).code, grpc.status.OK);
  });

  test('a host denied by policy: the call fails UNAVAILABLE (grpc-js logs the 403); the decision names the deny rule', async () => {
    const since = proxy.mark();
    const logged: string[] = [];
    grpc.setLogger({ error: (...a: unknown[]) => logged.push(a.join(' ')), info: () => undefined, debug: () => undefined });
    const denied = proxiedClient<StreamClient>(SERVICE, `tracker.test:${port}`, proxy.proxyUrl, proxy.listening.caCert);
    try {
      const e = await new Promise<grpc.ServiceError | null>((resolve) => denied.collect(new grpc.Metadata(), (err) => resolve(err)).end());
      assert.equal(e?.code, grpc.status.UNAVAILABLE, e?.details);
      // grpc-js keeps the proxy's answer out of the status (details: "No connection established …") and logs it.
      assert.ok(logged.some((l) => l.includes(`Failed to connect to tracker.test:${port} through proxy`) && l.includes('with status 403')), logged.join('\n'));
    } finally {
      denied.close();
      grpc.setLogger(console);
    }
    const d = await decisionFor(proxy, 'tracker.test', since);
    assert.equal(d.decision, 'deny');
    assert.equal(d.proxyError, 'blocked-by-denylist');
    assert.equal((d.rule as { line: number } | null)?.line, POLICY.split('\n').findIndex((l) => l.includes('"tracker.test"')) + 1);
  });

  test('a client stream that outlasts the response timeout while it keeps sending is not cut off', async () => {
    const msgs = Array.from({ length: 6 }, (_, i) => ({ i }));
    // 6 × 400 ms > RESPONSE_TIMEOUT_MS: the origin answers only after the half-close, as client streaming does.
    assert.deepEqual(await collect(msgs, 400), summaryOf(msgs));
  });

  test('server streaming to a slow reader: backpressure reaches the server (write() returns false, it waits), nothing lost', async () => {
    flood.completed = 0;
    flood.sawFalse = false;
    const total = 256;
    const size = 32 * 1024; // 8 MiB in all
    const s = client.flood({ total, size });
    const status = statusOf(s);
    const got: number[] = [];
    s.on('data', (m: Msg) => got.push(Number(m.i)));
    await once(s, 'data');
    s.pause();
    // Wait until the server's writes stop completing (no change for 400 ms; bounded, as the machine may be loaded).
    let aheadWhilePaused = -1;
    for (let i = 0; i < 25 && flood.completed !== aheadWhilePaused; i++) {
      aheadWhilePaused = flood.completed;
      await sleep(400);
    }
    assert.equal(flood.completed, aheadWhilePaused, 'the server stays blocked while the client does not read');
    assert.ok(flood.sawFalse, 'the server saw write() return false');
    assert.ok(aheadWhilePaused < total / 2, `the server got ${aheadWhilePaused} of ${total} messages ahead of a paused reader`);
    s.resume();
    assert.equal((await status).code, grpc.status.OK);
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => i));
  });

  test('a client stream reset before any response: one outcome, client_aborted; the server sees the cancel', async () => {
    const since = proxy.mark();
    const s = client.chat(callMd('early-cancel'));
    const status = statusOf(s);
    s.write({ hang: true });
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.path === '/test.Stream/Chat');
    // The server has the call (it tracks it on arrival) and has sent no headers: cancel now.
    for (let i = 0; i < 50 && !seen.has('early-cancel'); i++) await sleep(20);
    assert.ok(seen.has('early-cancel'), 'the server got the call');
    s.cancel();
    assert.equal((await status).code, grpc.status.CANCELLED);
    await within(seen.get('early-cancel')!.cancelled, 5_000, 'the server to see the cancel');
    const o = await proxy.waitFor((e) => e.event === 'outcome' && e.id === d.id, { since, what: 'the outcome of the cancelled call' });
    assert.equal((o.failure as { reason?: string } | undefined)?.reason, 'client_aborted', JSON.stringify(o));
    assert.equal(o.upstreamStatus, null);
    await sleep(300);
    assert.equal(proxy.events.filter((e) => e.event === 'outcome' && e.id === d.id).length, 1, 'one outcome for the call');
  });

  test('client streaming to a paused server: the client\'s writes stall (the proxy buffers a bounded amount), then everything arrives in order', async () => {
    upload.received = 0;
    const total = 512;
    const pad = 'u'.repeat(64 * 1024); // 32 MiB in all
    let accepted = 0; // messages whose write() callback ran: handed to the transport
    let sawFalse = false;
    let done!: Promise<Msg>;
    const s = await new Promise<grpc.ClientWritableStream<Msg>>((ready) => {
      done = new Promise<Msg>((resolve, reject) => ready(patientClient.upload((e, r) => (e ? reject(e) : resolve(r!)))));
    });
    const sent = (async () => {
      for (let i = 0; i < total; i++) {
        if (!s.write({ i, pad }, () => accepted++)) {
          sawFalse = true;
          await once(s, 'drain');
        }
      }
      s.end();
    })();
    // Wait until the client's writes stop completing (no change for 400 ms; bounded, as the machine may be loaded).
    let stalledAt = -1;
    for (let i = 0; i < 25 && accepted !== stalledAt; i++) {
      stalledAt = accepted;
      await sleep(400);
    }
    assert.equal(accepted, stalledAt, 'the client\'s writes stop completing while the server does not read');
    assert.ok(sawFalse, 'the client saw write() return false');
    assert.equal(upload.received, 1, 'the server read one message, then paused');
    // Everything accepted sits in windows and buffers between client and server: a few MiB, not the 32 MiB sent.
    assert.ok(stalledAt < total / 4, `${stalledAt} of ${total} 64 KiB messages went out while the server read none`);
    upload.resume();
    await sent;
    const want = createHash('sha256');
    for (let i = 0; i < total; i++) want.update(JSON.stringify({ i, pad }));
    assert.deepEqual(await done, { count: total, hash: want.digest('hex') });
  });
});
