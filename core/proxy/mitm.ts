// MITM transport: terminate TLS with a leaf for the tunnel's host, run an HTTP/1.1 server on the
// decrypted stream (Decision: ALPN offers http/1.1 only; h2 is not served inside MITM, clients
// fall back), and send each request through the request pipeline (stages/request.ts).
// handleInnerRequest takes the tunnel explicitly, so it serves any server object's req/res.
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { decide } from '../policy/decide';
import { IDLE_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_HEADER_BYTES, type ProxyContext, type Tunnel } from './context';
import { headerLookup, pairsOf } from './hopByHop';
import { sendText, writeClientError, writeRawDecision, type Incoming, type Reply } from './responses';
import { record } from './stages/judge';
import { runRequest } from './stages/request';

export class MitmServer {
  private readonly tunnels = new WeakMap<object, Tunnel>();
  readonly inner: http.Server;

  constructor(private readonly ctx: ProxyContext) {
    this.inner = http.createServer({
      requireHostHeader: false, headersTimeout: ctx.limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, ctx.limits.headersTimeoutMs), keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES,
    }, (req, res) => {
      const t = this.tunnels.get(req.socket);
      if (!t) return sendText(res, 500, 'error');
      handleInnerRequest(ctx, t, req, res).catch((e: unknown) => {
        ctx.events.error(ctx.scrub(`mitm request failed: ${e instanceof Error ? e.message : String(e)}`));
        sendText(res, 500, 'error');
      });
    });
    this.inner.timeout = IDLE_TIMEOUT_MS;
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
    const tlsSocket = new tls.TLSSocket(stream, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] });
    this.ctx.track(tlsSocket);
    tlsSocket.on('error', () => tlsSocket.destroy());
    stream.on('close', () => tlsSocket.destroy());
    this.tunnels.set(tlsSocket, tunnel);
    this.inner.emit('connection', tlsSocket);
  }

  close(): void {
    this.inner.closeAllConnections();
    this.inner.close();
  }
}

/** One decrypted request of a tunnel: parse its target, then the request pipeline. */
async function handleInnerRequest(ctx: ProxyContext, t: Tunnel, req: Incoming, res: Reply): Promise<void> {
  const startedAt = performance.now();
  const method = req.method ?? 'GET';
  let raw = req.url ?? '/';
  // Some clients send absolute-form inside the tunnel; judge the path part.
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
  if (abs) raw = raw.slice(abs[0].length) || '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = q >= 0 ? raw.slice(q + 1) : '';
  const pairs = pairsOf(req.rawHeaders);
  const hostHeader = req.headers.host ?? req.headers[':authority'];
  await runRequest(ctx, req, res, {
    decision: {
      kind: 'inner', tunnelHost: t.host, port: t.port, method, path, query,
      ...(typeof hostHeader === 'string' ? { hostHeader } : {}), headers: headerLookup(pairs),
    },
    pairs, host: t.host, method, path, url: raw, client: t.client, startedAt,
    authority: (t.host.includes(':') ? `[${t.host}]` : t.host) + (t.port === 443 ? '' : `:${t.port}`),
    port: t.port, tls: true, label: `${t.host}:${t.port}`,
  });
}
