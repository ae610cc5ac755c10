// Decision rows for the log: display text, filter tokens (`host:github decision:deny -hook:x`)
// and free-text search. Pure and DOM-free: shared by the webview bundle and the extension host.
import type { DecisionEvent } from './events';
import { bytesText, durationText, failureText, hostText, statusOf } from './table';

export interface RowText {
  time: string;
  decision: string;
  method: string;
  host: string;
  path: string;
  reason: string;
  hook: string;
  status: string;
  duration: string;
  bytes: string;
}

/** `HH:MM:SS.mmm` in local time; the raw ISO time stays in the detail pane. */
function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function rowText(e: DecisionEvent): RowText {
  return {
    time: shortTime(e.time),
    decision: e.flag === 'would_deny' ? '⚠ would deny' : e.decision === 'allow' ? '✓ allow' : '✗ deny',
    method: e.method ?? (e.protocol === 'https_connect' ? 'CONNECT' : e.protocol.startsWith('socks5') ? e.protocol.toUpperCase() : ''),
    host: hostText(e),
    path: e.path ?? '',
    // A failed outcome (`504 · response timeout`) is why an allowed request shows no answer.
    reason: e.reason ?? e.flag ?? (e.decision === 'allow' ? failureText(e) : e.proxyError ?? ''),
    hook: e.hook ?? '',
    status: String(statusOf(e) ?? ''),
    duration: durationText(e.durationMs),
    bytes: bytesText(e.bytes),
  };
}

const FILTER_FIELDS = ['host', 'decision', 'reason', 'hook', 'method', 'path', 'protocol', 'status', 'rule', 'profile', 'outcome', 'failure'] as const;
type FilterField = (typeof FILTER_FIELDS)[number];

interface FilterToken {
  field: FilterField | 'text';
  value: string;
  negate: boolean;
}

export interface ParsedFilter {
  tokens: FilterToken[];
  /** Tokens like `colour:red`: reported to the user, and kept as free text so nothing is silently dropped. */
  unknownFields: string[];
}

/** Splits on spaces; `"quoted text"` keeps spaces; `-field:value` negates. */
export function parseFilter(input: string): ParsedFilter {
  const tokens: FilterToken[] = [];
  const unknownFields: string[] = [];
  const re = /(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(input))) {
    const negate = m[1] === '-';
    const field = m[2]?.toLowerCase();
    const value = (m[3] ?? m[4] ?? '').toLowerCase();
    if (field && (FILTER_FIELDS as readonly string[]).includes(field)) {
      if (value) tokens.push({ field: field as FilterField, value, negate });
      continue;
    }
    if (field) unknownFields.push(field);
    const text = field ? `${field}:${value}` : value;
    if (text) tokens.push({ field: 'text', value: text, negate });
  }
  return { tokens, unknownFields };
}

function fieldValue(e: DecisionEvent, f: FilterField): string {
  switch (f) {
    case 'host': return hostText(e);
    case 'decision': return e.decision;
    case 'reason': return `${e.reason ?? e.flag ?? ''} ${e.proxyError ?? ''}`;
    case 'hook': return e.hook ?? '';
    case 'method': return e.method ?? rowText(e).method;
    case 'path': return e.path ?? '';
    case 'protocol': return e.protocol;
    case 'status': return String(statusOf(e) ?? e.status); // what the row shows (upstream's, or the proxy's 504)
    case 'rule': return e.rule ? `${e.rule.file}:${e.rule.line}` : '';
    case 'profile': return e.profile ?? '';
    case 'outcome': return outcomeOf(e);
    case 'failure': return e.failure ? `${e.failure.reason} ${failureText(e)} ${e.failure.message}` : '';
  }
}

/** `outcome:` values: blocked, failed (timeout, client abort…), ok (answered), pending (no outcome yet). */
function outcomeOf(e: DecisionEvent): 'blocked' | 'failed' | 'ok' | 'pending' {
  if (e.decision === 'deny') return 'blocked';
  if (e.failure) return 'failed';
  return e.upstreamStatus !== undefined || e.bytes !== undefined ? 'ok' : 'pending';
}

/** Text a free-text search looks in: every visible column plus rule and client. */
function searchText(e: DecisionEvent): string {
  const r = rowText(e);
  return [r.time, e.decision, r.method, r.host, r.path, r.reason, r.hook, e.proxyError ?? '', e.rule?.file ?? '', e.client ?? '', ...e.actions,
    e.failure ? `failed ${e.failure.reason} ${e.failure.message}` : '']
    .join('\u0000').toLowerCase();
}

function tokenMatches(e: DecisionEvent, t: FilterToken): boolean {
  if (t.field === 'text') return searchText(e).includes(t.value);
  const v = fieldValue(e, t.field).toLowerCase();
  // decision, status and outcome match exactly (`decision:deny`), everything else by substring.
  if (t.field === 'decision') return v.startsWith(t.value);
  if (t.field === 'status' || t.field === 'outcome') return v === t.value;
  return v.includes(t.value);
}

/** All tokens must hold (AND); a negated token must not. */
export function matchesFilter(e: DecisionEvent, f: ParsedFilter): boolean {
  for (const t of f.tokens) if (tokenMatches(e, t) === t.negate) return false;
  return true;
}

export interface Counts {
  allowed: number;
  blocked: number;
}

export function countDecisions(events: readonly DecisionEvent[]): Counts {
  let allowed = 0;
  for (const e of events) if (e.decision === 'allow') allowed++;
  return { allowed, blocked: events.length - allowed };
}
