// Block and error responses (proxy-behaviour.md §5.4): JSON for plain HTTP, text/plain for
// CONNECT and inner MITM requests. Bodies carry upstream's fixed message first, then (for policy
// blocks) a `Why:` line with the decision's explanation: names only, never a value.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Decision } from '../policy/decide';

const AUTH_REALM = 'codex-netpolicy';

const STATUS_TEXT: Record<number, string> = {
  200: 'Connection established', 400: 'Bad Request', 403: 'Forbidden', 405: 'Method Not Allowed', 407: 'Proxy Authentication Required',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** Plain-HTTP policy block: JSON body as upstream's json_blocked. */
export function sendJsonBlock(res: ServerResponse, d: Decision, explanation?: string): void {
  const body = JSON.stringify({
    status: 'blocked', host: d.host, reason: d.reason, decision: d.decision, source: d.source, protocol: 'http', port: d.port, message: d.message,
    ...(explanation ? { explanation } : {}),
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
export function sendDecisionText(res: ServerResponse, d: Decision, explanation?: string): void {
  sendText(res, d.status, decisionBody(d, explanation), d.proxyError);
}

/** Upstream's message, plus `Why: …` on policy blocks (a second line clients show as-is). */
function decisionBody(d: Decision, explanation?: string): string {
  const message = d.message ?? STATUS_TEXT[d.status] ?? 'error';
  return d.reason && explanation ? `${message}\nWhy: ${explanation}.\n` : message;
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

export function writeRawDecision(socket: Duplex, d: Decision, explanation?: string): void {
  writeRaw(socket, d.status, decisionBody(d, explanation), d.proxyError ? { 'x-proxy-error': d.proxyError } : {});
}

export function proxyAuthHeaders(): Record<string, string> {
  return { 'proxy-authenticate': `Basic realm="${AUTH_REALM}"` };
}
