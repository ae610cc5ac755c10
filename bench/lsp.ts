// Language-server figures over a real stdio connection to dist/server.js, run as its own
// process: full diagnostics for the 10,000-line / 1,000-hook policy (cold: the first document
// a fresh server sees; warm: re-opened), completion p95 on a 1,000-line file, and the server's start
// (spawn → initialize answered), since work done at start is paid before the first document too;
// and the first document of a server that was started 2 s before it (at workspace open) and idle since.
// `--server FILE` measures another build (e.g. main's dist/server.js copied aside) for A/B runs;
// further arguments after `--` are node flags for the server process (e.g. --cpu-prof).
import { LspSession, type StartOptions } from '../test/lsp/harness';
import { largePolicy } from './fixtures';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, median } from './lib';

/** CPU ms of each thread of a process, by thread id (Linux schedstat, ns resolution); empty elsewhere. */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) out.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
  } catch { /* not Linux, or a thread ended while read */ }
  return out;
}

/**
 * The cold open's CPU split: the busiest thread (the one that analysed: the worker), the main
 * thread (the relay, when the analysis runs in a worker) and the rest (V8's compiler and GC helpers). On a shared 2-core machine the helpers'
 * share competes with the analysis for a core, so both explain the wall time.
 */
function cpuSplit(pid: number, before: Map<string, number>, after: Map<string, number>): { analysingMs: number; relayMs: number; helpersMs: number } {
  const deltas = [...after].map(([tid, ms]): [string, number] => [tid, ms - (before.get(tid) ?? 0)]);
  const analysingMs = Math.max(0, ...deltas.map(([, d]) => d));
  const relayMs = deltas.find(([tid]) => tid === String(pid))?.[1] ?? NaN;
  return { analysingMs, relayMs, helpersMs: deltas.reduce((a, [, d]) => a + d, 0) - analysingMs - relayMs };
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** How long a server started IDLE_MS before, idle since (started when the workspace opened), takes for its first document. */
const IDLE_MS = 2000;
async function coldAfterIdle(opts: StartOptions, text: string): Promise<{ wallMs: number; cpuMs: number }> {
  const lsp = await LspSession.start(opts);
  try {
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const uri = 'file:///tmp/cnp-bench-idle/.codex/config.toml';
    const t = performance.now(), c = cpuSeconds(lsp.proc.pid!);
    await lsp.open(uri, text);
    return { wallMs: performance.now() - t, cpuMs: (cpuSeconds(lsp.proc.pid!) - c) * 1000 };
  } finally {
    await lsp.stop();
  }
}

void (async () => {
  const text = largePolicy(1000);
  const args = process.argv.slice(2);
  const at = args.indexOf('--server'), dash = args.indexOf('--');
  const server = at >= 0 ? args[at + 1] : undefined;
  const spawned = performance.now();
  const lsp = await LspSession.start({ ...(server ? { server } : {}), nodeArgs: dash >= 0 ? args.slice(dash + 1) : [] });
  const startMs = performance.now() - spawned; // spawn → initialize answered: the server's start, before any document
  try {
    // CPU time of the server per open as well: wall time on a shared machine includes waiting for a core.
    const diag: number[] = [], cpu: number[] = [], pid = lsp.proc.pid!;
    let split = { analysingMs: NaN, relayMs: NaN, helpersMs: NaN };
    for (let i = 0; i < 12; i++) {
      const uri = `file:///tmp/cnp-bench-${i}/.codex/config.toml`;
      const t = performance.now(), c = cpuSeconds(pid), threads = threadCpuMs(pid);
      await lsp.open(uri, text);
      diag.push(performance.now() - t);
      cpu.push((cpuSeconds(pid) - c) * 1000);
      if (i === 0) split = cpuSplit(pid, threads, threadCpuMs(pid));
      await lsp.close(uri);
    }
    const small = largePolicy(100, 0).split('\n').slice(0, 1000).join('\n') + '\n[permissions.w.network]\n\n';
    const uri = 'file:///tmp/cnp-bench-small/.codex/config.toml';
    await lsp.open(uri, small);
    const last = small.split('\n').length - 2;
    const positions = [{ line: 8, character: 0 }, { line: 12, character: 10 }, { line: last, character: 0 }];
    const completion: number[] = [];
    for (let i = 0; i < 220; i++) {
      const t = performance.now();
      await lsp.request('textDocument/completion', { textDocument: { uri }, position: positions[i % positions.length] });
      completion.push(performance.now() - t);
    }
    const warm = completion.slice(20);
    const idle = await coldAfterIdle({ ...(server ? { server } : {}), nodeArgs: dash >= 0 ? args.slice(dash + 1) : [] }, text);
    process.stdout.write(JSON.stringify({ startMs, diagColdMs: diag[0], diagMedianMs: median(diag.slice(1)), diagColdCpuMs: cpu[0], diagColdAnalysingCpuMs: split.analysingMs, diagColdRelayCpuMs: split.relayMs, diagColdHelpersCpuMs: split.helpersMs, diagMedianCpuMs: median(cpu.slice(1)), diagColdAfterIdleMs: idle.wallMs, diagColdAfterIdleCpuMs: idle.cpuMs, completionP50Ms: pct(warm, 0.5), completionP95Ms: pct(warm, 0.95) }) + '\n');
  } finally {
    await lsp.stop();
  }
})();
