// A local HTTPS origin that speaks HTTP/2 (and HTTP/1.1 when `h1` is allowed, or only HTTP/1.1),
// with its own CA, for the h2-inside-MITM tests. It echoes what it saw: protocol version, method,
// path, headers, body; `/trailers` answers with a response trailer; `…/hang` never answers.
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContext } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCa } from '../../../core/ca/index';

export interface Seen {
  httpVersion: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface H2Upstream {
  port: number;
  caCertPath: string;
  seen: Seen[];
  close(): Promise<void>;
}

type Req = http2.Http2ServerRequest | IncomingMessage;
type Res = http2.Http2ServerResponse | ServerResponse;

function handler(seen: Seen[]) {
  return (req: Req, res: Res): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if ((req.url ?? '').endsWith('/hang')) return; // never answers (response-timeout tests)
      const s: Seen = { httpVersion: req.httpVersion, method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      const body = JSON.stringify({ ...s, trailers: req.trailers });
      if (s.url === '/trailers' && 'stream' in req) {
        const r = res as http2.Http2ServerResponse;
        r.writeHead(200, { 'content-type': 'application/json', trailer: 'x-checksum' });
        r.addTrailers({ 'x-checksum': 'abc123' });
        r.end(body);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'h2echo' });
      res.end(body);
    });
  };
}

/** `protocols`: 'h2' (h2 and h1 by ALPN) or 'h1' (an HTTP/1.1-only origin). */
export async function startH2Upstream(protocols: 'h2' | 'h1' = 'h2'): Promise<H2Upstream> {
  const dir = mkdtempSync(join(tmpdir(), 'h2-upstream-'));
  const ca = await loadOrCreateCa(join(dir, 'ca'));
  const seen: Seen[] = [];
  const tlsOptions = {
    SNICallback: (name: string, cb: (e: Error | null, c?: SecureContext) => void) => {
      try {
        cb(null, ca.secureContextFor(name));
      } catch (e) {
        cb(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
  const server = protocols === 'h2'
    ? http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, handler(seen))
    : https.createServer(tlsOptions, handler(seen));
  server.on('tlsClientError', () => undefined);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port, caCertPath: ca.certPath, seen,
    close: () => new Promise<void>((r) => {
      for (const s of sessions) s.destroy();
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => {
        rmSync(dir, { recursive: true, force: true });
        r();
      });
    }),
  };
}
