// Block and error responses (proxy-behaviour.md §5.4): JSON for plain HTTP, text/plain for
// CONNECT and inner MITM requests. Bodies carry only upstream's fixed messages.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Decision } from '../policy/decide';

export const AUTH_REALM = 'codex-netpolicy';

const STATUS_TEXT: Record<number, string> = {
  200: 'Connection established', 400: 'Bad Request', 403: 'Forbidden', 405: 'Method Not Allowed', 407: 'Proxy Authentication Required',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** Plain-HTTP policy block: JSON body as upstream's json_blocked. */
export function sendJsonBlock(res: ServerResponse, d: Decision): void {
  const body = JSON.stringify({
    status: 'blocked', host: d.host, reason: d.reason, decision: d.decision, source: d.source, protocol: 'http', port: d.port, message: d.message,
  });
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (d.proxyError) headers['x-proxy-error'] = d.proxyError;
  res.writeHead(d.status, headers);
  res.end(body);
}

/** Text response on a ServerResponse (inner MITM blocks, 400/405/502/503). */
export function sendText(res: ServerResponse, status: number, message: string, proxyError?: string | null, extra: Record<string, string> = {}): void {
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
export function sendDecisionText(res: ServerResponse, d: Decision): void {
  sendText(res, d.status, d.message ?? STATUS_TEXT[d.status] ?? 'error', d.proxyError);
}

/** A complete HTTP/1.1 response written to a raw socket (CONNECT replies), then closed unless `keepOpen`. */
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

export function writeRawDecision(socket: Duplex, d: Decision): void {
  writeRaw(socket, d.status, d.message ?? STATUS_TEXT[d.status] ?? 'error', d.proxyError ? { 'x-proxy-error': d.proxyError } : {});
}

export function proxyAuthHeaders(): Record<string, string> {
  return { 'proxy-authenticate': `Basic realm="${AUTH_REALM}"` };
}
