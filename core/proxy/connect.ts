// HTTPS CONNECT transport: parse the authority, then the tunnel pipeline (stages/tunnel.ts), which
// dials raw tunnels or hands MITM tunnels to the inner TLS server where every request is judged again.
// Replies are raw HTTP/1.1 status lines: the socket no longer belongs to the HTTP server.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { normalizeHost } from '../match/host';
import { splitAuthority } from '../policy/decide';
import { clientOf, type ProxyContext } from './context';
import { proxyAuthHeaders, writeRaw, writeRawDecision } from './responses';
import { authenticated } from './stages/authenticate';
import { runTunnel, type Intercept, type TunnelReplies } from './stages/tunnel';

export async function handleConnect(ctx: ProxyContext, intercept: Intercept, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const startedAt = performance.now();
  socket.on('error', () => socket.destroy());
  ctx.track(socket);
  if (!authenticated(ctx, req.headers['proxy-authorization'])) return writeRaw(socket, 407, 'proxy authentication required', proxyAuthHeaders());
  const authority = req.url ?? '';
  const host = normalizeHost(splitAuthority(authority, 443).host);
  const meta = { method: 'CONNECT', path: null, client: clientOf(socket), startedAt };
  await runTunnel(ctx, intercept, socket, { kind: 'connect', authority }, host, meta, connectReplies(socket, head));
}

function connectReplies(socket: Socket, head: Buffer): TunnelReplies {
  return {
    denied: (d, explanation) => writeRawDecision(socket, d, explanation),
    opened: () => {
      writeRaw(socket, 200, '', {}, true);
      return head;
    },
    failed: (timeout, reason) => (timeout ? writeRaw(socket, 504, 'upstream connect timeout') : writeRaw(socket, 502, reason ?? 'upstream failure')),
    timeoutStatus: 504,
    failedStatus: 502,
  };
}
