// Host normalisation exactly as upstream `normalize_host` (reference §1.1).
import { parseIpStrict } from './address';

/** Rust `char::is_whitespace` (Unicode White_Space), which differs from JS `trim` (U+0085, U+FEFF). */
function isRustWhitespace(c: number): boolean {
  if (c > 0x20 && c < 0x85) return false; // printable ASCII, the usual case
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Rust `str::trim`. */
export function rustTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isRustWhitespace(s.charCodeAt(start))) start++;
  while (end > start && isRustWhitespace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

// One RegExp object each (a literal in the function body is a new object per call).
const UPPER = /[A-Z]/;
const UPPER_RUNS = /[A-Z]+/g;
const LOWER = /[a-z]/;
const LOWER_RUNS = /[a-z]+/g;
const toLower = (m: string): string => m.toLowerCase();
const toUpper = (m: string): string => m.toUpperCase();

/** Rust `to_ascii_lowercase`: only A-Z change (JS toLowerCase would also fold non-ASCII). */
export function asciiLower(s: string): string {
  return UPPER.test(s) ? s.replace(UPPER_RUNS, toLower) : s;
}

/** Rust `to_ascii_uppercase`. */
export function asciiUpper(s: string): string {
  return LOWER.test(s) ? s.replace(LOWER_RUNS, toUpper) : s;
}

function normalizeDnsHostOrIpLiteral(host: string): string {
  let h = asciiLower(host);
  let end = h.length;
  while (end > 0 && h.charCodeAt(end - 1) === 0x2e) end--;
  if (end !== h.length) h = h.slice(0, end);
  if (h.indexOf('%') < 0 || parseIpStrict(h)) return h;
  // Zone ids: `%25` (URI-encoded `%`) is tried first, then a bare `%`; only when the part
  // before it is a valid IP literal. Hostnames containing `%` are left alone.
  for (const delim of ['%25', '%']) {
    const i = h.indexOf(delim);
    if (i >= 0) {
      const ip = h.slice(0, i);
      if (parseIpStrict(ip)) return `${ip}%${h.slice(i + delim.length)}`;
    }
  }
  return h;
}

/**
 * Upstream `normalize_host`: trim; `[...]` → contents (anything after `]` dropped); else exactly
 * one `:` → drop it and the port; then ASCII-lower-case, strip all trailing dots, `%25` → `%` in
 * IP zone ids. May return '' (callers treat that as an invalid host).
 */
export function normalizeHost(raw: string): string {
  const host = rustTrim(raw);
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const end = host.indexOf(']');
    if (end >= 0) return normalizeDnsHostOrIpLiteral(host.slice(1, end));
  }
  const first = host.indexOf(':');
  if (first >= 0 && host.indexOf(':', first + 1) < 0) {
    return normalizeDnsHostOrIpLiteral(host.slice(0, first));
  }
  return normalizeDnsHostOrIpLiteral(host);
}

/** Drop an IPv6 zone id: `fe80::1%lo0` → `fe80::1`. Hosts without `%` are returned unchanged. */
export function stripZone(host: string): string {
  const i = host.indexOf('%');
  return i < 0 ? host : host.slice(0, i);
}
