// Process and statistics helpers for the benchmark suite: spawning peers and one-shot tools,
// waiting for ports, installing missing peers with apt-get, medians and ranges.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitPort(port: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export interface Proc {
  child: ChildProcess;
  /** Resolves with the first stdout line that parses as JSON. */
  firstJson: Promise<Record<string, unknown>>;
  stderr(): string;
  stop(): Promise<void>;
}

/** A long-running peer. stdout is always drained (a proxy's event stream must never block it). */
export function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  const firstJson = new Promise<Record<string, unknown>>((resolve, reject) => {
    let buf = '';
    let done = false;
    child.stdout!.on('data', (c: Buffer) => {
      if (done) return;
      buf += c.toString();
      for (let i = buf.indexOf('\n'); i >= 0 && !done; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
          done = true;
        } catch { /* not the JSON line yet */ }
      }
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited (${code}) before it was ready: ${err.trim().slice(-600)}`)));
    child.once('error', reject);
  });
  firstJson.catch(() => undefined);
  return {
    child, firstJson, stderr: () => err,
    stop: () => new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => (clearTimeout(timer), r()));
      child.kill('SIGTERM');
    }),
  };
}

/** Runs a tool to completion and returns the JSON object on its last stdout line. */
export function runJson(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.once('exit', () => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        // The reason first: reports keep only the start of an error.
        reject(new Error(`no JSON result (${err.trim().slice(-400)}) from ${cmd} ${args.join(' ')}`));
      }
    });
  });
}

/** Wall time of a whole process run, in ms; rejects when it exits with an unexpected code. */
export function timeProcess(cmd: string, args: string[], okCodes: number[] = [0]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => (okCodes.includes(code ?? -1) ? resolve(performance.now() - t) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-400)}`))));
  });
}

export function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let aptUpdated = false;
/** Makes `cmd` available, installing the Debian package when it is missing; returns an error text or null. */
export function ensureApt(cmd: string, pkg: string): string | null {
  if (has(cmd)) return null;
  try {
    if (!aptUpdated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'pipe' });
    aptUpdated = true;
    execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'pipe', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return has(cmd) ? null : `${pkg} installed but ${cmd} not found`;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return `apt-get install ${pkg} failed: ${(err.stderr?.toString() || err.message).trim().slice(-300)}`;
  }
}

/** Resident set size of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * CPU time (user + system) a process and its children (squid's helpers, our proxy's workers) have
 * used so far, in seconds (Linux /proc, clock ticks of 10 ms).
 */
export function cpuSeconds(pid: number): number {
  return withChildren(pid).reduce((sum, p) => sum + ownCpuSeconds(p), 0);
}

/** `pid` and its direct children (/proc children list of its main thread). */
function withChildren(pid: number): number[] {
  try {
    return [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)];
  } catch {
    return [pid]; // exited, or no children list: the process alone
  }
}

function ownCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Time the main threads of a process and of its children (our proxy's workers, squid's kid) spent
 * runnable but waiting for a CPU, in µs so far (Linux /proc/<pid>/task/<pid>/schedstat, ns; NaN
 * where the kernel keeps no schedstat): what the other processes on the machine took from it.
 */
export function waitingUs(pid: number): number {
  return withChildren(pid).reduce((sum, p) => sum + ownWaitingUs(p), 0);
}

function ownWaitingUs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1000;
  } catch {
    return NaN;
  }
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Summary { median: number; min: number; max: number; samples: number[] }

export function summarize(xs: readonly number[]): Summary {
  const f = xs.filter((x) => Number.isFinite(x));
  return { median: median(f), min: f.length ? Math.min(...f) : NaN, max: f.length ? Math.max(...f) : NaN, samples: [...xs] };
}

/**
 * CPU ms a fixed loop takes pinned to each vCPU (lower is faster), or [] without taskset. This VM's
 * vCPUs can differ by a third in speed for minutes (host contention); the report shows it so a
 * round's swing can be told from a change in the code.
 */
export function vcpuSpeeds(): number[] {
  const loop = 'const t=process.cpuUsage();let s=0;for(let i=0;i<1e8;i++)s+=i%7;const u=process.cpuUsage(t);console.log(Math.round((u.user+u.system)/1000)+(s<0?1:0))';
  try {
    return Array.from({ length: cpus().length }, (_, i) => Number(execFileSync('taskset', ['-c', String(i), process.execPath, '-e', loop], { encoding: 'utf8', timeout: 10_000 }).trim()));
  } catch {
    return [];
  }
}

/** `pid` and its descendants (every thread's children lists). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of readdirSync(`/proc/${out[i]}/task`)) {
        out.push(...readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
      }
    } catch { /* exited */ }
  }
  return out;
}

/** Moves every thread of `pid` and of its descendants to `cpu` (--pin; threads and children started later inherit it). */
export function pinTree(pid: number, cpu: number): void {
  for (const p of processTree(pid)) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(p)], { stdio: 'ignore' });
    } catch { /* exited meanwhile */ }
  }
}

/** `cmd args` as runJson/start take them, started on `cpu` when given (--pin). */
export function onCpu(cpu: number | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}
