// Worker processes (`proxy --workers N`): the primary forks N-1 copies of the CLI that accept on
// its listening socket (the kernel hands each new connection to one of the processes), so requests
// use every core. The primary stays the single voice: workers send their events over IPC and the
// primary renumbers them into its one ordered stream (stdout, --audit, OTLP). It alone watches the
// policy files and tells workers to reload once it has applied an edit; workers get its 407
// credential over IPC, use its CA directory (created before they start), inherit its flags
// (learning mode, limits, --resolve, upstream CAs) and drain when it does.
import { fork, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import type { Credential } from './access';
import type { EventLog } from './events';
import type { ProxyEvent } from './protocol';

/** Set in a worker's environment; its value is the worker's number (1…N-1). */
export const WORKER_ENV = 'CODEX_NETPOLICY_PROXY_WORKER';
export const MAX_WORKERS = 64;

type ToWorker = { type: 'init'; credential: Credential | null } | { type: 'reload' } | { type: 'close'; drainMs: number };
type FromWorker = { type: 'ready' } | { type: 'events'; events: ProxyEvent[] };

/** Decision ids remembered per worker until their outcome arrives (a denial never gets one). */
const MAX_PENDING_IDS = 10_000;
const READY_TIMEOUT_MS = 30_000;
/** A worker that dies on its own is replaced after this long (not in a loop faster than that). */
const RESPAWN_DELAY_MS = 1000;

export interface PoolOptions {
  count: number;
  /** The CLI entry and its arguments (`proxy …`), run again in each worker. */
  entry: string;
  argv: string[];
  env: Record<string, string | undefined>;
  listener: Server;
  credential: Credential | null;
}

export class WorkerPool {
  private readonly children = new Set<ChildProcess>();
  private closing = false;

  constructor(private readonly events: EventLog, private readonly opts: PoolOptions) {}

  /** Resolves when every worker accepts connections. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.opts.count - 1 }, (_, i) => this.spawn(i + 1)));
  }

  /** The primary applied a policy edit: workers load the files again. */
  reload(): void {
    for (const c of this.children) send(c, { type: 'reload' });
  }

  /** Workers stop accepting and drain like the primary; resolves when they have exited. */
  close(drainMs: number): Promise<void> {
    this.closing = true;
    return Promise.all([...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const kill = setTimeout(() => c.kill('SIGKILL'), drainMs + 5000);
      c.once('exit', () => (clearTimeout(kill), resolve()));
      send(c, { type: 'close', drainMs });
    }))).then(() => undefined);
  }

  private spawn(n: number): Promise<void> {
    const child = fork(this.opts.entry, this.opts.argv, {
      env: { ...this.opts.env, [WORKER_ENV]: String(n) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.children.add(child);
    const ids = new Map<number, number>();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`proxy worker ${n} did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      let ready = false;
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'events') for (const e of m.events) this.relay(n, ids, e);
      });
      child.once('exit', (code, signal) => {
        this.children.delete(child);
        clearTimeout(timer);
        if (!ready) return reject(new Error(`proxy worker ${n} exited before it was ready (${signal ?? `code ${code}`})`));
        if (this.closing) return;
        this.events.error(`proxy worker ${n} exited (${signal ?? `code ${code}`}); its connections were dropped; starting a new one`);
        setTimeout(() => {
          if (!this.closing) this.spawn(n).catch((e: unknown) => this.events.error(e instanceof Error ? e.message : String(e)));
        }, RESPAWN_DELAY_MS).unref();
      });
      send(child, { type: 'init', credential: this.opts.credential }, this.opts.listener);
    });
  }

  /** One worker event into the primary's stream: decisions get the next id, outcomes follow them. */
  private relay(n: number, ids: Map<number, number>, e: ProxyEvent): void {
    if (e.event === 'decision') {
      ids.set(e.id, this.events.adopt(e, n).id);
      if (ids.size > MAX_PENDING_IDS) ids.delete(ids.keys().next().value!);
    } else if (e.event === 'outcome') {
      const id = ids.get(e.id);
      if (id === undefined) return;
      ids.delete(e.id);
      this.events.forward({ ...e, id });
    } else if (e.event !== 'policy') {
      // Policy state is the primary's to report: workers follow it.
      this.events.forward(e);
    }
  }
}

function send(child: ChildProcess, m: ToWorker, handle?: Server): void {
  if (child.connected) child.send(m, handle);
}

export const isWorker = (env: Record<string, string | undefined>): boolean => !!env[WORKER_ENV];

/** In a worker: waits for the primary's credential and listening socket. */
export function workerInit(): Promise<{ credential: Credential | null; listener: Server }> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error(`${WORKER_ENV} is set but this process has no IPC channel to a primary`));
    const onMessage = (m: ToWorker, handle: unknown): void => {
      if (m.type !== 'init') return;
      process.off('message', onMessage);
      resolve({ credential: m.credential, listener: handle as Server });
    };
    process.on('message', onMessage);
  });
}

export interface WorkerProxy {
  events: EventLog;
  reload(): void;
  close(drainMs: number): Promise<void>;
}

/**
 * In a worker, once its proxy listens: events go to the primary (batched per event-loop turn, as
 * stdout lines are), reload and close come from it. Signals to the process group are left to the
 * primary; a worker whose primary is gone drains and exits. Resolves with the exit code.
 */
export function serveAsWorker(h: WorkerProxy, defaultDrainMs: number): Promise<number> {
  let pending: ProxyEvent[] = [];
  const flush = (): void => {
    if (!pending.length || !process.connected) return;
    process.send!({ type: 'events', events: pending } satisfies FromWorker);
    pending = [];
  };
  h.events.onEvent((e) => {
    if (pending.push(e) === 1) setImmediate(flush);
  });
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => undefined);
  return new Promise((done) => {
    let closing: Promise<void> | null = null;
    const close = (drainMs: number): void => {
      closing ??= h.close(drainMs).finally(() => {
        flush();
        process.disconnect?.();
        done(0);
      });
    };
    process.on('message', (m: ToWorker) => {
      if (m.type === 'reload') h.reload();
      else if (m.type === 'close') close(m.drainMs);
    });
    process.once('disconnect', () => close(defaultDrainMs));
    process.send!({ type: 'ready' } satisfies FromWorker);
  });
}
