// MITM transport: terminate TLS with a leaf for the tunnel's host; ALPN offers `h2` and `http/1.1`
// and the decrypted stream goes to an inner HTTP/2 or HTTP/1.1 server. Every request (an h2 stream,
// an h1 request, an h1 upgrade) goes through the request pipeline (stages/request.ts);
// handleInnerRequest takes the tunnel explicitly, so it serves either server object's req/res.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { decide } from '../policy/decide';
import { IDLE_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_HEADER_BYTES, type ProxyContext, type Tunnel } from './context';
import { heldResponses, type HeldResponses } from './heldLines';
import { headerLookup, pairsOf } from './hopByHop';
import { sendText, writeClientError, writeRawDecision, type Incoming, type Reply } from './responses';
import { record } from './stages/judge';
import { runRequest } from './stages/request';
import { upgradeOf, upgradeResponse, type Upgrade } from './websocket';

export class MitmServer {
  /** Tunnel of each decrypted TLS socket (h1) and h2 session. */
  private readonly tunnels = new WeakMap<object, Tunnel>();
  readonly inner: http.Server;
  /** HTTP/2 sessions of tunnels whose client picked `h2`; the same pipeline as `inner`. */
  readonly innerH2: http2.Http2Server;
  private pendingTunnel: Tunnel | undefined;

  constructor(private readonly ctx: ProxyContext) {
    const held = heldResponses(ctx.events);
    const onRequest = (t: Tunnel | undefined, req: Incoming, res: Reply, upgrade?: Upgrade): void => {
      if (!t) return void (upgrade ? upgrade.socket.destroy() : sendText(res, 500, 'error'));
      const failed = (e: unknown): void => {
        ctx.events.error(ctx.scrub(`mitm request failed: ${e instanceof Error ? e.message : String(e)}`));
        sendText(res, 500, 'error');
      };
      try {
        handleInnerRequest(ctx, t, req, res, held, upgrade)?.catch(failed);
      } catch (e) {
        failed(e);
      }
    };
    this.inner = http.createServer({
      ServerResponse: held.h1, requireHostHeader: false, headersTimeout: ctx.limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, ctx.limits.headersTimeoutMs), keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES,
    }, (req, res) => onRequest(this.tunnels.get(req.socket), req, res));
    this.inner.timeout = IDLE_TIMEOUT_MS;
    // wss:// inside the tunnel: the upgrade is one more request of the pipeline.
    this.inner.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      onRequest(this.tunnels.get(socket), req, upgradeResponse(req, socket), upgradeOf(req, socket, head));
    });
    // Decision: no extended CONNECT (RFC 8441) inside h2, so WebSockets over h2 are not offered; clients use h1 for them.
    this.innerH2 = http2.createServer({ Http2ServerResponse: held.h2, settings: { maxHeaderListSize: MAX_HEADER_BYTES } }, (req, res) => onRequest(this.tunnels.get(req.stream.session!), req, res));
    this.innerH2.setTimeout(IDLE_TIMEOUT_MS);
    this.innerH2.on('session', (session: http2.ServerHttp2Session) => {
      if (this.pendingTunnel) this.tunnels.set(session, this.pendingTunnel);
      session.on('error', () => session.destroy());
    });
    this.inner.on('connect', (req: http.IncomingMessage, socket: Socket) => {
      const t = this.tunnels.get(socket);
      if (!t) return socket.destroy();
      const d = decide(ctx.policy(), { kind: 'inner', tunnelHost: t.host, port: t.port, method: 'CONNECT', path: req.url ?? '', query: '' });
      writeRawDecision(socket, d, record(ctx, d, { method: 'CONNECT', path: null, client: t.client }).explanation);
    });
    this.inner.on('clientError', (err: NodeJS.ErrnoException, socket) => writeClientError(socket, err));
  }

  /** Wraps a client stream in server-side TLS and feeds it to the inner HTTP server. */
  intercept(stream: Socket, tunnel: Tunnel): void {
    let context: tls.SecureContext;
    try {
      context = this.ctx.ca.secureContextFor(tunnel.host);
    } catch (e) {
      this.ctx.events.error(`cannot issue a certificate for ${tunnel.host}: ${e instanceof Error ? e.message : String(e)}`);
      stream.destroy();
      return;
    }
    const tlsSocket = new tls.TLSSocket(stream, { isServer: true, secureContext: context, ALPNProtocols: ['h2', 'http/1.1'] });
    this.ctx.track(tlsSocket);
    tlsSocket.on('error', () => tlsSocket.destroy());
    stream.on('close', () => tlsSocket.destroy());
    this.tunnels.set(tlsSocket, tunnel);
    tlsSocket.once('secure', () => {
      if (tlsSocket.alpnProtocol !== 'h2') return void this.inner.emit('connection', tlsSocket);
      // A server-side TLSSocket keeps `secureConnecting` set; an h2 session would wait for a 'secureConnect' that never comes.
      (tlsSocket as tls.TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
      this.pendingTunnel = tunnel;
      this.innerH2.emit('connection', tlsSocket);
      this.pendingTunnel = undefined;
    });
  }

  close(): void {
    this.inner.closeAllConnections();
    this.inner.close();
    this.innerH2.close();
  }
}

/** One decrypted request of a tunnel: parse its target, then the request pipeline (a promise only while it waits for DNS). */
function handleInnerRequest(ctx: ProxyContext, t: Tunnel, req: Incoming, res: Reply, held: HeldResponses, upgrade?: Upgrade): void | Promise<void> {
  const startedAt = performance.now();
  const method = req.method ?? 'GET';
  let raw = req.url ?? '/';
  // Some clients send absolute-form inside the tunnel; judge the path part.
  const abs = raw.startsWith('/') ? null : /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
  if (abs) raw = raw.slice(abs[0].length) || '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = q >= 0 ? raw.slice(q + 1) : '';
  const pairs = pairsOf(req.rawHeaders);
  const hostHeader = req.headers.host ?? req.headers[':authority'];
  return runRequest(ctx, req, res, {
    decision: {
      kind: 'inner', tunnelHost: t.host, port: t.port, method, path, query,
      ...(typeof hostHeader === 'string' ? { hostHeader } : {}), headers: headerLookup(pairs),
    },
    pairs, host: t.host, method, path, url: raw, client: t.client, startedAt,
    authority: (t.host.includes(':') ? `[${t.host}]` : t.host) + (t.port === 443 ? '' : `:${t.port}`),
    port: t.port, tls: true, label: `${t.host}:${t.port}`, held, ...(upgrade ? { upgrade } : {}),
  });
}
