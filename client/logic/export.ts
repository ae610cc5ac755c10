// Decision log exports: JSONL (one event per line) and HAR 1.2. Only what the proxy reported is
// exported: header NAMES, never values; every string is scrubbed of URL userinfo and of the
// known secrets passed in (proxy credential, injected header values), as a second line of defence.
import type { DecisionEvent } from './events';
import { hostText, statusOf } from './table';

const REDACTED = '***';

/** Replaces `scheme://user:pass@` userinfo and every known secret (longest first) in a string. */
export function redactString(s: string, secrets: readonly string[]): string {
  let out = s.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@\s]*@/g, `$1${REDACTED}@`);
  for (const secret of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  return out;
}

function redactDeep<T>(v: T, secrets: readonly string[]): T {
  if (typeof v === 'string') return redactString(v, secrets) as T;
  if (Array.isArray(v)) return v.map((x) => redactDeep(x, secrets)) as T;
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = redactDeep(x, secrets);
    return o as T;
  }
  return v;
}

export function toJsonl(events: readonly DecisionEvent[], secrets: readonly string[] = []): string {
  return events.map((e) => JSON.stringify(redactDeep(e, secrets))).join('\n') + (events.length ? '\n' : '');
}

// Decision: HAR URLs carry no query string (queries often hold tokens and the proxy reports only
// the path); CONNECT / SOCKS entries use an authority URL `https://host:port/`.
export function harUrl(e: DecisionEvent): string {
  const scheme = e.protocol === 'http' ? 'http' : e.protocol.startsWith('socks5') ? 'socks5' : 'https';
  const path = (e.path ?? '/').split('?')[0] || '/';
  return `${scheme}://${hostText(e)}${e.protocol === 'https_connect' || e.protocol.startsWith('socks5') ? '/' : path}`;
}

interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string; url: string; httpVersion: string; cookies: never[]; headers: never[]; queryString: never[];
    headersSize: number; bodySize: number;
  };
  response: {
    status: number; statusText: string; httpVersion: string; cookies: never[]; headers: never[];
    content: { size: number; mimeType: string }; redirectURL: string; headersSize: number; bodySize: number;
    /** A failed outcome's message (already scrubbed by the proxy, redacted again here). */
    comment?: string;
  };
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  _decision: Omit<DecisionEvent, 'event'>;
}

export interface Har {
  log: { version: '1.2'; creator: { name: string; version: string }; entries: HarEntry[] };
}

export function toHar(events: readonly DecisionEvent[], creatorVersion: string, secrets: readonly string[] = []): Har {
  const entries = events.map((raw): HarEntry => {
    const e = redactDeep(raw, secrets);
    const { event: _omit, ...decision } = e;
    void _omit;
    return {
      startedDateTime: e.time,
      time: e.durationMs ?? 0,
      // Decision: request headers are empty; the hook's stripped/injected header names live in _decision.headers.
      request: {
        method: e.method ?? (e.protocol === 'https_connect' ? 'CONNECT' : e.protocol.toUpperCase()), url: harUrl(e),
        httpVersion: 'HTTP/1.1', cookies: [], headers: [], queryString: [], headersSize: -1, bodySize: -1,
      },
      // Decision: the response is what the client got: the upstream's status, a failure's (504, or
      // 0 when nothing was answered, as HAR has it) with its reason as statusText, or the block.
      response: {
        status: e.failure ? e.failure.status ?? 0 : statusOf(e) ?? e.status, statusText: e.failure?.reason ?? e.proxyError ?? '',
        httpVersion: 'HTTP/1.1', cookies: [], headers: [], content: { size: 0, mimeType: '' }, redirectURL: '', headersSize: -1, bodySize: -1,
        ...(e.failure ? { comment: e.failure.message } : {}),
      },
      cache: {},
      timings: { send: 0, wait: e.durationMs ?? 0, receive: 0 }, // HAR: time is the sum of the timings
      _decision: decision,
    };
  });
  return { log: { version: '1.2', creator: { name: 'Codex Network Policy', version: creatorVersion }, entries } };
}
