// Every response the proxy itself writes, in one place (proxy-behaviour.md §5.4): block and error
// responses on a request (JSON for plain HTTP, text/plain inside MITM), and raw HTTP/1.1 status
// lines on sockets no server object owns any more (CONNECT replies, parser errors, overload,
// refused upgrades). Bodies carry upstream's fixed message first, then (for policy blocks) a
// `Why:` line with the decision's explanation: names only, never a value.
import * as http from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Decision } from '../policy/decide';

/** A client request as node:http and node:http2's compatibility API both present it. */
export type Incoming = http.IncomingMessage | Http2ServerRequest;
/** Its response, either way. */
export type Reply = http.ServerResponse | Http2ServerResponse;

const AUTH_REALM = 'codex-netpolicy';

const STATUS_TEXT: Record<number, string> = {
  200: 'Connection established', 400: 'Bad Request', 403: 'Forbidden', 405: 'Method Not Allowed', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** Plain-HTTP policy block: JSON body as upstream's json_blocked. */
export function sendJsonBlock(res: Reply, d: Decision, explanation?: string): void {
  const body = JSON.stringify({
    status: 'blocked', host: d.host, reason: d.reason, decision: d.decision, source: d.source, protocol: 'http', port: d.port, message: d.message,
    ...(explanation ? { explanation } : {}),
  });
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (d.proxyError) headers['x-proxy-error'] = d.proxyError;
  res.writeHead(d.status, headers);
  res.end(body);
}

/** Text response on a request (inner MITM blocks, 400/405/407/502/503/504). */
export function sendText(res: Reply, status: number, message: string, proxyError?: string | null, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message), ...extra };
  if (proxyError) headers['x-proxy-error'] = proxyError;
  res.writeHead(status, headers);
  res.end(message);
}

/** Decision → response inside MITM or for a plain request that isn't a policy block. */
export function sendDecisionText(res: Reply, d: Decision, explanation?: string): void {
  sendText(res, d.status, decisionBody(d, explanation), d.proxyError);
}

/** The upstream's status and headers (flat [name, value, …], duplicates kept) on the client's response. */
export function writeUpstreamHead(res: Reply, status: number, message: string | undefined, headers: string[]): void {
  if (res instanceof http.ServerResponse) {
    res.writeHead(status, message, headers);
    return;
  }
  // HTTP/2 has no reason phrase and takes an object; repeated names become arrays.
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const k = headers[i]!.toLowerCase();
    const prev = out[k];
    out[k] = prev === undefined ? headers[i + 1]! : [...(Array.isArray(prev) ? prev : [prev]), headers[i + 1]!];
  }
  res.writeHead(status, out);
}

/** Upstream's message, plus `Why: …` on policy blocks (a second line clients show as-is). */
function decisionBody(d: Decision, explanation?: string): string {
  const message = d.message ?? STATUS_TEXT[d.status] ?? 'error';
  return d.reason && explanation ? `${message}\nWhy: ${explanation}.\n` : message;
}

/** A complete HTTP/1.1 response written to a raw socket, then closed unless `keepOpen`. */
export function writeRaw(socket: Duplex, status: number, body: string, headers: Record<string, string> = {}, keepOpen = false): void {
  if (socket.destroyed || !socket.writable) return;
  const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`];
  const all: Record<string, string> = { ...headers };
  if (status !== 200 || body) {
    all['content-type'] ??= 'text/plain; charset=utf-8';
    all['content-length'] = String(Buffer.byteLength(body));
  }
  if (!keepOpen) all['connection'] = 'close';
  for (const [k, v] of Object.entries(all)) lines.push(`${k}: ${v}`);
  const text = lines.join('\r\n') + '\r\n\r\n' + body;
  if (keepOpen) socket.write(text);
  else socket.end(text);
}

export function writeRawDecision(socket: Duplex, d: Decision, explanation?: string): void {
  writeRaw(socket, d.status, decisionBody(d, explanation), d.proxyError ? { 'x-proxy-error': d.proxyError } : {});
}

/** A request the HTTP parser rejected (an HTTP server's 'clientError'): the status that names why. */
export function writeClientError(socket: Duplex, err: NodeJS.ErrnoException): void {
  if (!socket.writable) return void socket.destroy();
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_INVALID_VERSION' ? 505 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  writeRaw(socket, status, STATUS_TEXT[status]!);
}

export function proxyAuthHeaders(): Record<string, string> {
  return { 'proxy-authenticate': `Basic realm="${AUTH_REALM}"` };
}
