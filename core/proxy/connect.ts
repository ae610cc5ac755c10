// HTTPS CONNECT: judged once per tunnel; raw tunnels dial the checked address, MITM tunnels are
// handed to the inner TLS server where every request is judged again.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { normalizeHost } from '../match/host';
import { splitAuthority } from '../policy/decide';
import { checkBasic } from './access';
import { clientOf, IDLE_TIMEOUT_MS, record, type ProxyContext } from './context';
import { decideChecked } from './dns';
import { proxyAuthHeaders, writeRaw, writeRawDecision } from './responses';
import { guardFirstByte, timeoutMessage } from './lifecycle';
import { dialChecked } from './upstream';

export async function handleConnect(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const started = performance.now();
  socket.on('error', () => socket.destroy());
  ctx.track(socket);
  if (ctx.credential && !checkBasic(req.headers['proxy-authorization'], ctx.credential)) {
    return writeRaw(socket, 407, 'proxy authentication required', proxyAuthHeaders());
  }
  const authority = req.url ?? '';
  const host = normalizeHost(splitAuthority(authority, 443).host);
  const client = clientOf(socket);
  const checked = await decideChecked(ctx.policy(), { kind: 'connect', authority }, host, ctx.resolver, ctx.overrides);
  const d = checked.decision;
  const logged = record(ctx, d, { method: 'CONNECT', path: null, client, startedAt: started });
  if (d.decision === 'deny') return writeRawDecision(socket, d, logged.explanation);
  if (d.mitm) {
    writeRaw(socket, 200, '', {}, true);
    if (head.length) socket.unshift(head);
    ctx.intercept(socket, { host: d.host, port: d.port, client });
    return;
  }
  let upstream: Socket;
  try {
    upstream = await dialChecked(checked.addresses, host, checked.port ?? d.port);
  } catch (e) {
    // Decision (#11): an upstream that does not accept the TCP connection in time is a 504, like a response timeout.
    if (e instanceof Error && /timeout/.test(e.message)) {
      ctx.events.error(ctx.scrub(`upstream ${d.host}:${d.port} did not accept the connection in time (${e.message})`));
      return writeRaw(socket, 504, 'upstream connect timeout');
    }
    return writeRaw(socket, 502, 'upstream failure');
  }
  if (socket.destroyed) {
    upstream.destroy();
    return;
  }
  writeRaw(socket, 200, '', {}, true);
  splice(ctx, socket, upstream, `${d.host}:${d.port}`);
  if (head.length) upstream.write(head);
  // A raw tunnel's outcome: bytes both ways, no status (the traffic is opaque).
  upstream.once('close', () => ctx.events.outcome(logged.id, null, upstream.bytesRead + upstream.bytesWritten, started));
}

/** Two-way pipe with backpressure; either side closing or idling closes both. */
export function splice(ctx: ProxyContext, a: Socket, b: Socket, target: string): void {
  ctx.track(b);
  const done = ctx.busy();
  const close = (): void => {
    done();
    a.destroy();
    b.destroy();
  };
  const ms = ctx.limits.responseTimeoutMs;
  guardFirstByte(a, b, ms, () => {
    ctx.events.error(ctx.scrub(`tunnel: ${timeoutMessage(target, ms)}; closing the tunnel`));
    close();
  });
  for (const s of [a, b]) {
    s.setTimeout(IDLE_TIMEOUT_MS, close);
    s.on('error', close);
    s.on('close', close);
  }
  a.pipe(b);
  b.pipe(a);
}
