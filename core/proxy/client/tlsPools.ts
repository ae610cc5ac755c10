// The lean HTTP/1.1 client of the direct route's TLS upstream leg (issue #8): undici connection
// pools driven through the low-level dispatch() API, over sockets this module dials itself. It
// replaces node:https (ClientRequest/IncomingMessage/Agent), whose per-request machinery was most of
// the proxy's own CPU per MITM request. Which path serves what is decided in route.ts/forward.ts.
//
// Security is the same as the https.Agent path: only the policy-checked addresses are dialed
// (dialChecked), TLS always verifies (rejectUnauthorized, the shared trust context) against the
// tunnel's name, not the dialed address.
import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import Pool from 'undici/lib/dispatcher/pool';
import type { Destination } from '../destination';
import { isIpLiteral } from '../upstream';

/** Idle keep-alive upstream sockets close after this (as the https.Agent's socket timeout). */
const IDLE_MS = 60_000;
/** Connections per destination (as the https.Agent's maxSockets). */
const MAX_CONNECTIONS = 256;
/** Idle sockets kept per destination (as the https.Agent's maxFreeSockets); one more idle is closed. */
const MAX_IDLE = 64;

/** One upstream exchange as forward.ts consumes it. */
export interface Exchange {
  /** A chunk of the request body reached the upstream socket, or its end did (upload progress). */
  onProgress(): void;
  /** Status and headers (flat [name, value, …], the origin's casing and order, duplicates kept). */
  onHead(status: number, message: string, headers: string[]): void;
  /** A body chunk; false holds the upstream until `resume` is called (backpressure). */
  onData(chunk: Buffer, resume: () => void): boolean;
  onEnd(): void;
  /** Connect, TLS, protocol or abort failure; called at most once, and never after onEnd. */
  onError(e: Error): void;
}

/** Cancels an exchange (client gone, response timeout): the upstream request and its socket are destroyed. */
export type Abort = (reason: Error) => void;

/** One request as the pools send it: origin-form path, flat headers (Host first), optional body stream. */
export interface LeanRequest {
  method: string;
  path: string;
  headers: string[];
  /** Made only once the pools take the request (a route that declines must leave the client's stream alone). */
  body: (() => Readable) | null;
}

type Dial = (dest: Destination) => Promise<Socket>;

export class TlsPools {
  private readonly pools = new Map<string, { pool: Pool; origin: string }>();

  constructor(private readonly secureContext: tls.SecureContext, private readonly dial: Dial) {}

  send(dest: Destination, req: LeanRequest, x: Exchange): Abort {
    const { pool, origin } = this.poolFor(dest);
    const h = new Handler(x);
    pool.dispatch({ origin, method: req.method, path: req.path, headers: req.headers, body: req.body ? req.body() : null, upgrade: null }, h);
    return (reason) => h.cancel(reason);
  }

  close(): void {
    for (const p of this.pools.values()) void p.pool.destroy();
    this.pools.clear();
  }

