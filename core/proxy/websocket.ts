// Protocol upgrades (WebSockets): `ws://` in absolute form on the proxy listener and `wss://`
// inside MITM. The upgrade request goes through the request pipeline like any request (judged,
// hooks strip/inject, limited mode: it is a GET); this module adapts the raw socket for the
// transports and, once the origin answers 101, relays both ways, counts the bytes and closes both
// sides together (the forward stage calls relayUpgrade).
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { ProxyContext } from './context';
import type { OutcomeFailure } from './protocol';
import { splice } from './stages/tunnel';

/** The client side of an upgrade request, handed to the request handlers. */
export interface Upgrade {
  socket: Socket;
  /** Bytes the client sent after the request head (forwarded once the origin switched). */
  head: Buffer;
  /** The client's `Upgrade` header (e.g. `websocket`). */
  protocol: string;
}

/**
 * A ServerResponse writing to the upgrade socket, so blocks and non-101 answers use the usual
 * responders; the socket is closed when such an answer is complete.
 */
export function upgradeResponse(req: http.IncomingMessage, socket: Socket): http.ServerResponse {
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => {
    res.detachSocket(socket);
    socket.end();
  });
  socket.on('error', () => socket.destroy());
  return res;
}

/** On the origin's 101: the 101 head goes to the client, then both sockets are spliced and counted. */
export function relayUpgrade(ctx: ProxyContext, upstream: http.ClientRequest, u: Upgrade, id: number, started: number, target: string): void {
  upstream.once('upgrade', (up: http.IncomingMessage, upSocket: Duplex, upHead: Buffer) => {
    const lines = [`HTTP/1.1 101 ${up.statusMessage || 'Switching Protocols'}`];
    for (let i = 0; i + 1 < up.rawHeaders.length; i += 2) lines.push(`${up.rawHeaders[i]}: ${up.rawHeaders[i + 1]}`);
    const client = u.socket;
    const origin = upSocket as Socket;
    if (client.destroyed) return origin.destroy();
    client.write(lines.join('\r\n') + '\r\n\r\n');
    if (upHead.length) client.write(upHead);
    if (u.head.length) origin.write(u.head);
    const before = { read: origin.bytesRead, written: origin.bytesWritten };
    let failure: OutcomeFailure | undefined;
    splice(ctx, client, origin, target, (f) => (failure = f));
    origin.once('close', () => ctx.events.outcome(id, 101, origin.bytesRead - before.read + origin.bytesWritten - before.written + upHead.length, started, failure));
  });
}

export function upgradeOf(req: http.IncomingMessage, socket: Socket, head: Buffer): Upgrade {
  return { socket, head, protocol: String(req.headers.upgrade ?? 'websocket') };
}
