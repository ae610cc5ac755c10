// The load generator, in its own process (`node --import tsx proxy-loadgen.ts SPEC_JSON`): runs its
// share of the clients against the proxy and prints one JSON line of results (LoadResult).
// Mixed traffic, every reply checked: allowed plain (ok.test), allowed MITM (api.test, whose hook
// strips `x-strip-me` and injects the canary token), CONNECT tunnels (tun.test, TLS end to end
// with the origin), denied (no.test, plain and CONNECT: 403 with x-proxy-error). A 503 from the
// connection cap is a refusal: the client closes, waits Retry-After (jittered, doubled on each
// refusal in a row) and reconnects.
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as tls from 'node:tls';
import type { PeerPorts } from './proxy-peers';
import { Wire, WireError, type Reply } from './proxy-wire';

export interface LoadSpec {
  proxyPort: number;
  ports: PeerPorts;
  /** PEM files: the proxy's CA (MITM leaves), the upstream CA (tunnelled TLS). */
  proxyCa: string;
  upstreamCa: string;
  clients: number;
  /** Index of this generator's first client (kinds are assigned by global index). */
  firstClient: number;
  seconds: number;
  /** Each client waits paceMs x (0.5…1.5) between requests; 0 = as fast as replies come. */
  paceMs: number;
  /** Requests per connection before the client opens a new one. */
  reuse: number;
  timeoutMs: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  denied: number;
  refused: number;
  /** Keep-alive races retried once on a fresh connection (as curl does). */
  retries: number;
  /** `kind reason` → count; kind is plain | mitm | tunnel | denied. */
  errors: Record<string, number>;
  samples: string[];
  latencies: number[];
  refusalLatencies: number[];
  /** This generator's own CPU seconds and event-loop delay p99 (ms): is the generator the limit? */
  cpuS: number;
  loopDelayP99Ms: number;
  /** Seconds from the first client's start to the last one's end. */
  wallS: number;
}

type Kind = 'plain' | 'mitm' | 'tunnel' | 'denied';
const KINDS: readonly Kind[] = ['plain', 'plain', 'plain', 'plain', 'plain', 'mitm', 'mitm', 'tunnel', 'denied', 'denied'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Refused extends Error {}

function within<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      reject(new WireError('timeout', true, `${what} within ${ms} ms`));
    }, ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e: unknown) => (clearTimeout(t), reject(e as Error)));
  });
}

class Client {
  private wire: Wire | null = null;
  constructor(private readonly kind: Kind, private readonly spec: LoadSpec, private readonly cas: { proxy: string; upstream: string }) {}

  /** One request (n-th of this client); resolves with the reply, rejects with a WireError. */
  async send(n: number): Promise<Reply> {
    const deny = this.kind === 'denied';
    if (!this.wire || deny) {
      const opened = await this.open(deny && n % 2 === 1);
      if (!(opened instanceof Wire)) return opened;
      this.wire = opened;
    }
    const reply = await this.wire.request(this.head(n), this.spec.timeoutMs);
    if (reply.status !== 200 || reply.headers.get('connection') === 'close' || this.wire.served >= this.spec.reuse) this.drop();
    return reply;
  }

  drop(): void {
    this.wire?.stream.destroy();
    this.wire = null;
  }

  private head(n: number): string {
    const { ports } = this.spec;
    switch (this.kind) {
      case 'plain': return `GET http://ok.test:${ports.plain}/p${n} HTTP/1.1\r\nHost: ok.test:${ports.plain}\r\n\r\n`;
      case 'denied': return `GET http://no.test:${ports.plain}/d${n} HTTP/1.1\r\nHost: no.test:${ports.plain}\r\n\r\n`;
      case 'mitm': return `GET /m${n} HTTP/1.1\r\nHost: api.test\r\nx-strip-me: must-not-arrive\r\n\r\n`;
      case 'tunnel': return `GET /t${n} HTTP/1.1\r\nHost: tun.test\r\n\r\n`;
    }
  }

