// Benchmark load generator, its own process, the same for every peer. Modes:
//   keepalive: N keep-alive TLS connections (through CONNECT when --proxy is given), each sending
//     GETs back to back for --duration seconds; every response is checked.
//   first:     one fresh connection + CONNECT + TLS + GET per host in --hosts, sequentially.
//   tunnel:    one CONNECT tunnel to the raw `bytes` server, downloads --bytes, reports MB/s.
//   h2:        --conns HTTP/2 sessions (ALPN h2 required) with --streams requests in flight on
//     each, for --duration seconds; also counts the protocol the origin saw (x-saw-version).
//   idle:      opens --count tunnels to the `echo` server, reports, waits for a line on stdin,
//              then checks every tunnel still echoes.
// Prints one JSON result line on stdout.
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import * as tls from 'node:tls';

export interface Args { [k: string]: string }
const args: Args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i]!.replace(/^--/, '')] = process.argv[i + 1] ?? '';
const num = (k: string, d: number): number => (args[k] !== undefined ? Number(args[k]) : d);
const ca = args.ca ? args.ca.split(',').map((f) => readFileSync(f, 'utf8')) : undefined;
const check = args.check !== 'off';

function tcp(hostPort: string): Promise<Socket> {
  const [host, port] = splitHostPort(hostPort);
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    s.setNoDelay(true);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function splitHostPort(hp: string): [string, number] {
  const i = hp.lastIndexOf(':');
  return [hp.slice(0, i), Number(hp.slice(i + 1))];
}

/**
 * A socket to `target` (ip:port): through the proxy with CONNECT, or direct. With --by-name the
 * CONNECT names `name` instead (a proxy that resolves names itself, via its --resolve map).
 */
async function open(target: string, name?: string): Promise<Socket> {
  if (!args.proxy) return tcp(target);
  if (args['by-name'] === '1' && name) target = `${name}:${splitHostPort(target)[1]}`;
  const s = await tcp(args.proxy);
  const auth = args.auth ? `Proxy-Authorization: Basic ${Buffer.from(args.auth).toString('base64')}\r\n` : '';
  s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      const status = Number(buf.subarray(9, 12).toString());
      if (status !== 200) return reject(new Error(`CONNECT ${status}`));
      if (buf.length > end + 4) s.unshift(buf.subarray(end + 4));
      resolve(s);
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

/** TLS over `raw` with SNI `host`, verifying the certificate for `host`. */
function secure(raw: Socket, host: string, alpn = ['http/1.1']): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({ socket: raw, host, servername: host, ca, ALPNProtocols: alpn });
    t.once('secureConnect', () => resolve(t));
    t.once('error', reject);
  });
}

interface Response { status: number; headers: Map<string, string> }

/** Minimal HTTP/1.1 response reader for content-length bodies (what the upstream sends). */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((r: Response) => void) | null = null;
  private failed: ((e: Error) => void) | null = null;
  constructor(s: tls.TLSSocket) {
    s.on('data', (c: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
      this.pump();
    });
    const fail = (e?: Error): void => this.failed?.(e ?? new Error('connection closed'));
    s.on('error', fail);
    s.on('close', () => fail());
  }
  next(): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      this.pump();
    });
  }
  private pump(): void {
    if (!this.waiting) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
    }
    const len = Number(headers.get('content-length') ?? NaN);
    if (!Number.isFinite(len)) throw new Error('response without content-length');
    if (this.buf.length < end + 4 + len) return;
    this.buf = this.buf.subarray(end + 4 + len);
    const w = this.waiting;
    this.waiting = null;
    w({ status: Number(lines[0]!.split(' ')[1]), headers });
  }
}

function verdict(r: Pick<Response, 'status' | 'headers'>): string | null {
  if (r.status !== 200) return `status ${r.status}`;
  if (!check) return null;
  if (r.headers.get('x-saw-injected') !== 'yes') return 'injected header missing upstream';
  if (r.headers.get('x-saw-stripped') !== 'no') return 'stripped header reached upstream';
  return null;
}

const request = (host: string, i: number): string => `GET /repos/o/r/issues?i=${i} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: bench\r\nAccept: */*\r\nX-Strip-Me: must-not-arrive\r\n\r\n`;

