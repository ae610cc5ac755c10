// The proxy child's stdout protocol (`codex-netpolicy proxy --json`): one JSON event per line.
// Parsing is total: a line that is not a known event becomes an `error` event, never a throw.

export interface ListeningEvent {
  event: 'listening';
  http: string;
  socks: string | null;
  /** May carry the per-run credential: never log it unredacted. */
  proxyUrl: string;
  caCert: string;
}

export interface DecisionEvent {
  event: 'decision';
  id: string;
  time: string;
  decision: 'allow' | 'deny';
  reason: string | null;
  proxyError: string | null;
  status: number;
  source: string | null;
  protocol: string;
  method: string | null;
  host: string;
  port: number;
  path: string | null;
  client: string | null;
  mitm: boolean;
  hook: string | null;
  actions: string[];
  headers: { strip: string[]; inject: string[] };
  rule: { file: string; line: number } | null;
  profile: string | null;
  mode: string | null;
  durationMs?: number;
}

export interface PolicyEvent {
  event: 'policy';
  status: 'loaded' | 'invalid';
  profile: string | null;
  files: string[];
  diagnostics: { file: string; line: number; col: number; message: string }[];
}

export interface ErrorEvent {
  event: 'error';
  message: string;
}

export type ProxyEvent = ListeningEvent | DecisionEvent | PolicyEvent | ErrorEvent;

type Obj = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Longest line we accept; a runaway line is cut and reported (the proxy never writes one). */
export const MAX_LINE = 1 << 20;

export function parseEventLine(line: string): ProxyEvent {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { event: 'error', message: `proxy wrote a non-JSON line: ${preview(line)}` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { event: 'error', message: `proxy wrote a non-object line: ${preview(line)}` };
  const o = v as Obj;
  switch (o.event) {
    case 'listening': {
      const http = str(o.http), proxyUrl = str(o.proxyUrl), caCert = str(o.caCert);
      if (!http || !proxyUrl || !caCert) return { event: 'error', message: 'proxy "listening" event lacks http, proxyUrl or caCert' };
      return { event: 'listening', http, socks: str(o.socks), proxyUrl, caCert };
    }
    case 'decision': return decisionOf(o);
    case 'policy': {
      const diags = Array.isArray(o.diagnostics) ? o.diagnostics : [];
      return {
        event: 'policy', status: o.status === 'loaded' ? 'loaded' : 'invalid', profile: str(o.profile), files: strs(o.files),
        diagnostics: diags.filter((d): d is Obj => !!d && typeof d === 'object').map((d) => ({
          file: str(d.file) ?? '', line: num(d.line) ?? 1, col: num(d.col) ?? 1, message: str(d.message) ?? '',
        })),
      };
    }
    case 'error': return { event: 'error', message: str(o.message) ?? 'unknown proxy error' };
    default: return { event: 'error', message: `proxy wrote an unknown event: ${preview(line)}` };
  }
}

function decisionOf(o: Obj): ProxyEvent {
  const host = str(o.host);
  if (o.decision !== 'allow' && o.decision !== 'deny') return { event: 'error', message: 'proxy "decision" event has no allow/deny decision' };
  if (!host) return { event: 'error', message: 'proxy "decision" event has no host' };
  const rule = o.rule && typeof o.rule === 'object' ? (o.rule as Obj) : null;
  const headers = o.headers && typeof o.headers === 'object' ? (o.headers as Obj) : {};
  return {
    event: 'decision', id: typeof o.id === 'number' ? String(o.id) : str(o.id) ?? '', time: str(o.time) ?? new Date(0).toISOString(), decision: o.decision,
    reason: str(o.reason), proxyError: str(o.proxyError), status: num(o.status) ?? 0, source: str(o.source),
    protocol: str(o.protocol) ?? 'http', method: str(o.method), host, port: num(o.port) ?? 0, path: str(o.path),
    client: str(o.client), mitm: o.mitm === true, hook: str(o.hook), actions: strs(o.actions),
    headers: { strip: strs(headers.strip), inject: strs(headers.inject) },
    rule: rule && str(rule.file) ? { file: str(rule.file)!, line: num(rule.line) ?? 1 } : null,
    profile: str(o.profile), mode: str(o.mode), ...(num(o.durationMs) !== null ? { durationMs: num(o.durationMs)! } : {}),
  };
}

function preview(line: string): string {
  const t = line.length > 120 ? `${line.slice(0, 120)}…` : line;
  // A garbage line might still hold a credential (e.g. a proxy URL): scrub userinfo.
  return JSON.stringify(t.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@'));
}

/** Splits a byte stream into lines across chunk boundaries; `\r\n` tolerated. */
export class LineSplitter {
  private buf = '';
  /** After an overflow, the rest of that line (up to the next newline) is discarded too. */
  private skipping = false;
  constructor(private readonly onLine: (line: string) => void, private readonly onOverflow: () => void = () => {}) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (this.skipping) this.skipping = false;
      else if (line.trim()) this.onLine(line);
    }
    if (this.buf.length > MAX_LINE) {
      this.buf = '';
      if (!this.skipping) this.onOverflow();
      this.skipping = true;
    }
  }

  /** Flushes a final unterminated line (the child exited mid-line). */
  end(): void {
    const rest = this.skipping ? '' : this.buf.replace(/\r$/, '');
    this.buf = '';
    this.skipping = false;
    if (rest.trim()) this.onLine(rest);
  }
}

/** Event stream parser: feed stdout chunks, receive typed events. */
export function eventStream(onEvent: (e: ProxyEvent) => void): LineSplitter {
  return new LineSplitter(
    (line) => onEvent(parseEventLine(line)),
    () => onEvent({ event: 'error', message: `proxy wrote a line longer than ${MAX_LINE} bytes; dropped` }),
  );
}
