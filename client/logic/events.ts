// The proxy child's stdout protocol (`codex-netpolicy proxy --json`): one JSON event per line.
// Parsing is total: a line that is not a known event becomes an `error` event, never a throw.

import type { DecisionEvent, ProxyLine } from '../../core/proxy/protocol';

export type { DecisionEvent,  ListeningEvent, OutcomeEvent, PolicyEvent,  } from '../../core/proxy/protocol';
/** What the extension reads from the proxy: the listening line or an event (core/proxy/protocol). */
export type ProxyEvent = ProxyLine;

type Obj = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Longest line we accept; a runaway line is cut and reported (the proxy never writes one). */
const MAX_LINE = 1 << 20;

export function parseEventLine(line: string): ProxyEvent {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return errorEvent(`proxy wrote a non-JSON line: ${preview(line)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return errorEvent(`proxy wrote a non-object line: ${preview(line)}`);
  const o = v as Obj;
  switch (o.event) {
    case 'listening': {
      const http = str(o.http), proxyUrl = str(o.proxyUrl), caCert = str(o.caCert);
      if (!http || !proxyUrl || !caCert) return errorEvent('proxy "listening" event lacks http, proxyUrl or caCert');
      return { event: 'listening', http, socks: str(o.socks), proxyUrl, caCert, ...(str(o.profile) ? { profile: str(o.profile)! } : {}), ...(str(o.mode) ? { mode: str(o.mode)! } : {}), ...(o.learning === true ? { learning: true } : {}), ...(str(o.upstreamProxy) ? { upstreamProxy: str(o.upstreamProxy)! } : {}) };
    }
    case 'decision': return decisionOf(o);
    case 'outcome': {
      const id = num(o.id), bytes = num(o.bytes), durationMs = num(o.durationMs);
      if (id === null || bytes === null || durationMs === null) return errorEvent('proxy "outcome" event lacks id, bytes or durationMs');
      const f = o.failure && typeof o.failure === 'object' ? (o.failure as Obj) : null;
      const reason = f?.reason === 'response_timeout' ? 'response_timeout' as const : f?.reason === 'connect_timeout' ? 'connect_timeout' as const : null;
      const failure = f && reason ? { reason, status: num(f.status), message: str(f.message) ?? '' } : null;
      return { event: 'outcome', id, upstreamStatus: num(o.upstreamStatus), bytes, durationMs, ...(failure ? { failure } : {}) };
    }
    case 'policy': {
      const diags = Array.isArray(o.diagnostics) ? o.diagnostics : [];
      return {
        event: 'policy', time: str(o.time) ?? nowIso(), status: o.status === 'loaded' ? 'loaded' : 'invalid', profile: str(o.profile), files: strs(o.files),
        diagnostics: diags.filter((d): d is Obj => !!d && typeof d === 'object').map((d) => ({
          file: str(d.file) ?? '', line: num(d.line) ?? 1, col: num(d.col) ?? 1, message: str(d.message) ?? '',
        })),
      };
    }
    case 'error': return { event: 'error', time: str(o.time) ?? nowIso(), message: str(o.message) ?? 'unknown proxy error' };
    case 'telemetry': {
      const status = o.status === 'started' || o.status === 'ok' || o.status === 'failing' || o.status === 'stopped' ? o.status : null;
      if (!status) return errorEvent('proxy "telemetry" event has an unknown status');
      return {
        event: 'telemetry', time: str(o.time) ?? nowIso(), status, endpoint: str(o.endpoint) ?? '', protocol: str(o.protocol) ?? '',
        exported: num(o.exported) ?? 0, dropped: num(o.dropped) ?? 0, queued: num(o.queued) ?? 0, lastError: str(o.lastError),
      };
    }
    default: return errorEvent(`proxy wrote an unknown event: ${preview(line)}`);
  }
}

function decisionOf(o: Obj): DecisionEvent | ProxyEvent {
  const host = str(o.host);
  if (o.decision !== 'allow' && o.decision !== 'deny') return errorEvent('proxy "decision" event has no allow/deny decision');
  if (!host) return errorEvent('proxy "decision" event has no host');
  const rule = o.rule && typeof o.rule === 'object' ? (o.rule as Obj) : null;
  const headers = o.headers && typeof o.headers === 'object' ? (o.headers as Obj) : {};
  return {
    event: 'decision', id: num(o.id) ?? 0, time: str(o.time) ?? new Date(0).toISOString(), decision: o.decision,
    reason: str(o.reason), proxyError: str(o.proxyError), status: num(o.status) ?? 0, source: str(o.source) ?? '',
    protocol: str(o.protocol) ?? 'http', method: str(o.method), host, port: num(o.port) ?? 0, path: str(o.path),
    client: str(o.client) ?? 'unknown', mitm: o.mitm === true, hook: str(o.hook), actions: strs(o.actions),
    headers: { strip: strs(headers.strip), inject: strs(headers.inject) },
    rule: rule && str(rule.file) ? { file: str(rule.file)!, line: num(rule.line) ?? 1 } : null,
    profile: str(o.profile) ?? '', mode: str(o.mode) ?? '', ...(o.flag === 'would_deny' ? { flag: 'would_deny' as const } : {}), ...(num(o.durationMs) !== null ? { durationMs: num(o.durationMs)! } : {}),
    ...(str(o.explanation) ? { explanation: str(o.explanation)! } : {}), ...dnsOf(o.dns),
  };
}

function dnsOf(v: unknown): Pick<DecisionEvent, 'dns'> {
  if (!v || typeof v !== 'object') return {};
  const d = v as Obj;
  if (str(d.error)) return { dns: { error: str(d.error)!, allowlisted: d.allowlisted === true } };
  if (str(d.nonPublic)) return { dns: { nonPublic: str(d.nonPublic)! } };
  return {};
}

const nowIso = (): string => new Date().toISOString();

function errorEvent(message: string): ProxyEvent {
  return { event: 'error', time: nowIso(), message };
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
    () => onEvent(errorEvent(`proxy wrote a line longer than ${MAX_LINE} bytes; dropped`)),
  );
}
