// WebSocket peers for the proxy tests, all on loopback: echo servers (plain ws:// and wss:// with
// their own CA) that record each upgrade request, and `ws` clients that reach them through the
// proxy, either in absolute form (`GET ws://host/path`) or through a CONNECT tunnel.
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { loadOrCreateCa } from '../../../core/ca/index';
import { tunnelTls } from './h2Client';

export interface WsEcho {
  port: number;
  caCertPath: string | null;
  /** Headers of each upgrade request the server accepted. */
  upgrades: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startWsEcho(secure: boolean): Promise<WsEcho> {
  const dir = mkdtempSync(join(tmpdir(), 'ws-echo-'));
  const ca = secure ? await loadOrCreateCa(join(dir, 'ca')) : null;
  const server = ca ? https.createServer({ SNICallback: (n, cb) => cb(null, ca.secureContextFor(n)) }) : http.createServer();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(426).end('websocket only'));
  const wss = new WebSocketServer({ server });
  const upgrades: http.IncomingHttpHeaders[] = [];
  wss.on('connection', (ws, req) => {
    upgrades.push(req.headers);
    ws.on('message', (data, binary) => ws.send(binary ? data : `echo:${String(data)}`, { binary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port, caCertPath: ca?.certPath ?? null, upgrades,
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => {
        rmSync(dir, { recursive: true, force: true });
        r();
      });
    }),
  };
}

function proxyAuth(proxyUrl: string): Record<string, string> {
  const p = new URL(proxyUrl);
  return p.username ? { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}` } : {};
}

/**
 * A `ws` client for ws://… that talks to the proxy in absolute form: its connection goes to the
 * proxy and the request line names the full URL, as an HTTP proxy client does for plain requests.
 */
export function wsViaAbsoluteForm(url: string, proxyUrl: string, headers: Record<string, string> = {}): WebSocket {
  const p = new URL(proxyUrl);
  const createConnection = (): Duplex => {
    const s: Socket = netConnect({ host: p.hostname, port: Number(p.port) });
    const write = s.write.bind(s) as (chunk: string | Buffer, ...rest: unknown[]) => boolean;
    let first = true;
    s.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
      if (first) {
        first = false;
        chunk = String(chunk).replace(/^GET \/\S*/, `GET ${url}`);
      }
      return write(chunk, ...rest);
    }) as Socket['write'];
    return s;
  };
  return new WebSocket(url, { createConnection, headers: { ...headers, ...proxyAuth(proxyUrl) }, perMessageDeflate: false });
}

/** A https.Agent whose connections are TLS over a CONNECT tunnel through the proxy. */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxyUrl: string, private readonly caFile: string) {
    super({ keepAlive: false });
  }

  override createConnection(o: { host?: string | null; port?: number | null }, cb: (e: Error | null, s?: Duplex) => void): undefined {
    tunnelTls(this.proxyUrl, o.host ?? '', Number(o.port), this.caFile, ['http/1.1']).then((s) => cb(null, s), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
    return undefined;
  }
}

/** A `ws` client for wss://… through a CONNECT tunnel (MITM'd when the policy says so). */
export function wsViaTunnel(url: string, proxyUrl: string, caFile: string, headers: Record<string, string> = {}): WebSocket {
  return new WebSocket(url, { agent: new TunnelAgent(proxyUrl, caFile), headers, perMessageDeflate: false });
}

export interface WsOutcome {
  opened: boolean;
  /** Status of a refused upgrade (`unexpected-response`). */
  status?: number;
  proxyError?: string;
  echoes: string[];
  closeCode?: number;
  error?: string;
}

/** Opens, sends each message, waits for as many echoes, closes with 1000; or reports the refusal. */
export function exchange(ws: WebSocket, messages: string[]): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const out: WsOutcome = { opened: false, echoes: [] };
    const timer = setTimeout(() => {
      out.error = 'timed out';
      ws.terminate();
      resolve(out);
    }, 15_000);
    const done = (): void => {
      clearTimeout(timer);
      resolve(out);
    };
    ws.on('unexpected-response', (_req, res) => {
      out.status = res.statusCode;
      const pe = res.headers['x-proxy-error'];
      if (typeof pe === 'string') out.proxyError = pe;
      res.resume();
      ws.terminate();
      done();
    });
    ws.on('error', (e) => {
      out.error = e.message;
      done();
    });
    ws.on('open', () => {
      out.opened = true;
      for (const m of messages) ws.send(m);
    });
    ws.on('message', (data) => {
      out.echoes.push(String(data));
      if (out.echoes.length === messages.length) ws.close(1000, 'bye');
    });
    ws.on('close', (code) => {
      out.closeCode = code;
      done();
    });
  });
}
