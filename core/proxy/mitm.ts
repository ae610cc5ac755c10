// The MITM side of a tunnel: terminate TLS with a leaf for the CONNECT host, run an HTTP/1.1
// server on the decrypted stream (Decision: ALPN offers http/1.1 only; h2 is not served inside
// MITM, clients fall back), judge each request, forward over pooled, always-verified TLS.
import { brokerHeaders } from './broker';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { checkServerIdentity } from 'node:tls';
import { decide } from '../policy/decide';
import { IDLE_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_HEADER_BYTES, record, reportOutcome, type ProxyContext, type Tunnel } from './context';
import { decideChecked } from './dns';
import { applyActions, flatten, headerLookup, pairsOf, stripHopByHop } from './hopByHop';
import { sendDecisionText, sendText, writeRawDecision } from './responses';
import { guardConnect, upstreamTimedOut } from './httpProxy';
import { guardResponse } from './lifecycle';
import { isIpLiteral } from './upstream';

export class MitmServer {
  private readonly tunnels = new WeakMap<object, Tunnel>();
  readonly inner: http.Server;

  constructor(private readonly ctx: ProxyContext) {
    this.inner = http.createServer({
      requireHostHeader: false, headersTimeout: ctx.limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, ctx.limits.headersTimeoutMs), keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES,
    }, (req, res) => {
      this.handle(req, res).catch((e: unknown) => {
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
    this.inner.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
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

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const t = this.tunnels.get(req.socket);
    if (!t) return sendText(res, 500, 'error');
    const ctx = this.ctx;
    const method = req.method ?? 'GET';
    let raw = req.url ?? '/';
    // Some clients send absolute-form inside the tunnel; judge the path part.
    const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
    if (abs) raw = raw.slice(abs[0].length) || '/';
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const query = q >= 0 ? raw.slice(q + 1) : '';
    const pairs = pairsOf(req.rawHeaders);
    const checked = await decideChecked(ctx.policy(), {
      kind: 'inner', tunnelHost: t.host, port: t.port, method, path, query,
      ...(req.headers.host !== undefined ? { hostHeader: req.headers.host } : {}), headers: headerLookup(pairs),
    }, t.host, ctx.resolver, ctx.overrides);
    const d = checked.decision;
    const logged = record(ctx, d, { method, path, client: t.client, startedAt: started });
    if (d.decision === 'deny') {
      req.resume();
      return sendDecisionText(res, d, logged.explanation);
    }
    if (checked.addresses && checked.addresses.length === 0) {
      req.resume();
      return sendText(res, 502, 'mitm upstream error');
    }
    const authority = (t.host.includes(':') ? `[${t.host}]` : t.host) + (t.port === 443 ? '' : `:${t.port}`);
    let out = stripHopByHop(pairs).filter(([k]) => k.toLowerCase() !== 'host');
    if (d.appliedHook) out = applyActions(out, d.appliedHook.strip, d.appliedHook.inject);
    out = brokerHeaders(ctx, t.host, raw, out, true);
    out.unshift(['Host', authority]);
    const ip = isIpLiteral(t.host);
    const upstream = https.request({
      host: checked.addresses?.[0] ?? t.host, port: checked.port ?? t.port, method, path: raw, headers: flatten(out), setHost: false,
      agent: ctx.upstreams.https, servername: ip ? '' : t.host,
      // Verify against the tunnel's name even though we dial the checked address.
      checkServerIdentity: (_h, cert) => checkServerIdentity(t.host.replace(/%.*$/, ''), cert),
    });
    guardConnect(upstream);
    guardResponse(upstream, ctx.limits.responseTimeoutMs, req);
    upstream.on('response', (up) => {
      reportOutcome(ctx, logged.id, started, res, up);
      res.writeHead(up.statusCode ?? 502, up.statusMessage, flatten(stripHopByHop(pairsOf(up.rawHeaders))));
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (e) => {
      if (upstreamTimedOut(ctx, res, e, `${t.host}:${t.port}`)) return;
      ctx.events.error(ctx.scrub(`mitm upstream ${t.host}:${t.port}: ${e.message}`));
      if (!res.headersSent) sendText(res, 502, 'mitm upstream error');
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  close(): void {
    this.inner.closeAllConnections();
    this.inner.close();
  }
}
