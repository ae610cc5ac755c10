// Stage 4 over the lean upstream client (client/tlsPools.ts): an h1 client's request inside MITM,
// on a route that offers `send` (direct hops). Same behaviour as forward.ts's node:https path:
// response timeout with progress on upload → 504, hop-by-hop stripping on the way back, raw header
// order and casing, body streaming with backpressure both ways, client abort destroys the
// upstream request, the outcome event with status and bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { ProxyContext } from '../context';
import { stripHopByHopFlat } from '../hopByHop';
import { responseDeadlines } from '../deadlines';
import { UpstreamTimeoutError } from '../lifecycle';
import type { Abort } from '../client/tlsPools';
import { clientLeft } from './forwardH2';
import type { ForwardSpec } from './forwardSpec';

/** An upstream failure before the response head (the caller's 502/504 wording). */
type LeanFailure = (e: Error) => void;

/** Sends the request over ctx.route.send; false when the route does not serve it (then node:https does). */
export function forwardLean(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, spec: ForwardSpec, failed: LeanFailure): boolean {
  const send = ctx.route.send;
  // Expect: 100-continue and asterisk-form (OPTIONS *) are outside what undici sends: node:https keeps them.
  if (!send || spec.out.path[0] !== '/' || hasExpect(spec.out.headers)) return false;
  // A request has a body exactly when it declares one (RFC 9112 §6.3); no framing is invented for the rest.
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const ms = ctx.limits.responseTimeoutMs;
  let status = 0;
  let bytes = 0;
  let left = false;
  // One deadline per request, restarted by upload progress, stopped by the response head.
  let abort: Abort | null = null;
  const deadline = responseDeadlines.start(ms, () => abort?.(new UpstreamTimeoutError(ms)));
  abort = send(spec.dest, { method: spec.out.method, path: spec.out.path, headers: spec.out.headers, body: hasBody ? () => detached(req) : null }, {
    // Upload progress (a chunk or the end reached the upstream) restarts the timer; the body is
    // never read here: a 'data' listener would start the flow before the client attaches.
    onProgress: () => deadline.touch(),
    onHead: (code, message, headers) => {
      deadline.stop();
      // A head node's server refuses (a bad header value) throws here: a 502 then, as no head was sent.
      res.writeHead(code, message, stripHopByHopFlat(headers));
      status = code;
    },
    onData: (chunk, resume) => {
      bytes += chunk.length;
      if (res.write(chunk)) return true;
      res.once('drain', resume);
      return false;
    },
    onEnd: () => void res.end(),
    onError: (e) => {
      deadline.stop();
      // After the head, a broken body is cut off (as a node:https response 'error' was), not logged.
      if (status) res.destroy();
      else if (!left) failed(e);
    },
  });
  if (!abort) {
    deadline.stop();
    return false;
  }
  res.once('close', () => {
    // Nothing sent yet: the client left first (its outcome below, not an upstream error and a 502).
    left = !res.headersSent;
    if (!res.writableFinished) abort?.(new Error('client closed the connection'));
    if (status) ctx.events.outcome(spec.eventId, status, bytes, spec.startedAt);
    else if (left) clientLeft(ctx, res, spec);
  });
  if (!hasBody) req.resume();
  return true;
}

/**
 * The client's body through a stream of our own: undici destroys the body stream of a request it
 * aborts or fails, and destroying the client's IncomingMessage would tear down the client's
 * connection before it hears its 502/504. Backpressure passes through the pipe.
 */
function detached(req: IncomingMessage): PassThrough {
  const body = new PassThrough();
  req.pipe(body);
  return body;
}

function hasExpect(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.length === 6 && headers[i]!.toLowerCase() === 'expect') return true;
  return false;
}
