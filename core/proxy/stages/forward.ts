// Stage 4 of a request: send it upstream over ctx.route and stream the answer back, with the
// response timeout (lifecycle.ts), hop-by-hop stripping on the way back, and the outcome event.
// Works on node:http and node:http2-compat request/response objects alike (responses.ts).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { ProxyContext } from '../context';
import { stripHopByHopFlat } from '../hopByHop';
import { guardResponse, timeoutMessage, UpstreamTimeoutError } from '../lifecycle';
import { sendText, writeUpstreamHead, type Incoming, type Reply } from '../responses';
import { noAddressFailure, upstreamFailure } from '../upstreamFailure';
import { proxyFailure } from '../upstreamRoute';
import { relayUpgrade } from '../websocket';
import { answerFailed, clientLeft, forwardH2 } from './forwardH2';
import { forwardLean } from './forwardLean';
import type { ForwardSpec } from './forwardSpec';

export function forward(ctx: ProxyContext, req: Incoming, res: Reply, spec: ForwardSpec): void {
  // Decision: upstream's own wording, kept per transport: MITM failures are logged, plain ones are not.
  const failure = spec.out.tls ? 'mitm upstream error' : 'upstream failure';
  if (spec.dest.addresses && spec.dest.addresses.length === 0) {
    req.resume();
    return answerFailed(ctx, res, spec, failure, noAddressFailure(ctx.scrub, spec.label, 502));
  }
  // An h2 client inside MITM gets an h2 upstream when the origin offers one (forwardH2.ts).
  if (spec.out.tls && req instanceof Http2ServerRequest && ctx.route.h2) {
    const fallback = (): void => forwardH1(ctx, req, res, spec, failure);
    forwardH2(ctx, { req, res: res as Http2ServerResponse }, spec, fallback, (e) => upstreamTimedOut(ctx, res, e, spec)).catch((e: unknown) => {
      ctx.events.error(ctx.scrub(`mitm upstream ${spec.label}: ${e instanceof Error ? e.message : String(e)}`));
      if (!res.headersSent) answerFailed(ctx, res, spec, failure, upstreamFailure(ctx.scrub, e, spec.label, 502));
      else res.destroy();
    });
    return;
  }
  forwardH1(ctx, req, res, spec, failure);
}

function forwardH1(ctx: ProxyContext, req: Incoming, res: Reply, spec: ForwardSpec, failure: string): void {
  const { upgrade } = spec;
  // h1 clients inside MITM: the lean client when the route serves it (forwardLean.ts); the rest below.
  if (spec.out.tls && !upgrade && req instanceof IncomingMessage && res instanceof ServerResponse
    && forwardLean(ctx, req, res, spec, (e) => upstreamFailed(ctx, res, e, spec, failure))) return;
  const out = upgrade ? { ...spec.out, headers: [...spec.out.headers, 'Connection', 'Upgrade', 'Upgrade', upgrade.protocol] } : spec.out;
  const upstream = ctx.route.request(spec.dest, out);
  guardResponse(upstream, ctx.limits.responseTimeoutMs, req);
  if (upgrade) relayUpgrade(ctx, upstream, upgrade, spec.eventId, spec.startedAt, spec.label);
  upstream.on('response', (up) => {
    const refused = ctx.route.proxyError?.(spec.dest, spec.out, { status: up.statusCode ?? 0, headers: up.headers });
    if (refused) {
      up.resume();
      return void upstream.destroy(refused);
    }
    reportOutcome(ctx, spec.eventId, spec.startedAt, res, up);
    writeUpstreamHead(res, up.statusCode ?? 502, up.statusMessage, stripHopByHopFlat(up.rawHeaders));
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  // A client that left first has its one outcome (clientLeft); the error of the upstream request
  // destroyed for it ("socket hang up") is not a 502 of ours.
  let left = false;
  upstream.on('error', (e) => left || upstreamFailed(ctx, res, e, spec, failure));
  res.on('close', () => {
    if (upgrade) return;
    // writableEnded: an h2 compat response reads as finished once its stream was reset.
    if (!res.writableEnded) upstream.destroy();
    if (res.headersSent) return;
    left = true;
    clientLeft(ctx, res, spec);
  });
  // An upgrade request has no body: the origin's 101 hands both sockets to relayUpgrade.
  if (upgrade) upstream.end();
  else req.pipe(upstream);
}

/** An upstream error: 504 on a response timeout, else 502 (the upstream proxy's or ours), or a cut-off body. */
function upstreamFailed(ctx: ProxyContext, res: Reply, e: Error, spec: ForwardSpec, failure: string): void {
  if (upstreamTimedOut(ctx, res, e, spec)) return;
  const proxyError = ctx.route.proxyError?.(spec.dest, spec.out, e);
  const viaProxy = proxyFailure(ctx, proxyError, spec.label);
  // Before the head: the proxy's own 502, this request's one outcome. After it: a cut-off body, whose outcome reportOutcome writes.
  if (viaProxy) return answerFailed(ctx, res, spec, viaProxy, upstreamFailure(ctx.scrub, proxyError, spec.label, 502));
  if (spec.out.tls) ctx.events.error(ctx.scrub(`mitm upstream ${spec.label}: ${e.message}`));
  if (!res.headersSent) answerFailed(ctx, res, spec, failure, upstreamFailure(ctx.scrub, e, spec.label, 502));
  else res.destroy();
}

/** A response timeout: 504 with the reason, which the request's outcome event carries. */
function upstreamTimedOut(ctx: ProxyContext, res: Reply, e: Error, spec: ForwardSpec): boolean {
  if (!(e instanceof UpstreamTimeoutError)) return false;
  const message = ctx.scrub(timeoutMessage(spec.label, e.ms));
  sendText(res, 504, message);
  ctx.events.outcome(spec.eventId, null, 0, spec.startedAt, { reason: 'response_timeout', status: 504, message });
  return true;
}

/** Counts the upstream's response bytes and reports the outcome once the client side closes. */
function reportOutcome(ctx: ProxyContext, id: number, startedAt: number, res: Reply, up: IncomingMessage): void {
  let bytes = 0;
  up.on('data', (b: Buffer) => (bytes += b.length));
  res.once('close', () => ctx.events.outcome(id, up.statusCode ?? null, bytes, startedAt));
}
