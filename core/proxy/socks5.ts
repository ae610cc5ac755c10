// SOCKS5 (RFC 1928) transport: the handshake, then the tunnel pipeline (stages/tunnel.ts) judged
// with decide(kind:'socks'): hooked/limited :443 goes to MITM, everything else is dialled.
// Decision: UDP ASSOCIATE (and BIND) are refused with reply 0x07 "command not supported" and
// recorded as a deny (protocol socks5_udp); relaying UDP datagrams is out of scope.
import { createServer, type Server, type Socket } from 'node:net';
import { isIP } from 'node:net';
import { block, type Decision } from '../policy/decide';
import { clientOf, HEADERS_TIMEOUT_MS, type ProxyContext } from './context';
import { authenticatedUser } from './stages/authenticate';
import { record } from './stages/judge';
import { runTunnel, type Intercept, type TunnelReplies } from './stages/tunnel';

const REP = { ok: 0, fail: 1, notAllowed: 2, hostUnreachable: 4, refused: 5, cmdUnsupported: 7, atypUnsupported: 8 } as const;

/** Reads exactly n bytes from a paused-mode socket (handshake only). */
class Reader {
  private buf = Buffer.alloc(0);
  private waiting: { n: number; done: (b: Buffer) => void; fail: (e: Error) => void } | null = null;
  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      if (this.buf.length > 1024) socket.destroy();
      this.pump();
    });
    socket.on('close', () => this.waiting?.fail(new Error('closed')));
  }
  read(n: number): Promise<Buffer> {
    return new Promise((done, fail) => {
      this.waiting = { n, done, fail };
      this.pump();
    });
  }
  /** Stops reading and returns bytes received past the handshake. */
  release(): Buffer {
    this.socket.removeAllListeners('data');
    this.socket.pause();
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }
  private pump(): void {
    const w = this.waiting;
    if (w && this.buf.length >= w.n) {
      this.waiting = null;
      const out = this.buf.subarray(0, w.n);
      this.buf = this.buf.subarray(w.n);
      w.done(out);
    }
  }
}

function reply(socket: Socket, rep: number): void {
  socket.write(Buffer.from([5, rep, 0, 1, 0, 0, 0, 0, 0, 0]));
}

export function createSocksServer(ctx: ProxyContext, intercept: Intercept): Server {
  return createServer((socket) => {
    ctx.track(socket);
    socket.on('error', () => socket.destroy());
    // A silent client never holds a handshake open for long.
    socket.setTimeout(HEADERS_TIMEOUT_MS, () => socket.destroy());
    handshake(ctx, intercept, socket).catch(() => socket.destroy());
  });
}

async function handshake(ctx: ProxyContext, intercept: Intercept, socket: Socket): Promise<void> {
  const r = new Reader(socket);
  const [ver, nMethods] = await r.read(2);
  if (ver !== 5) return void socket.destroy();
  const methods = await r.read(nMethods!);
  if (ctx.credential) {
    if (!methods.includes(2)) return void socket.end(Buffer.from([5, 0xff]));
    socket.write(Buffer.from([5, 2]));
    const [, ulen] = await r.read(2);
    const user = (await r.read(ulen!)).toString('utf8');
    const [plen] = await r.read(1);
    const pass = (await r.read(plen!)).toString('utf8');
    const ok = authenticatedUser(ctx, user, pass);
    socket.write(Buffer.from([1, ok ? 0 : 1]));
    if (!ok) return void socket.end();
  } else {
    if (!methods.includes(0)) return void socket.end(Buffer.from([5, 0xff]));
    socket.write(Buffer.from([5, 0]));
  }
  const [, cmd, , atyp] = await r.read(4);
  let host: string;
  if (atyp === 1) host = [...(await r.read(4))].join('.');
  else if (atyp === 3) host = (await r.read((await r.read(1))[0]!)).toString('latin1');
  else if (atyp === 4) {
    const b = await r.read(16);
    host = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
  } else {
    reply(socket, REP.atypUnsupported);
    return void socket.end();
  }
  const port = (await r.read(2)).readUInt16BE(0);
  const client = clientOf(socket);
  const started = performance.now();
  if (cmd !== 1) {
    if (cmd === 3) record(ctx, udpRefused(host, port), { method: null, path: null, client, startedAt: started });
    reply(socket, REP.cmdUnsupported);
    return void socket.end();
  }
  // The handshake is over: from here only the tunnel's own timeouts apply.
  socket.setTimeout(0);
  await runTunnel(ctx, intercept, socket, { kind: 'socks', host, port }, host, { method: null, path: null, client, startedAt: started }, socksReplies(socket, r));
}

function socksReplies(socket: Socket, r: Reader): TunnelReplies {
  return {
    denied: () => {
      reply(socket, REP.notAllowed);
      socket.end();
    },
    opened: (upstream) => {
      if (!upstream) {
        reply(socket, REP.ok);
        return r.release();
      }
      const rest = r.release();
      socket.write(boundReply(upstream));
      return rest;
    },
    failed: () => {
      reply(socket, REP.hostUnreachable);
      socket.end();
    },
    handedOff: () => socket.resume(),
  };
}

/** Success reply carrying the upstream socket's local address (BND.ADDR/BND.PORT). */
function boundReply(upstream: Socket): Buffer {
  const local = upstream.localAddress ?? '0.0.0.0';
  const v6 = isIP(local) === 6;
  const addr = v6 ? Buffer.alloc(16) : Buffer.from(local.split('.').map(Number));
  const p = Buffer.alloc(2);
  p.writeUInt16BE(upstream.localPort ?? 0);
  return Buffer.concat([Buffer.from([5, 0, 0, v6 ? 4 : 1]), addr.length === 4 || v6 ? addr : Buffer.alloc(4), p]);
}

function udpRefused(host: string, port: number): Decision {
  return block('socks5_udp', host, port, 'udp_unsupported', 'proxy_state', null);
}
