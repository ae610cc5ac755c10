// Lifecycle and overload limits of the proxy: a connection cap with a clear refusal, a response
// timeout for upstreams that accept but never answer (separate from the idle-tunnel timeout),
// counting in-flight work for a bounded drain on shutdown.
import type { ClientRequest } from 'node:http';
import type { ClientHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { responseDeadlines } from './deadlines';
import type { OutcomeFailure } from './protocol';
import { writeRaw } from './responses';

export interface Limits {
  /** Client connections (HTTP and SOCKS listeners together); one more is refused with 503. */
  maxConnections: number;
  /** Upstream response headers (plain, MITM incl. its TLS handshake) or a raw tunnel's first byte. */
  responseTimeoutMs: number;
  /** A client must send its request headers within this time (slowloris). */
  headersTimeoutMs: number;
  /** On SIGTERM/SIGINT/close: how long in-flight requests may still finish. */
  drainTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = { maxConnections: 2048, responseTimeoutMs: 60_000, headersTimeoutMs: 30_000, drainTimeoutMs: 5_000 };

export class UpstreamTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`upstream did not answer within ${ms} ms`);
  }
}

/** The 504 body and event text for a response timeout. */
export function timeoutMessage(target: string, ms: number): string {
  return `upstream ${target} did not answer within ${ms} ms (response timeout)`;
}

/** The outcome failure of a request whose client went away (`how`) before upstream `target` answered. */
export function clientAborted(target: string, how: string): OutcomeFailure {
  return { reason: 'client_aborted', status: null, message: `the client ${how} before upstream ${target} answered` };
}

/**
 * Fails `req` with UpstreamTimeoutError when its response headers have not arrived `ms` after the
 * last progress (request start, a chunk of the client's body, the body's end): a slow upload is
 * progress, an upstream that connects (or handshakes) and then stays silent is not.
 */
export function guardResponse(req: ClientRequest | ClientHttp2Stream, ms: number, body?: NodeJS.EventEmitter): void {
  const deadline = responseDeadlines.start(ms, () => {
    stop();
    req.destroy(new UpstreamTimeoutError(ms));
  });
  const arm = (): void => deadline.touch();
  const stop = (): void => {
    deadline.stop();
    body?.off('data', arm);
  };
  body?.on('data', arm);
  req.once('finish', arm);
  req.once('response', stop);
  req.once('close', stop);
}

/**
 * Raw tunnels: once the client has sent bytes, the upstream must send its first byte within `ms`
 * (an upstream that accepts and then stays silent); after that, only the idle timeout applies.
 * Returns what to call at the upstream's first byte when it emits no 'data' event.
 */
export function guardFirstByte(client: Socket, upstream: Socket, ms: number, onTimeout: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => clearTimeout(timer);
  client.once('data', () => {
    if (upstream.bytesRead > 0) return;
    timer = setTimeout(onTimeout, ms);
  });
  upstream.once('data', stop);
  upstream.once('close', stop);
  client.once('close', stop);
  // The upstream's first byte, for a reader that emits no 'data' (relay.ts).
  return stop;
}

/** Counts work that a graceful shutdown waits for (requests, tunnels). */
export class InFlight {
  private n = 0;
  private waiters: (() => void)[] = [];
  /** Units of work begun so far (a counter that stands still while the proxy is idle). */
  started = 0;

  get count(): number {
    return this.n;
  }

  /** Marks one unit of work; call the returned function (once) when it ends. */
  begin(): () => void {
    this.n++;
    this.started++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.n === 0) {
        const w = this.waiters;
        this.waiters = [];
        w.forEach((f) => f());
      }
    };
  }

  /** Resolves true when nothing is in flight, false after `ms`. */
  idle(ms: number): Promise<boolean> {
    if (this.n === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/** Client connections admitted against the cap; refused ones get a 503 (HTTP) or are closed (SOCKS). */
export class ConnectionGate {
  private open = 0;
  refused = 0;

  constructor(private readonly max: number) {}

  get count(): number {
    return this.open;
  }

  admit(socket: Socket, refuse: (socket: Socket) => void): boolean {
    if (this.open >= this.max) {
      this.refused++;
      socket.on('error', () => socket.destroy());
      refuse(socket);
      return false;
    }
    this.open++;
    socket.once('close', () => this.open--);
    return true;
  }
}

/** The HTTP refusal of a connection over the cap: 503 with Retry-After, then close. */
export function refuseHttp(max: number): (socket: Socket) => void {
  const body = `proxy overloaded: more than ${max} open connections; retry later`;
  return (socket) => {
    socket.resume(); // read (and drop) what the client sends, so closing does not reset the 503
    writeRaw(socket, 503, body, { 'retry-after': '1' });
    // A client that never reads must not hold the socket.
    setTimeout(() => socket.destroy(), 2000).unref();
  };
}
