// The language-server worker under a memory cap (#11): V8 ends a worker whose heap outgrows
// `resourceLimits` (ERR_WORKER_OUT_OF_MEMORY) without touching the relay's thread, so no document
// can take the process past the cap; the relay (server/relay.ts) then starts a new one.
import { Worker } from 'node:worker_threads';
import { PortMessageReader, PortMessageWriter, type Message } from 'vscode-languageserver/node';

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

/** Restarts allowed within RESTART_WINDOW_MS; one more crash leaves the relay without a worker. */
export const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 60_000;

export interface WorkerLink {
  readonly worker: Worker;
  write(m: Message): void;
}

/** Starts the worker; `onEnd` gets its exit code and, when it failed, the error (e.g. out of memory). */
export function spawnWorker(entry: string, limits: WorkerLimits, onMessage: (m: Message) => void, onEnd: (code: number, error?: Error) => void): WorkerLink {
  // The worker's stdout is piped, never shared: a stray console.log must not corrupt a stdio stream.
  const worker = new Worker(entry, { stdout: true, resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: limits.youngMb } });
  worker.stdout.pipe(process.stderr);
  const writer = new PortMessageWriter(worker);
  new PortMessageReader(worker).listen(onMessage);
  let failure: Error | undefined;
  worker.on('error', (e) => (failure = e));
  worker.on('exit', (code) => onEnd(code, failure));
  return { worker, write: (m) => void writer.write(m) };
}

/** Why a worker ended, for the log. */
export function endReason(code: number, error: Error | undefined, limits: WorkerLimits): string {
  if ((error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') return `it ran out of its ${limits.heapMb} MB memory limit`;
  return error ? `it failed: ${error.message}` : `it exited with code ${code}`;
}

/** At most MAX_RESTARTS restarts within a sliding window, so a crash loop cannot burn the CPU. */
export class RestartBudget {
  private readonly times: number[] = [];
  allow(now: number): boolean {
    while (this.times.length && now - this.times[0]! > RESTART_WINDOW_MS) this.times.shift();
    if (this.times.length >= MAX_RESTARTS) return false;
    this.times.push(now);
    return true;
  }
}