  /** A connection to the proxy; for MITM and tunnels CONNECT then TLS. A non-200 CONNECT reply is returned as it is. */
  private async open(denyConnect: boolean): Promise<Wire | Reply> {
    const socket = netConnect({ host: '127.0.0.1', port: this.spec.proxyPort, noDelay: true });
    await within(new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (e: NodeJS.ErrnoException) => reject(new WireError('connect', true, e.code ?? e.message)));
    }), this.spec.timeoutMs, 'TCP connect', () => socket.destroy());
    const wire = new Wire(socket);
    if (this.kind === 'plain' || (this.kind === 'denied' && !denyConnect)) return wire;
    const target = denyConnect ? `no.test:443` : this.kind === 'mitm' ? `api.test:${this.spec.ports.api}` : `tun.test:${this.spec.ports.tun}`;
    const reply = await wire.request(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`, this.spec.timeoutMs);
    if (reply.status !== 200) {
      socket.destroy();
      return reply;
    }
    const servername = this.kind === 'mitm' ? 'api.test' : 'tun.test';
    const t = tls.connect({ socket: wire.detach() as typeof socket, servername, ca: this.kind === 'mitm' ? this.cas.proxy : this.cas.upstream });
    await within(new Promise<void>((resolve, reject) => {
      t.once('secureConnect', resolve);
      t.once('error', (e: NodeJS.ErrnoException) => reject(new WireError('tls', true, e.code ?? e.message)));
    }), this.spec.timeoutMs, 'TLS handshake', () => t.destroy());
    return new Wire(t);
  }
}

/** What a reply means for this kind: ok, denied (as it should be), refused, or an error reason. */
function verdict(kind: Kind, n: number, r: Reply): 'ok' | 'denied' | 'refused' | string {
  if (r.status === 503 && r.body.startsWith('proxy overloaded')) return 'refused';
  if (kind === 'denied') return r.status === 403 && r.headers.has('x-proxy-error') ? 'denied' : `status ${r.status}`;
  if (r.status !== 200) return `status ${r.status}`;
  const want = kind === 'plain' ? `ok /p${n}` : kind === 'mitm' ? 'authorized' : `tunnel /t${n}`;
  return r.body === want ? 'ok' : `body ${JSON.stringify(r.body.slice(0, 40))}`;
}

async function runClient(kind: Kind, spec: LoadSpec, cas: { proxy: string; upstream: string }, until: number, out: LoadResult): Promise<void> {
  const begin = until - spec.seconds * 1000;
  const client = new Client(kind, spec, cas);
  const fail = (reason: string, detail: string): void => {
    const key = `${kind} ${reason}`;
    out.errors[key] = (out.errors[key] ?? 0) + 1;
    if (out.samples.length < 20) out.samples.push(`${key} at ${((performance.now() - begin) / 1000).toFixed(1)} s: ${detail}`);
  };
  let refusedInRow = 0;
  for (let n = 0; performance.now() < until; n++) {
    const start = performance.now();
    let pause = spec.paceMs * (0.5 + Math.random());
    try {
      let reply: Reply;
      try {
        reply = await client.send(n);
      } catch (e) {
        // A keep-alive connection closed by the proxy as the request left: retried once, fresh.
        if (!(e instanceof WireError) || e.fresh || (e.kind !== 'reset' && e.kind !== 'closed')) throw e;
        out.retries++;
        client.drop();
        reply = await client.send(n);
      }
      const ms = performance.now() - start;
      out.requests++;
      const v = verdict(kind, n, reply);
      if (v === 'refused') throw new Refused(reply.headers.get('retry-after') ?? '1');
      refusedInRow = 0;
      out.latencies.push(Math.round(ms * 10) / 10);
      if (v === 'ok') out.ok++;
      else if (v === 'denied') out.denied++;
      else fail(v, `${reply.status} ${reply.body.slice(0, 80)}`);
    } catch (e) {
      client.drop();
      if (e instanceof Refused) {
        out.refused++;
        out.refusalLatencies.push(Math.round((performance.now() - start) * 10) / 10);
        // Retry-After honoured, doubled on each refusal in a row (up to 8x), as a polite client backs off.
        pause = Number(e.message) * 1000 * 2 ** Math.min(refusedInRow++, 3) * (0.5 + Math.random());
      } else {
        out.requests++;
        fail(e instanceof WireError ? e.kind : 'exception', (e as Error).message);
      }
    }
    if (pause > 0) await sleep(pause);
  }
  client.drop();
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  const cas = { proxy: readFileSync(spec.proxyCa, 'utf8'), upstream: readFileSync(spec.upstreamCa, 'utf8') };
  const out: LoadResult = { requests: 0, ok: 0, denied: 0, refused: 0, retries: 0, errors: {}, samples: [], latencies: [], refusalLatencies: [], cpuS: 0, loopDelayP99Ms: 0, wallS: 0 };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const begin = performance.now();
  const until = begin + spec.seconds * 1000;
  const all: Promise<void>[] = [];
  for (let c = 0; c < spec.clients; c++) {
    const index = spec.firstClient + c;
    all.push(runClient(KINDS[index % KINDS.length]!, spec, cas, until, out));
    if (c % 50 === 49) await sleep(20); // ramp up
  }
  await Promise.all(all);
  const cpu = process.cpuUsage(cpu0);
  out.cpuS = (cpu.user + cpu.system) / 1e6;
  out.loopDelayP99Ms = delay.percentile(99) / 1e6;
  out.wallS = (performance.now() - begin) / 1000;
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
}

if (process.argv[2]) void main();
