// The tunnel pipeline, shared by CONNECT and SOCKS5:
//   (authenticate, by the transport) → judge tunnel + record → dial | intercept.
// A transport says how it answers (TunnelReplies: a raw status line or a SOCKS reply); dialling
// goes over ctx.route, interception to the MITM server through the `intercept` the server wires in.
import type { Socket } from 'node:net';
import type { Decision, DecisionRequest } from '../../policy/decide';
import { IDLE_TIMEOUT_MS, type ProxyContext, type Tunnel } from '../context';
import type { OutcomeFailure } from '../protocol';
import { guardFirstByte, timeoutMessage } from '../lifecycle';
import { judge, type RecordMeta } from './judge';
import { upstreamFailure } from '../upstreamFailure';
import { proxyFailure } from '../upstreamRoute';
import { relayTo } from '../relay';

/** Hands a client stream (after the transport's success reply) to the MITM TLS server. */
export type Intercept = (stream: Socket, tunnel: Tunnel) => void;

/** How a transport answers its client at each outcome of the tunnel pipeline. */
export interface TunnelReplies {
  /** The policy said no (the transport closes the stream). */
  denied(d: Decision, explanation: string | undefined): void;
  /** Success; `upstream` is the dialled socket (absent when intercepted). Returns bytes the client sent past its handshake. */
  opened(upstream?: Socket): Buffer;
  /** The upstream could not be reached; `timeout` when it did not accept the connection in time; `reason` when the upstream proxy failed. */
  failed(timeout: boolean, reason?: string): void;
  /** The status `failed(true)` answers with, if the transport has statuses (CONNECT: 504). */
  timeoutStatus?: number;
  /** The status `failed(false)` answers with, if the transport has statuses (CONNECT: 502). */
  failedStatus?: number;
  /** After the stream was handed on (spliced or intercepted). */
  handedOff?(): void;
}

export async function runTunnel(ctx: ProxyContext, intercept: Intercept, stream: Socket, req: DecisionRequest, host: string, meta: RecordMeta, replies: TunnelReplies): Promise<void> {
  const judged = await judge(ctx, req, host, meta);
  const d = judged.decision;
  if (d.decision === 'deny') return replies.denied(d, judged.event.explanation);
  if (d.mitm) {
    const head = replies.opened();
    if (head.length) stream.unshift(head);
    intercept(stream, { host: d.host, port: d.port, client: meta.client });
    return replies.handedOff?.();
  }
  let upstream: Socket;
  try {
    upstream = await ctx.route.dial({ host: d.host, port: judged.port ?? d.port, ...(judged.addresses ? { addresses: judged.addresses } : {}), ...(req.kind === 'socks' ? { direct: true } : {}) });
  } catch (e) {
    const target = `${d.host}:${d.port}`;
    const started = meta.startedAt ?? performance.now();
    const viaProxy = proxyFailure(ctx, e, target);
    if (viaProxy) {
      ctx.events.outcome(judged.event.id, null, 0, started, upstreamFailure(ctx.scrub, e, target, replies.failedStatus ?? null));
      return replies.failed(false, viaProxy);
    }
    // Decision (#11): an upstream that does not accept the TCP connection in time is a 504, like a response timeout.
    const timeout = e instanceof Error && /timeout/.test(e.message);
    if (timeout) {
      const message = ctx.scrub(`upstream ${target} did not accept the connection in time (${e.message})`);
      ctx.events.outcome(judged.event.id, null, 0, started, { reason: 'connect_timeout', status: replies.timeoutStatus ?? null, message });
    } else ctx.events.outcome(judged.event.id, null, 0, started, upstreamFailure(ctx.scrub, e, target, replies.failedStatus ?? null));
    return replies.failed(timeout);
  }
  if (stream.destroyed) return void upstream.destroy();
  const head = replies.opened(upstream);
  if (head.length) upstream.write(head);
  let failure: OutcomeFailure | undefined;
  splice(ctx, stream, upstream, `${d.host}:${d.port}`, (f) => (failure = f));
  // A raw tunnel's outcome: bytes both ways, no status (the traffic is opaque), a timeout's reason.
  upstream.once('close', () => ctx.events.outcome(judged.event.id, null, upstream.bytesRead + upstream.bytesWritten, meta.startedAt ?? performance.now(), failure));
  replies.handedOff?.();
}

/**
 * Two-way pipe with backpressure. An error or idling closes both sides at once; one side closing
 * cleanly ends the other (what is still queued for it is flushed, not dropped), and a peer that
 * then keeps its half open is closed after LINGER_MS. Raw tunnels and upgraded connections.
 * A dialled raw tunnel's download side goes through relay.ts rather than pipe().
 */
export function splice(ctx: ProxyContext, a: Socket, b: Socket, target: string, timedOut: (f: OutcomeFailure) => void): void {
  ctx.track(b);
  const done = ctx.busy();
  const abort = (): void => {
    done();
    a.destroy();
    b.destroy();
  };
  const ms = ctx.limits.responseTimeoutMs;
  const firstByte = guardFirstByte(a, b, ms, () => {
    timedOut({ reason: 'response_timeout', status: null, message: ctx.scrub(`tunnel: ${timeoutMessage(target, ms)}; closing the tunnel`) });
    abort();
  });
  for (const [s, other] of [[a, b], [b, a]] as const) {
    s.setTimeout(IDLE_TIMEOUT_MS, abort);
    s.on('error', abort);
    s.on('close', () => {
      done();
      if (other.destroyed) return;
      other.end();
      other.setTimeout(LINGER_MS, () => other.destroy());
    });
  }
  a.pipe(b);
  if (!relayTo(b, a, firstByte)) b.pipe(a);
}

/** How long a tunnel's remaining side may stay half open after the other closed. */
const LINGER_MS = 5_000;
