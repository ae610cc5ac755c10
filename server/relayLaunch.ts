// How the language server's process runs, read from argv and the environment, and its worker
// thread started AT ONCE (#8): server/entry.ts imports this module first, so the worker boots (a
// new V8 isolate and Node's bootstrap, tens of ms) while the main thread is still loading the
// relay's JSON-RPC library, not after. Nothing here may import a third-party module.
import { join } from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';

export interface WorkerLimits {
  /** The worker's old-generation heap (V8 `maxOldGenerationSizeMb`): the cap a document's analysis must fit in. */
  heapMb: number;
  /** The worker's young generation (V8 `maxYoungGenerationSizeMb`). */
  youngMb: number;
}

/**
 * Chosen so the whole process (relay thread, worker heap at its cap, code, stacks and the
 * transport's buffers of a 1 MB document) stays under 500 MB RSS: see docs/semantics.md, #11
 * (language server memory cap), for the figures.
 */
export const DEFAULT_LIMITS: WorkerLimits = { heapMb: 256, youngMb: 16 };

/** Starts a language-server worker under `limits`. Its stdout is piped, never shared: a stray console.log must not corrupt a stdio stream. */
export function newWorker(entry: string, limits: WorkerLimits): Worker {
  return new Worker(entry, { stdout: true, resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: limits.youngMb } });
}

/** The editor's transport, when it is one the relay speaks: stdio or node IPC. */
export function relayTransport(argv: readonly string[]): 'stdio' | 'ipc' | undefined {
  return argv.includes('--stdio') ? 'stdio' : argv.includes('--node-ipc') ? 'ipc' : undefined;
}

export interface Launch {
  /** Set when the relay runs in this thread (else the server itself does). */
  transport?: 'stdio' | 'ipc';
  budgetMs?: number;
  limits: WorkerLimits;
  /** The first worker, started while this process was still loading. */
  worker?: Worker;
}

function launch(env: NodeJS.ProcessEnv): Launch {
  const transport = isMainThread && env.CODEX_NETPOLICY_LSP_INLINE !== '1' ? relayTransport(process.argv) : undefined;
  const budgetMs = Number(env.CODEX_NETPOLICY_LSP_ANSWER_MS);
  const heapMb = Number(env.CODEX_NETPOLICY_LSP_HEAP_MB);
  const limits = { ...DEFAULT_LIMITS, ...(heapMb > 0 ? { heapMb } : {}) };
  if (!transport) return { limits };
  return { transport, limits, ...(budgetMs > 0 ? { budgetMs } : {}), worker: newWorker(WORKER_ENTRY, limits) };
}

/** What the worker runs: dist/lspLoader.js, beside dist/server.js. */
export const WORKER_ENTRY = join(__dirname, 'lspLoader.js');

export const launched = launch(process.env);
