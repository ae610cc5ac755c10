// Benchmark load generator, its own process, the same for every peer. Modes:
//   keepalive: N keep-alive TLS connections (through CONNECT when --proxy is given), each sending
//     GETs back to back for --duration seconds; every response is checked.
//   first:     one fresh connection + CONNECT + TLS + GET per host in --hosts, sequentially.
//   tunnel:    one CONNECT tunnel to the raw `bytes` server, downloads --bytes, reports MB/s.
//   idle:      opens --count tunnels to the `echo` server, reports, waits for a line on stdin,
//              then checks every tunnel still echoes.
// Prints one JSON result line on stdout.
import { readFileSync } from 'node:fs';
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
function secure(raw: Socket, host: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({ socket: raw, host, servername: host, ca, ALPNProtocols: ['http/1.1'] });
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

function verdict(r: Response): string | null {
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

async function keepalive(): Promise<object> {
  const target = args.target!;
  const name = args.name!;
  const authority = `${name}:${splitHostPort(target)[1]}`;
  const conns = num('conns', 8);
  const duration = num('duration', 3) * 1000;
  const warmup = num('warmup', 0.5) * 1000;
  const socks = await Promise.all(Array.from({ length: conns }, async () => secure(await open(target, name), name)));
  const lat: number[] = [];
  const failures = new Map<string, number>();
  let ok = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const measureFrom = t0 + warmup;
  const stopAt = measureFrom + duration;
  let i = 0;
  await Promise.all(socks.map(async (s) => {
    const reader = new Reader(s);
    for (;;) {
      const start = performance.now();
      if (start >= stopAt) break;
      s.write(request(authority, i++));
      let why: string | null;
      try {
        why = verdict(await reader.next());
      } catch (e) {
        const k = String(e).slice(0, 200);
        failures.set(k, (failures.get(k) ?? 0) + 1);
        break;
      }
      if (start < measureFrom) continue;
      lat.push(performance.now() - start);
      if (why) failures.set(why, (failures.get(why) ?? 0) + 1);
      else ok++;
    }
  }));
  for (const s of socks) s.destroy();
  lat.sort((a, b) => a - b);
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  // The load generator's own CPU per request once connected (TLS to the proxy or origin): its share of the machine.
  const cpu = process.cpuUsage(cpu0);
  return { requests: lat.length, total: i, ok, failed, failures: Object.fromEntries(failures), rps: lat.length / (duration / 1000), p50: pct(lat, 0.5), p99: pct(lat, 0.99), clientCpuUsPerReq: (cpu.user + cpu.system) / i };
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

const modes: Record<string, () => Promise<object>> = { keepalive, first, tunnel, idle };
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
