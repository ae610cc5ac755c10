// What every stage shares: the current policy, events, DNS, the route to upstreams, the CA, limits.
// Built once in server.ts before any transport exists (no transport is reachable from here).
import type { CaHandle } from '../ca';
import type { CompiledPolicy } from '../policy/compile';
import type { Credential } from './access';
import type { Resolver, ResolveOverrides } from './dns';
import type { EventLog } from './events';
import type { Limits } from './lifecycle';
import type { Route } from './route';

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
  /** How upstreams are reached (route.ts): direct today, via an upstream proxy later. */
  route: Route;
  ca: CaHandle;
  /** null when no proxy credential is required. */
  credential: Credential | null;
  limits: Limits;
  /** Marks work a graceful shutdown waits for (a raw tunnel); call the result when it ends. */
  busy(): () => void;
  /** Sockets to destroy on shutdown. */
  track(socket: { destroy(): void; once(ev: 'close', f: () => void): unknown }): void;
  /** Removes every known secret from a message before it reaches an event or a log. */
  scrub(message: string): string;
}

/** A judged tunnel: the name the client asked for and who asked. */
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
