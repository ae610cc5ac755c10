// Test rig: a real proxy (in-process, real sockets on loopback), local upstreams with a throwaway
// CA, and raw clients. Test host names map to 127.0.0.1 through resolve overrides.
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { loadOrCreateCa, type CaHandle } from '../../../core/ca';
import { loadPolicyFiles } from '../../../core/cli/policyFiles';
import type { ProxyEvent, DecisionEvent } from '../../../core/proxy/events';
import { startProxy, type ProxyHandle, type ProxyOptions } from '../../../core/proxy/server';

export const CANARY = 'canary-SECRET-7f3a9c';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

function record(seen: Seen[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const out = `upstream saw ${req.method} ${req.url}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(out), 'x-upstream': 'yes', connection: 'keep-alive, x-hop', 'x-hop': 'drop' });
      res.end(out);
    });
  };
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

function closer(server: http.Server): () => Promise<void> {
  return () => new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

export async function httpUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = http.createServer(record(seen));
  return { port: await listen(server), seen, close: closer(server) };
}

/** HTTPS upstream with a leaf for `hosts` from a throwaway CA (the proxy trusts it via upstreamCaFiles). */
const connections = { n: 0 };

export async function httpsUpstream(ca: CaHandle, host: string): Promise<Upstream> {
  const seen: Seen[] = [];
  const leaf = ca.leafFor(host);
  const server = https.createServer({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, record(seen));
  server.on('secureConnection', () => (connections.n += 1));
  return { port: await listen(server), seen, close: closer(server) };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'np-proxy-'));
}

export async function testCa(dir: string): Promise<CaHandle> {
  return loadOrCreateCa(join(dir, 'upstream-ca'));
}

export interface Rig {
  dir: string;
  configPath: string;
  proxy: ProxyHandle;
  port: number;
  events: ProxyEvent[];
  decisions(): DecisionEvent[];
  close(): Promise<void>;
}

export async function startRig(config: string, opts: Partial<ProxyOptions> & { dir?: string; hosts?: string[]; env?: Record<string, string> } = {}): Promise<Rig> {
  const dir = opts.dir ?? tempDir();
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, config);
  const env = { TEST_TOKEN: CANARY, ...(opts.env ?? {}) };
  const overrides = new Map<string, string[]>((opts.hosts ?? ['api.test', 'plain.test', 'raw.test', 'other.test']).map((h) => [h, ['127.0.0.1']]));
  const proxy = await startProxy({
    load: () => {
      const r = loadPolicyFiles({ config: configPath, env });
      return { ...(r.policy ? { policy: r.policy } : {}), diagnostics: r.diagnostics, files: [configPath] };
    },
    watchFiles: [configPath],
    caDir: join(dir, 'proxy-ca'),
    overrides,
    env,
    ...opts,
  });
  const events: ProxyEvent[] = [];
  proxy.events.onEvent((e) => events.push(e));
  const port = Number(proxy.http.split(':').pop());
  return {
    dir, configPath, proxy, port, events,
    decisions: () => events.filter((e): e is DecisionEvent => e.event === 'decision'),
    close: () => proxy.close(),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Reads HTTP/1.1 responses (content-length framed) from a stream. */
export class ResponseReader {
  private buf = '';
  private waiters: (() => void)[] = [];
  ended = false;
  constructor(stream: NodeJS.ReadableStream & { on(ev: 'close', f: () => void): unknown }) {
    stream.on('data', (c: Buffer) => {
      this.buf += c.toString('latin1');
      this.wake();
    });
    stream.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async next(timeoutMs = 5000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.tryParse();
      if (parsed) return parsed;
      if (this.ended) throw new Error(`stream ended; buffered: ${JSON.stringify(this.buf)}`);
      if (Date.now() > deadline) throw new Error(`timeout; buffered: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  private tryParse(): RawResponse | null {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = this.buf.slice(0, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    if (this.buf.length < end + 4 + len) return null;
    const body = this.buf.slice(end + 4, end + 4 + len);
    this.buf = this.buf.slice(end + 4 + len);
    return { status, headers, body };
  }
}

export async function tcp(port: number): Promise<Socket> {
  const s = netConnect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => {
    s.once('connect', () => r());
    s.once('error', j);
  });
  return s;
}

/** Sends raw bytes on a fresh connection and returns the first response. */
export async function rawRequest(port: number, text: string): Promise<RawResponse> {
  const s = await tcp(port);
  const reader = new ResponseReader(s);
  s.write(text);
  try {
    return await reader.next();
  } finally {
    s.destroy();
  }
}

/** CONNECT; resolves with the response and the socket (open only on 200). */
export async function connectTunnel(port: number, authority: string, extraHeaders = ''): Promise<{ res: RawResponse; socket: Socket }> {
  const s = await tcp(port);
  const reader = new ResponseReader(s);
  s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extraHeaders}\r\n`);
  const res = await reader.next();
  s.removeAllListeners('data');
  return { res, socket: s };
}

/** TLS over an established tunnel, trusting only `caPem`. */
export async function tlsOver(socket: Socket, servername: string, caPem: string): Promise<tls.TLSSocket> {
  const t = tls.connect({ socket, servername, ca: caPem });
  await new Promise<void>((r, j) => {
    t.once('secureConnect', () => r());
    t.once('error', j);
  });
  return t;
}
