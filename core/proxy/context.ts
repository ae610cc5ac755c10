// What every listener's handlers share: the current policy, events, DNS, upstream agents, CA.
import type { Socket } from 'node:net';
import type { CaHandle } from '../ca';
import type { CompiledPolicy } from '../policy/compile';
import type { Decision } from '../policy/decide';
import type { Credential } from './access';
import type { Resolver, ResolveOverrides } from './dns';
import type { DecisionContext, DecisionEvent, EventLog } from './events';
import type { Limits } from './lifecycle';
import type { Upstreams } from './upstream';

export const HEADERS_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A tunnel or client connection with no traffic either way for this long is closed. */
export const IDLE_TIMEOUT_MS = 300_000;
export const MAX_HEADER_BYTES = 32 * 1024;

export interface ProxyContext {
  /** The last good policy; swapped atomically on reload. */
  policy(): CompiledPolicy;
  events: EventLog;
  resolver: Resolver;
  overrides: ResolveOverrides;
  upstreams: Upstreams;
  ca: CaHandle;
  /** null when no proxy credential is required. */
  credential: Credential | null;
  /** Hands a client stream (after CONNECT 200 / SOCKS success) to the MITM TLS server. */
  intercept(stream: Socket, tunnel: Tunnel): void;
  limits: Limits;
  /** Marks work a graceful shutdown waits for (a raw tunnel); call the result when it ends. */
  busy(): () => void;
  /** Sockets to destroy on shutdown. */
  track(socket: { destroy(): void; once(ev: 'close', f: () => void): unknown }): void;
  /** Removes every known secret from a message before it reaches an event or a log. */
  scrub(message: string): string;
}

export interface Tunnel {
  host: string;
  port: number;
  client: string;
}

export function clientOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  const a = socket.remoteAddress;
  if (!a) return 'unknown';
  return a.includes(':') ? `[${a}]:${socket.remotePort ?? 0}` : `${a}:${socket.remotePort ?? 0}`;
}

/** Logs the decision; returns the event (its explanation goes into block bodies). */
export function record(ctx: ProxyContext, d: Decision, c: Omit<DecisionContext, 'profile' | 'mode'>): DecisionEvent {
  const eff = ctx.policy().effective;
  return ctx.events.decision(d, { ...c, profile: eff.profile, mode: eff.mode });
}

/** Counts the upstream's response bytes and reports the outcome once the client side closes. */
export function reportOutcome(ctx: ProxyContext, id: number, startedAt: number, res: { once(ev: 'close', f: () => void): unknown }, up: { statusCode?: number | undefined; on(ev: 'data', f: (b: Buffer) => void): unknown }): void {
  let bytes = 0;
  up.on('data', (b) => (bytes += b.length));
  res.once('close', () => ctx.events.outcome(id, up.statusCode ?? null, bytes, startedAt));
}