  /** Pools are per checked address list, port and verified name (the https.Agent's pool key did the same). */
  private poolFor(dest: Destination): { pool: Pool; origin: string } {
    const key = `${dest.host}|${dest.port}|${dest.addresses?.join(',') ?? ''}`;
    const known = this.pools.get(key);
    if (known) return known;
    const origin = `https://${dest.host.includes(':') ? `[${dest.host}]` : dest.host}:${dest.port}`;
    let session: Buffer | undefined;
    const idle: IdleCount = { n: 0 };
    const connect = (_o: unknown, done: (...a: [null, tls.TLSSocket] | [Error, null]) => void): void => {
      this.dial(dest).then((raw) => {
        const name = dest.host.replace(/%.*$/, '');
        const s = tls.connect({
          socket: raw, secureContext: this.secureContext, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'],
          servername: isIpLiteral(dest.host) ? '' : dest.host, ...(session ? { session } : {}),
          // Verify against the tunnel's name even though we dial the checked address.
          checkServerIdentity: (_h, cert) => tls.checkServerIdentity(name, cert),
        });
        s.on('session', (b: Buffer) => (session = b));
        capIdle(s, idle);
        const failed = (e: Error): void => {
          raw.destroy();
          done(e, null);
        };
        s.once('error', failed);
        s.once('secureConnect', () => {
          s.off('error', failed);
          done(null, s);
        });
      }, (e: Error) => done(e, null));
    };
    const pool = new Pool(origin, {
      connect, connections: MAX_CONNECTIONS, pipelining: 1, keepAliveTimeout: IDLE_MS, keepAliveMaxTimeout: IDLE_MS,
      // Response timeouts are forward.ts's (with progress on upload); no body timeout, as before.
      headersTimeout: 0, bodyTimeout: 0, maxHeaderSize,
    });
    const entry = { pool, origin };
    pool.on('disconnect', () => this.dropIfIdle(key, entry));
    this.pools.set(key, entry);
    return entry;
  }

  /** A destination's pool goes once its last socket closes with nothing waiting (bounded memory). */
  private dropIfIdle(key: string, entry: { pool: Pool }): void {
    const s = entry.pool.stats;
    if (s.connected || s.pending || s.running || s.queued || this.pools.get(key) !== entry) return;
    this.pools.delete(key);
    void entry.pool.close();
  }
}

/**
 * Keeps at most MAX_IDLE idle sockets per destination. undici has no such limit; its h1 client
 * unrefs a socket when its last request is done and refs it when it gets one (its documented
 * keep-the-process-alive behaviour), which is when a socket turns idle or busy. Without those
 * calls this cap does nothing and idle sockets still close after IDLE_MS. A count, not a Set of
 * sockets: a socket turns idle and busy once per request, and a Set's table churn under load was
 * measurable per request (see core/proxy/deadlines.ts).
 */
function capIdle(s: tls.TLSSocket, idle: IdleCount): void {
  const unref = s.unref.bind(s);
  const ref = s.ref.bind(s);
  let isIdle = false;
  s.unref = () => {
    if (isIdle) return unref();
    if (idle.n >= MAX_IDLE) s.destroy();
    else {
      isIdle = true;
      idle.n++;
    }
    return unref();
  };
  s.ref = () => {
    if (isIdle) {
      isIdle = false;
      idle.n--;
    }
    return ref();
  };
  s.once('close', () => {
    if (isIdle) idle.n--;
    isIdle = false;
  });
}

/** Idle sockets of one destination. */
interface IdleCount {
  n: number;
}

/** undici's dispatch handler for one exchange; settles once (end, error or cancel). */
class Handler implements Dispatcher.DispatchHandler {
  private abort: ((e?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private done = false;
  private reason: Error | undefined;
  private readonly resumeNow = (): void => this.resume?.();

  constructor(private readonly x: Exchange) {}

  cancel(reason: Error): void {
    if (this.done) return;
    if (this.abort) return this.abort(reason);
    // Not on a socket yet (connecting, or queued): fail now; the request is dropped when it gets one.
    this.reason = reason;
    this.onError(reason);
  }

  onConnect(abort: (e?: Error) => void): void {
    if (this.reason) return abort(this.reason);
    this.abort = abort;
  }

  onBodySent(): void {
    if (!this.done) this.x.onProgress();
  }

  onRequestSent(): void {
    if (!this.done) this.x.onProgress();
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200 || this.done) return true; // 1xx (e.g. 103): not passed on, as with node:http
    this.resume = resume;
    const headers = new Array<string>(raw.length);
    for (let i = 0; i < raw.length; i++) headers[i] = raw[i]!.toString('latin1');
    this.x.onHead(status, statusText, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.done || this.x.onData(chunk, this.resumeNow);
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    this.x.onEnd();
  }

  onError(e: Error): void {
    if (this.done) return;
    this.done = true;
    this.x.onError(e);
  }
}
