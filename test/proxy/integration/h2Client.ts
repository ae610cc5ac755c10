// Node's own http2 client through the proxy: CONNECT (with the proxy credential when there is
// one), TLS with ALPN h2 over the tunnel, then one session with as many streams as the test wants.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { run } from './clients';
import { cleanEnv } from './harness';

export interface H2Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: string;
}

/** Opens a tunnel to host:port through `proxyUrl` and returns the connected TLS socket (ALPN as given). */
export function tunnelTls(proxyUrl: string, host: string, port: number, caFile: string, alpn: string[]): Promise<tls.TLSSocket> {
  const p = new URL(proxyUrl);
  const auth = p.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}` } : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: p.hostname, port: Number(p.port), method: 'CONNECT', path: `${host}:${port}`, ...(auth ? { headers: auth } : {}) });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT answered ${res.statusCode}`));
      const s = tls.connect({ socket, servername: host, ca: readFileSync(caFile, 'utf8'), ALPNProtocols: alpn });
      s.once('secureConnect', () => resolve(s));
      s.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/** An h2 session to https://host:port through the proxy. */
export async function h2Session(proxyUrl: string, host: string, port: number, caFile: string): Promise<http2.ClientHttp2Session> {
  const socket = await tunnelTls(proxyUrl, host, port, caFile, ['h2']);
  if (socket.alpnProtocol !== 'h2') throw new Error(`the proxy picked ${String(socket.alpnProtocol)}, not h2`);
  return http2.connect(`https://${host}:${port}`, { createConnection: () => socket });
}

/** One request on the session; resolves with status, headers, trailers and the body. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const s = session.request(headers, { endStream: body === undefined });
    let out: Omit<H2Reply, 'body' | 'trailers'> | undefined;
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    s.on('response', (h) => (out = { status: Number(h[':status']), headers: h }));
    s.on('trailers', (t) => (trailers = t));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => (out ? resolve({ ...out, trailers, body: Buffer.concat(chunks).toString() }) : reject(new Error('no response'))));
    s.on('error', reject);
    if (body !== undefined) s.end(body);
  });
}

export interface CurlH2 {
  code: number;
  status: number;
  version: string;
  headers: string;
  body: string;
  stderr: string;
}

/** curl --http2 through the proxy; `%{http_version}` is the protocol the proxy spoke to curl. */
export async function curlH2(url: string, proxy: string, cacert: string, extra: string[] = []): Promise<CurlH2> {
  const r = await run('curl', ['-q', '-sS', '--max-time', '20', '--http2', '-x', proxy, '--cacert', cacert, '-D', '-', '-w', '\n%{http_code} %{http_version}', ...extra, url], { env: cleanEnv() });
  const lines = r.stdout.split('\n');
  const [status, version] = (lines.pop() ?? '').split(' ');
  const text = lines.join('\n');
  // Header blocks (the CONNECT answer first), then the body.
  const blocks = text.split('\r\n\r\n');
  let i = 0;
  while (i + 1 < blocks.length && blocks[i + 1]!.startsWith('HTTP/')) i++;
  return { code: r.code, status: Number(status), version: version ?? '', headers: blocks[i] ?? '', body: blocks.slice(i + 1).join('\r\n\r\n'), stderr: r.stderr };
}
