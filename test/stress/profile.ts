// Stress profiles: the short one runs inside `npm test`; `npm run test:stress` sets
// CODEX_NETPOLICY_STRESS=long for the long one (1,000 connections for 60 s, 100,000 fuzzed documents).
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';

const LONG = process.env.CODEX_NETPOLICY_STRESS === 'long';

/** The short or the long value of a bound. */
export function scale<T>(short: T, long: T): T {
  return LONG ? long : short;
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc, clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Connections waiting in the kernel's accept queue of the listener on 127.0.0.1:`port` (Recv-Q of
 * the LISTEN row in /proc/net/tcp): what the proxy has not accepted yet.
 */
export function acceptQueue(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') return parseInt(f[4]!.split(':')[1]!, 16);
  }
  return 0;
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Prints a figure line the stress report collects (`[stress] name: …`), with the machine's load average. */
export function figure(name: string, values: Record<string, number | string>): void {
  const text = Object.entries({ ...values, load1: loadavg()[0]! }).map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 10) / 10 : v}`).join(' ');
  process.stdout.write(`[stress] ${name}: ${text}\n`);
}

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