function pct(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

interface Outcome { why: string | null; version?: string }

/**
 * Runs every worker's requests back to back until the measured window ends (requests started in
 * the warm-up are not counted); a worker stops at its first transport error.
 */
async function drive(workers: ((i: number) => Promise<Outcome>)[]): Promise<object> {
  const duration = num('duration', 3) * 1000;
  const warmup = num('warmup', 0.5) * 1000;
  const lat: number[] = [];
  const failures = new Map<string, number>();
  const versions: Record<string, number> = {};
  let ok = 0;
  const cpu0 = process.cpuUsage();
  let i = 0;
  const t0 = performance.now();
  const measureFrom = t0 + warmup;
  const stopAt = measureFrom + duration;
  await Promise.all(workers.map(async (one) => {
    for (;;) {
      const start = performance.now();
      if (start >= stopAt) break;
      let r: Outcome;
      try {
        r = await one(i++);
      } catch (e) {
        const k = String(e).slice(0, 200);
        failures.set(k, (failures.get(k) ?? 0) + 1);
        break;
      }
      if (start < measureFrom) continue;
      lat.push(performance.now() - start);
      if (r.version) versions[r.version] = (versions[r.version] ?? 0) + 1;
      if (r.why) failures.set(r.why, (failures.get(r.why) ?? 0) + 1);
      else ok++;
    }
  }));
  lat.sort((a, b) => a - b);
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  const cpu = process.cpuUsage(cpu0);
  return {
    requests: lat.length, total: i, ok, failed, failures: Object.fromEntries(failures), ...(Object.keys(versions).length ? { upstreamVersions: versions } : {}),
    rps: lat.length / (duration / 1000), p50: pct(lat, 0.5), p99: pct(lat, 0.99),
    // The load generator's own CPU per request once connected (TLS to the proxy or origin): its share of the machine.
    clientCpuUsPerReq: (cpu.user + cpu.system) / i,
  };
}

async function keepalive(): Promise<object> {
  const target = args.target!;
  const name = args.name!;
  const authority = `${name}:${splitHostPort(target)[1]}`;
  const socks = await Promise.all(Array.from({ length: num('conns', 8) }, async () => secure(await open(target, name), name)));
  const result = await drive(socks.map((s) => {
    const reader = new Reader(s);
    return async (i) => {
      s.write(request(authority, i));
      return { why: verdict(await reader.next()) };
    };
  }));
  for (const s of socks) s.destroy();
  return result;
}

/** One GET on an h2 session; resolves with the verdict and the version the origin saw. */
function h2Get(session: http2.ClientHttp2Session, i: number): Promise<{ why: string | null; version: string }> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':method': 'GET', ':path': `/repos/o/r/issues?i=${i}`, 'user-agent': 'bench', accept: '*/*', 'x-strip-me': 'must-not-arrive' }, { endStream: true });
    let head: http2.IncomingHttpHeaders = {};
    s.on('response', (h) => (head = h));
    s.on('data', () => undefined);
    s.on('end', () => {
      const headers = new Map<string, string>(Object.entries(head).map(([k, v]) => [k, String(v)]));
      resolve({ why: verdict({ status: Number(head[':status']), headers }), version: String(head['x-saw-version'] ?? '?') });
    });
    s.on('error', reject);
  });
}

async function h2(): Promise<object> {
  const target = args.target!;
  const name = args.name!;
  const sessions = await Promise.all(Array.from({ length: num('conns', 8) }, async () => {
    const t = await secure(await open(target, name), name, ['h2']);
    if (t.alpnProtocol !== 'h2') throw new Error(`ALPN picked ${String(t.alpnProtocol)}, not h2`);
    return http2.connect(`https://${name}:${splitHostPort(target)[1]}`, { createConnection: () => t });
  }));
  const result = await drive(sessions.flatMap((session) => Array.from({ length: num('streams', 8) }, () => (i: number) => h2Get(session, i))));
  for (const s of sessions) s.destroy();
  return result;
}

async function first(): Promise<object> {
  const times: number[] = [];
  const failures: string[] = [];
  for (const entry of args.hosts!.split(',')) {
    const [name, target] = entry.split('=') as [string, string];
    const t = performance.now();
    try {
      const s = await secure(await open(target, name), name);
      const reader = new Reader(s);
      s.write(request(`${name}:${splitHostPort(target)[1]}`, 0));
      const why = verdict(await reader.next());
      s.destroy();
      if (why) failures.push(why);
      else times.push(performance.now() - t);
    } catch (e) {
      failures.push(String(e).slice(0, 200));
    }
  }
  times.sort((a, b) => a - b);
  return { samples: times.length, failed: failures.length, failures, median: pct(times, 0.5), min: times[0], max: times[times.length - 1] };
}

async function tunnel(): Promise<object> {
  const total = num('bytes', 1 << 30);
  const s = await open(args.target!, args.name);
  const head = Buffer.alloc(8);
  head.writeBigUInt64BE(BigInt(total));
  const t = performance.now();
  s.write(head);
  let got = 0;
  for await (const c of s) got += (c as Buffer).length;
  const secs = (performance.now() - t) / 1000;
  return { bytes: got, failed: got === total ? 0 : 1, mbPerS: got / 1e6 / secs };
}

async function idle(): Promise<object> {
  const count = num('count', 1000);
  const socks: Socket[] = [];
  for (let i = 0; i < count; i += 50) socks.push(...await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => open(args.target!, args.name))));
  process.stdout.write(JSON.stringify({ opened: socks.length }) + '\n');
  await new Promise((r) => process.stdin.once('data', r));
  let usable = 0;
  await Promise.all(socks.map((s, i) => new Promise<void>((done) => {
    const msg = `ping ${i}\n`;
    let got = '';
    const timer = setTimeout(() => done(), 10_000);
    s.on('data', (c: Buffer) => {
      got += c.toString();
      if (got === msg) {
        usable++;
        clearTimeout(timer);
        done();
      }
    });
    s.on('error', () => done());
    s.write(msg);
  })));
  for (const s of socks) s.destroy();
  return { opened: socks.length, usable, failed: socks.length - usable };
}

const modes: Record<string, () => Promise<object>> = { keepalive, h2, first, tunnel, idle };
modes[args.mode ?? 'keepalive']!().then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: unknown) => {
    process.stdout.write(JSON.stringify({ error: String(e).slice(0, 300), failed: 1 }) + '\n');
    process.exit(1);
  },
);
