// The language-server worker under a memory cap (#11): V8 ends a worker whose heap outgrows
// `resourceLimits` (ERR_WORKER_OUT_OF_MEMORY) without touching the relay's thread, so no document
// can take the process past the cap; the relay (server/relay.ts) then starts a new one.
import type { Worker } from 'node:worker_threads';
import { PortMessageReader, PortMessageWriter, type Message } from 'vscode-jsonrpc/node';
import { newWorker, type WorkerLimits } from './relayLaunch';

/** Restarts allowed within RESTART_WINDOW_MS; one more crash leaves the relay without a worker. */
export const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 60_000;

export interface WorkerLink {
  readonly worker: Worker;
  write(m: Message): void;
}

/**
 * Starts the worker (or links one already started: it cannot have sent anything before this runs,
 * in the same turn); `onEnd` gets its exit code and, when it failed, the error (e.g. out of memory).
 */
export function spawnWorker(entry: string, limits: WorkerLimits, onMessage: (m: Message) => void, onEnd: (code: number, error?: Error) => void, started?: Worker): WorkerLink {
  const worker = started ?? newWorker(entry, limits);
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
