// Language-server figures over a real stdio connection to dist/server.js, run as its own
// process: full diagnostics for the 10,000-line / 1,000-hook policy (cold: the first document
// a fresh server sees; warm: re-opened), completion p95 on a 1,000-line file, and the server's start
// (spawn → initialize answered), since work done at start is paid before the first document too;
// and the first document of a server that was started 2 s before it (at workspace open) and idle since.
// The server's V8 code cache (server/codeCache.ts): the figures are those of a server started with
// a cache, as a user sees them from the second start on, in a fresh temp cache directory warmed by
// one unmeasured start (`codeCache` says whether the measured server used it); `noCache` gives the
// start and the cold open of a server without one (the first start ever, or `CACHE_DIR=none`).
// `--no-cache` measures everything without a cache.
// `--server FILE` measures another build (e.g. main's dist/server.js copied aside) for A/B runs;
// further arguments after `--` are node flags for the server process (e.g. --cpu-prof).
import { LspSession, type StartOptions } from '../test/lsp/harness';
import { largePolicy } from './fixtures';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** CPU ms of all threads of a process so far (schedstat: ns resolution, unlike /proc/PID/stat's 10 ms ticks). */
const processCpuMs = (pid: number): number => [...threadCpuMs(pid).values()].reduce((a, b) => a + b, 0);


/** A fresh server's start (spawn → initialize answered): wall and the process's CPU. */
async function started(opts: StartOptions): Promise<{ lsp: LspSession; startMs: number; startCpuMs: number }> {
  const spawned = performance.now();
  const lsp = await LspSession.start(opts);
  return { lsp, startMs: performance.now() - spawned, startCpuMs: processCpuMs(lsp.proc.pid!) };
}

/** The first document of a fresh server: wall, process CPU and its split by thread. */
async function coldOpen(lsp: LspSession, text: string, uri: string): Promise<{ wallMs: number; cpuMs: number; split: ReturnType<typeof cpuSplit> }> {
  const pid = lsp.proc.pid!, t = performance.now(), threads = threadCpuMs(pid);
  await lsp.open(uri, text);
  const wallMs = performance.now() - t, after = threadCpuMs(pid);
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return { wallMs, cpuMs: sum(after) - sum(threads), split: cpuSplit(pid, threads, after) };
}

const cacheFiles = (dir: string): Map<string, number> => new Map(readdirSync(dir).filter((f) => f.endsWith('.v8cache')).map((f) => [f, statSync(join(dir, f)).mtimeMs]));

/** One unmeasured start that makes the cache: a first analysis, then the cache file appears (or 15 s pass: a build without one). */
async function warmCache(opts: StartOptions, text: string, dir: string): Promise<void> {
  const lsp = await LspSession.start(opts);
  try {
    await lsp.open('file:///tmp/cnp-bench-warm/.codex/config.toml', text);
    for (let waited = 0; !cacheFiles(dir).size && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await lsp.stop();
  }
}

/**
 * Whether the measured server ran with a cache: `used` when a cache was there before its start and
 * it did not write a new one (it writes only when it had none or V8 refused it), `written` when it
 * made one, `none` when there is none.
 */
function cacheUse(before: Map<string, number>, after: Map<string, number>): 'used' | 'written' | 'none' {
  if (!after.size) return 'none';
  const changed = [...after].some(([f, mtime]) => before.get(f) !== mtime);
  return before.size && !changed ? 'used' : 'written';
}

void (async () => {
  const text = largePolicy(1000);
  const args = process.argv.slice(2);
  const at = args.indexOf('--server'), dash = args.indexOf('--');
  const server = at >= 0 ? args[at + 1] : undefined;
  const noCache = args.includes('--no-cache');
  const cacheDir = mkdtempSync(join(tmpdir(), 'cnp-bench-cache-'));
  const base: StartOptions = { ...(server ? { server } : {}), nodeArgs: dash >= 0 ? args.slice(dash + 1) : [] };
  const opts: StartOptions = { ...base, env: { CODEX_NETPOLICY_LSP_CACHE_DIR: noCache ? 'none' : cacheDir } };
  const withoutCache: StartOptions = { ...base, env: { CODEX_NETPOLICY_LSP_CACHE_DIR: 'none' } };
  try {
    // Without a cache first (the first start ever), then the warm-up start that writes one.
    const plain = await started(withoutCache);
    const plainCold = await coldOpen(plain.lsp, text, 'file:///tmp/cnp-bench-nocache/.codex/config.toml').finally(() => plain.lsp.stop());
    if (!noCache) await warmCache(opts, text, cacheDir);
    const before = cacheFiles(cacheDir);
    const { lsp, startMs, startCpuMs } = await started(opts);
    try {
      // CPU time of the server per open as well: wall time on a shared machine includes waiting for a core.
      const diag: number[] = [], cpu: number[] = [];
      const first = await coldOpen(lsp, text, 'file:///tmp/cnp-bench-0/.codex/config.toml');
      await lsp.close('file:///tmp/cnp-bench-0/.codex/config.toml');
      for (let i = 1; i < 12; i++) {
        const uri = `file:///tmp/cnp-bench-${i}/.codex/config.toml`;
        const t = performance.now(), c = processCpuMs(lsp.proc.pid!);
        await lsp.open(uri, text);
        diag.push(performance.now() - t);
        cpu.push(processCpuMs(lsp.proc.pid!) - c);
        await lsp.close(uri);
      }
      const completion = await completionTimes(lsp);
      const codeCache = cacheUse(before, cacheFiles(cacheDir));
      const idle = await coldAfterIdle(opts, text);
      process.stdout.write(JSON.stringify({
        codeCache, startMs, startCpuMs, diagColdMs: first.wallMs, diagMedianMs: median(diag), diagColdCpuMs: first.cpuMs,
        diagColdAnalysingCpuMs: first.split.analysingMs, diagColdRelayCpuMs: first.split.relayMs, diagColdHelpersCpuMs: first.split.helpersMs,
        diagMedianCpuMs: median(cpu), diagColdAfterIdleMs: idle.wallMs, diagColdAfterIdleCpuMs: idle.cpuMs,
        completionP50Ms: pct(completion, 0.5), completionP95Ms: pct(completion, 0.95),
        noCache: { startMs: plain.startMs, startCpuMs: plain.startCpuMs, diagColdMs: plainCold.wallMs, diagColdCpuMs: plainCold.cpuMs, diagColdAnalysingCpuMs: plainCold.split.analysingMs },
      }) + '\n');
    } finally {
      await lsp.stop();
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
})();

/** Completion on a 1,000-line file, after 20 unmeasured requests. */
async function completionTimes(lsp: LspSession): Promise<number[]> {
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
  return completion.slice(20);
}
