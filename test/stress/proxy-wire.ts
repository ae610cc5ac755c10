// A minimal HTTP/1.1 client connection for the load generator: one persistent stream (TCP to the
// proxy, or TLS inside a CONNECT tunnel), one request at a time, responses parsed from the bytes
// (content-length or chunked). Cheaper than http.Agent per client, and it sees exactly what the
// proxy sent: a reset, a close before the status line, a timeout, a 503 refusal.
import type { Duplex } from 'node:stream';

export interface Reply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Why a request got no reply; `fresh` is false when the connection had served a request before. */
export class WireError extends Error {
  constructor(readonly kind: string, readonly fresh: boolean, detail: string) {
    super(`${kind}: ${detail}`);
  }
}

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class Wire {
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private ended: Error | null = null;
  /** Replies read so far on this connection. */
  served = 0;

  constructor(readonly stream: Duplex) {
    stream.on('data', (c: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
      this.pump();
    });
    stream.on('error', (e: NodeJS.ErrnoException) => this.fail(e.code === 'ECONNRESET' ? 'reset' : 'socket', e.code ?? e.message));
    stream.on('close', () => this.fail('closed', 'closed before the reply'));
  }

  /** Writes `head` (a whole request) and resolves with the next reply. */
  request(head: string, timeoutMs: number): Promise<Reply> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail('timeout', `no reply within ${timeoutMs} ms`);
        this.stream.destroy();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.stream.write(head);
    });
  }

  /** Hands the stream on (TLS inside a tunnel once the CONNECT was answered). */
  detach(): Duplex {
    for (const ev of ['data', 'error', 'close']) this.stream.removeAllListeners(ev);
    return this.stream;
  }

  private fail(kind: string, detail: string): void {
    this.ended ??= new WireError(kind, this.served === 0, detail);
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(new WireError(kind, this.served === 0, detail));
  }

  private pump(): void {
    if (!this.pending) return;
    const parsed = parseReply(this.buf);
    if (!parsed) return;
    this.buf = this.buf.subarray(parsed.used);
    const p = this.pending;
    this.pending = null;
    clearTimeout(p.timer);
    this.served++;
    p.resolve(parsed.reply);
  }
}

/** One reply from the front of `buf`, or null while incomplete (no 1xx; GET and CONNECT replies only). */
export function parseReply(buf: Buffer): { reply: Reply; used: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const start = end + 4;
  if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) return chunked(buf, start, status, headers);
  const length = Number(headers.get('content-length') ?? 0);
  if (buf.length < start + length) return null;
  return { reply: { status, headers, body: buf.subarray(start, start + length).toString('utf8') }, used: start + length };
}

function chunked(buf: Buffer, from: number, status: number, headers: Map<string, string>): { reply: Reply; used: number } | null {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) {
      const trailerEnd = buf.indexOf('\r\n\r\n', eol);
      if (trailerEnd < 0 && buf.length < eol + 4) return null;
      const used = buf.subarray(eol, eol + 4).toString('latin1') === '\r\n\r\n' ? eol + 4 : trailerEnd + 4;
      return { reply: { status, headers, body: Buffer.concat(parts).toString('utf8') }, used };
    }
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
