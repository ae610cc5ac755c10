// How an upstream is reached, the seam between "where may this go" (the stages) and "how do we
// get there". The direct route dials the checked address itself; a route through a corporate
// upstream proxy (issue #12) implements the same two calls with CONNECT / absolute-form.
// Decision: the proxy never reads its own HTTP(S)_PROXY, which would loop back to itself.
import * as http from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { checkServerIdentity, TLSSocket } from 'node:tls';
import { HandshakeTimeout } from '../net/proxyTunnel';
import type { Destination } from './destination';
import { TlsPools, type Abort, type Exchange, type LeanRequest } from './client/tlsPools';
import { H2Pool } from './h2';
import { CONNECT_TIMEOUT_MS, dialChecked, isIpLiteral, type Upstreams } from './upstream';

/** One upstream HTTP request: method, origin-form path and the headers already rewritten. */
export interface Outgoing {
  method: string;
  path: string;
  /** Flat [name, value, …] list (original casing and duplicates kept). */
  headers: string[];
  /** TLS to the upstream (requests inside MITM); verified against `dest.host`. */
  tls: boolean;
}

export interface Route {
  /** A TCP stream to the destination for a raw tunnel (CONNECT, SOCKS5); never wrap it in TLS (relay.ts). */
  dial(dest: Destination): Promise<Socket>;
  /** An HTTP request to the destination; the caller writes the body and reads the response. */
  request(dest: Destination, out: Outgoing): http.ClientRequest;
  /**
   * The lean HTTP/1.1-over-TLS client (client/tlsPools.ts) for a MITM request without upgrade:
   * the exchange's abort, or null when this route does not serve `dest` that way (then `request`).
   */
  send?(dest: Destination, req: LeanRequest, x: Exchange): Abort | null;
  /**
   * For a route through an upstream proxy (upstreamRoute.ts): that proxy's own failure behind a
   * request error or a response status (a 407), or null when the cause is the origin's.
   */
  proxyError?(dest: Destination, out: Outgoing, cause: Error | { status: number; headers?: http.IncomingHttpHeaders }): Error | null;
  /**
   * A verified HTTP/2 session to a TLS destination, or null when it speaks only HTTP/1.1 (h2.ts).
   * Absent: h2 clients' requests go over `request` (HTTP/1.1).
   */
  h2?(dest: Destination): Promise<ClientHttp2Session | null>;
  /** Drops pooled sessions (shutdown). */
  close?(): void;
}

/** Straight to the checked address, through the pooled keep-alive agents. */
export function directRoute(upstreams: Upstreams): Route {
  const dial = (dest: Destination): Promise<Socket> => dialChecked(dest.addresses, dest.host, dest.port);
  const h2 = new H2Pool(upstreams.https.options.secureContext, dial);
  // Which client serves what: MITM requests of h1 clients (no upgrade, no Expect) go over `send`;
  // upgrades (WebSocket), h2 clients whose origin lacks h2, and plain HTTP over node:http(s) `request`.
  const lean = new TlsPools(upstreams.secureContext, dial);
  return {
    dial: (dest) => dialChecked(dest.addresses, dest.host, dest.port, true),
    h2: (dest) => h2.session(dest),
    send: (dest, req, x) => lean.send(dest, req, x),
    close: () => {
      h2.close();
      lean.close();
    },
    request: (dest, out) => {
      const host = dest.addresses?.[0] ?? dest.host;
      const req = out.tls
        ? https.request({
          host, port: dest.port, method: out.method, path: out.path, headers: out.headers, setHost: false,
          agent: upstreams.https, servername: isIpLiteral(dest.host) ? '' : dest.host,
          // Verify against the tunnel's name even though we dial the checked address.
          checkServerIdentity: (_h, cert) => checkServerIdentity(dest.host.replace(/%.*$/, ''), cert),
        })
        : http.request({ host, port: dest.port, method: out.method, path: out.path, headers: out.headers, setHost: false, agent: upstreams.http });
      guardConnect(req);
      return req;
    },
  };
}

/**
 * Fails a request whose new upstream socket is not ready within CONNECT_TIMEOUT_MS: connected, and
 * for TLS also through its handshake (a peer that accepts TCP but never answers the hello would
 * otherwise hold the request until the response timeout).
 */
export function guardConnect(req: http.ClientRequest): void {
  req.on('socket', (s) => {
    if (!s.connecting) return; // a pooled socket, already connected (and through its handshake)
    const secure = s instanceof TLSSocket;
    const timer = setTimeout(() => req.destroy(s.connecting ? new Error('upstream connect timeout') : new HandshakeTimeout(CONNECT_TIMEOUT_MS)), CONNECT_TIMEOUT_MS);
    s.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    s.once('close', () => clearTimeout(timer));
  });
}
