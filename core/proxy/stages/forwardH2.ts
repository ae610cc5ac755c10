// The forward stage for an h2 client inside MITM: when the route has an h2 session to the origin
// (h2.ts), the judged and rewritten request becomes one stream on it: body streamed both ways,
// trailers relayed both ways (gRPC's status travels in response trailers), the outcome reported,
// the upstream stream cancelled when the client goes away. Otherwise HTTP/1.1 (`fallback`).
import * as http2 from 'node:http2';
import type { ProxyContext } from '../context';
import { h2RequestHeaders, h2ResponseHeaders } from '../h2';
import { clientAborted, guardResponse } from '../lifecycle';
import { sendText, type Reply } from '../responses';
import type { OutcomeFailure } from '../protocol';
import { upstreamFailure } from '../upstreamFailure';
import { proxyFailure } from '../upstreamRoute';
import type { ForwardSpec } from './forwardSpec';

interface H2Exchange {
  req: http2.Http2ServerRequest;
  res: http2.Http2ServerResponse;
}

export async function forwardH2(ctx: ProxyContext, x: H2Exchange, spec: ForwardSpec, fallback: () => void, timedOut: (e: Error) => boolean): Promise<void> {
  const { req, res } = x;
  let session: http2.ClientHttp2Session | null | undefined;
  try {
    session = await ctx.route.h2?.(spec.dest);
  } catch (e) {
    req.resume();
    // The corporate proxy's own failure (refused, 407, 5xx) is named in the 502, as on HTTP/1.1.
    const viaProxy = proxyFailure(ctx, e, spec.label);
    if (viaProxy) return answerFailed(ctx, res, spec, viaProxy, upstreamFailure(ctx.scrub, e, spec.label, 502));
    ctx.events.error(ctx.scrub(`mitm upstream ${spec.label}: ${e instanceof Error ? e.message : String(e)}`));
    return answerFailed(ctx, res, spec, 'mitm upstream error', upstreamFailure(ctx.scrub, e, spec.label, 502));
  }
  if (!session) return fallback();
  // The client reset its stream while the upstream session was being set up: nothing to send.
  if (res.stream.destroyed || res.stream.closed) return clientLeft(ctx, res, spec);
  // The client's HEADERS frame ended its stream: no body, no trailers to wait for.
  const bodyless = req.stream.endAfterHeaders;
  let upstream: http2.ClientHttp2Stream;
  try {
    const teTrailers = /\btrailers\b/i.test(String(req.headers.te ?? ''));
    upstream = session.request(h2RequestHeaders(spec.out.method, spec.out.path, spec.out.headers, teTrailers), { waitForTrailers: !bodyless, endStream: bodyless });
  } catch (e) {
    ctx.events.error(ctx.scrub(`mitm upstream ${spec.label}: ${e instanceof Error ? e.message : String(e)}`));
    req.resume();
    return answerFailed(ctx, res, spec, 'mitm upstream error', upstreamFailure(ctx.scrub, e, spec.label, 502));
  }
  // Request trailers (rare, but legal) follow the body; none: Node ends the stream with an empty DATA frame.
  upstream.on('wantTrailers', () => upstream.sendTrailers(h2ResponseHeaders(req.trailers ?? {})));
  // Restarted by the client's body as on HTTP/1.1: a client stream still sending is progress.
  guardResponse(upstream, ctx.limits.responseTimeoutMs, req);
  upstream.once('response', (headers, flags) => {
    // The client reset its stream as the answer came (a gRPC deadline or cancel): nothing to answer on.
    if (res.stream.destroyed || res.stream.closed) return;
    const status = Number(headers[':status'] ?? 502);
    let bytes = 0;
    upstream.on('data', (b: Buffer) => (bytes += b.length));
    res.once('close', () => ctx.events.outcome(spec.eventId, status, bytes, spec.startedAt));
    if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) {
      // A trailers-only answer (gRPC errors carry grpc-status here): one HEADERS frame that ends the stream, as sent.
      // It bypasses writeHead, so the held decision line is released here (heldLines.ts).
      ctx.events.shown(spec.eventId);
      res.stream.respond(Object.assign(h2ResponseHeaders(headers), { ':status': status }), { endStream: true });
      return;
    }
    res.writeHead(status, h2ResponseHeaders(headers));
    upstream.pipe(res);
  });
  upstream.on('trailers', (trailers) => res.addTrailers(h2ResponseHeaders(trailers)));
  upstream.on('error', (e) => {
    if (timedOut(e)) return;
    ctx.events.error(ctx.scrub(`mitm upstream ${spec.label}: ${e.message}`));
    if (!res.headersSent) answerFailed(ctx, res, spec, 'mitm upstream error', upstreamFailure(ctx.scrub, e, spec.label, 502));
    else res.destroy();
  });
  res.on('close', () => {
    // writableEnded, not writableFinished: Node's compat response reads as finished once its stream was reset.
    if (!res.writableEnded && !upstream.destroyed) upstream.close(http2.constants.NGHTTP2_CANCEL);
    // No head sent (no answer, no 502/504): the client left first, and this is the only outcome.
    if (!res.headersSent) clientLeft(ctx, res, spec);
  });
  if (bodyless) req.resume();
  else req.pipe(upstream);
}

/** Answers 502 with `body` (the client-facing wording, unchanged) and records the request's one outcome with `f`. */
export function answerFailed(ctx: ProxyContext, res: Reply, spec: ForwardSpec, body: string, f: OutcomeFailure): void {
  sendText(res, 502, body);
  ctx.events.outcome(spec.eventId, null, 0, spec.startedAt, f);
}

/** The outcome of a request whose client reset its h2 stream or closed its connection before any answer. */
export function clientLeft(ctx: ProxyContext, res: Reply, spec: ForwardSpec): void {
  const code = res instanceof http2.Http2ServerResponse ? res.stream.rstCode : undefined;
  const how = code === undefined ? 'closed the connection' : `reset the stream (RST_STREAM ${H2_ERRORS[code] ?? code})`;
  ctx.events.outcome(spec.eventId, null, 0, spec.startedAt, clientAborted(ctx.scrub(spec.label), how));
}

/** RST_STREAM codes by name (RFC 9113 §7), for the outcome's message. */
const H2_ERRORS: Record<number, string> = { 0: 'NO_ERROR', 1: 'PROTOCOL_ERROR', 2: 'INTERNAL_ERROR', 7: 'REFUSED_STREAM', 8: 'CANCEL' };
