// HTTP/2 upstream for h2 clients inside MITM. Decision: the upstream hop follows the client: an h2
// client's requests go over h2 when the origin's ALPN picks `h2`, else over the HTTP/1.1 agent; an
// HTTP/1.1 client's stay on HTTP/1.1. One verified TLS session per origin (same trust store and
// name check as the HTTP/1.1 agent); origins that answered http/1.1 are remembered for a while.
import * as http2 from 'node:http2';
import { isIP, type Socket } from 'node:net';
import * as tls from 'node:tls';
import type { Destination } from './destination';

/** Header names that are connection-specific and never cross into HTTP/2 (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);
const H1_ONLY_MS = 10 * 60_000;
const IDLE_MS = 120_000;

/** Opens a TCP stream to a judged destination (the route's dial: direct, or through an upstream proxy). */
type Dial = (dest: Destination) => Promise<Socket>;

export class H2Pool {
  private readonly sessions = new Map<string, Promise<http2.ClientHttp2Session | null>>();
  private readonly h1Only = new Map<string, number>();

  constructor(private readonly secureContext: tls.SecureContext | undefined, private readonly dial: Dial) {}

  /** The origin's live h2 session, or null when it speaks only HTTP/1.1. Rejects on TLS/verification failure. */
  session(o: Destination): Promise<http2.ClientHttp2Session | null> {
    const key = `${o.host}|${o.port}`;
    const until = this.h1Only.get(key);
    if (until !== undefined && until > Date.now()) return Promise.resolve(null);
    const open = this.sessions.get(key);
    if (open) return open;
    const pending = this.open(o, key);
    this.sessions.set(key, pending);
    pending.then((s) => s ?? this.sessions.delete(key), () => this.sessions.delete(key));
    return pending;
  }

  private async open(o: Destination, key: string): Promise<http2.ClientHttp2Session | null> {
    const raw = await this.dial(o);
    // Verified against the judged name even though the checked address is dialled.
    const name = o.host.replace(/%.*$/, '');
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({
        socket: raw, ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: true, ...(this.secureContext ? { secureContext: this.secureContext } : {}),
        ...(isIP(name) ? {} : { servername: name }),
        checkServerIdentity: (_h, cert) => tls.checkServerIdentity(name, cert),
      });
      s.once('secureConnect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', (e) => {
        raw.destroy();
        reject(e);
      });
    });
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy();
      this.h1Only.set(key, Date.now() + H1_ONLY_MS);
      return null;
    }
    const session = http2.connect(`https://${name.includes(':') ? `[${name}]` : name}:${o.port}`, { createConnection: () => socket });
    const forget = (): void => {
      void this.sessions.get(key)?.then((s) => s === session && this.sessions.delete(key));
    };
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    session.setTimeout(IDLE_MS, () => session.close());
    return session;
  }

  close(): void {
    for (const p of this.sessions.values()) void p.then((s) => s?.destroy(), () => undefined);
    this.sessions.clear();
  }
}

/**
 * Request headers for an h2 upstream from the rewritten flat list: pseudo-headers first (`Host`
 * becomes `:authority`), connection-specific ones dropped, `te: trailers` put back when asked.
 */
export function h2RequestHeaders(method: string, path: string, flat: readonly string[], teTrailers: boolean): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ':method': method, ':path': path, ':scheme': 'https' };
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const lk = flat[i]!.toLowerCase();
    const v = flat[i + 1]!;
    if (lk === 'host') out[':authority'] ??= v;
    if (lk.startsWith(':') || CONNECTION_SPECIFIC.has(lk) || lk === 'te') continue;
    const prev = out[lk];
    out[lk] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
  }
  if (teTrailers) out.te = 'trailers';
  return out;
}

/** Response headers (or trailers) from an h2 upstream as an object the client side can write: no pseudo-headers. */
export function h2ResponseHeaders(h: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') && v !== undefined && !CONNECTION_SPECIFIC.has(k)) out[k] = v;
  return out;
}
