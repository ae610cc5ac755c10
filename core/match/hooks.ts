// MITM hook request matchers (reference §4.2-§4.4), upstream `mitm_hook.rs` semantics.
import { compileGlob, type CompiledGlob } from './glob';
import { asciiLower, asciiUpper, normalizeHost, rustTrim } from './host';

export type ValueMatcher =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'glob'; readonly glob: CompiledGlob };

export type PathMatcher =
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'glob'; readonly glob: CompiledGlob };

export type Compiled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): Compiled<T> => ({ ok: true, value });
const fail = <T>(error: string): Compiled<T> => ({ ok: false, error });

/** Rust `{:?}` of a string, as used in upstream error texts. */
export function rustDebugString(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (cp === 0) out += '\\0';
    // Decision: only C0/DEL are escaped; Rust also escapes some non-printable Unicode.
    else if (cp < 0x20 || cp === 0x7f) out += `\\u{${cp.toString(16)}}`;
    else out += c;
  }
  return `${out}"`;
}

type MatcherPattern = { readonly literal: string } | { readonly glob: string } | { readonly error: string };

/** A hook matcher as written: plain, `literal:` or `pattern:`, and the text after the prefix. */
export interface MatcherSpec { readonly form: 'plain' | 'literal' | 'pattern'; readonly text: string }

/** The one parse of matcher prefixes (validation, enforcement, hover and highlighting use it). */
export function parseMatcherSpec(spec: string): MatcherSpec {
  // `literal:` is checked first, so `literal:pattern:*` is the literal text `pattern:*`.
  if (spec.startsWith('literal:')) return { form: 'literal', text: spec.slice(8) };
  if (spec.startsWith('pattern:')) return { form: 'pattern', text: spec.slice(8) };
  return { form: 'plain', text: spec };
}

function parseMatcherPattern(spec: string): MatcherPattern {
  const m = parseMatcherSpec(spec);
  if (m.form !== 'pattern') return { literal: m.text };
  return m.text === '' ? { error: 'glob pattern must not be empty' } : { glob: m.text };
}

function compileHookGlob(glob: string, pathMode: boolean): Compiled<CompiledGlob> {
  const g = compileGlob(glob, { pathMode, caseInsensitive: false });
  return 'error' in g ? fail(`invalid glob pattern ${rustDebugString(glob)}: ${g.error}`) : ok(g);
}

/** Query/header value: exact (case-sensitive) or whole-string glob where `*` crosses `/`. */
export function compileValueMatcher(spec: string): Compiled<ValueMatcher> {
  const p = parseMatcherPattern(spec);
  if ('error' in p) return fail(p.error);
  if ('literal' in p) return ok({ kind: 'exact', value: p.literal });
  const g = compileHookGlob(p.glob, false);
  return g.ok ? ok({ kind: 'glob', glob: g.value }) : g;
}

/** Path: literal `startsWith` prefix, or whole-path glob where `*`/`?` stay within a segment. */
export function compilePathMatcher(spec: string): Compiled<PathMatcher> {
  const p = parseMatcherPattern(spec);
  if ('error' in p) return fail(p.error);
  if ('literal' in p) {
    return p.literal === '' ? fail('path_prefixes must not contain empty entries') : ok({ kind: 'prefix', prefix: p.literal });
  }
  const g = compileHookGlob(p.glob, true);
  return g.ok ? ok({ kind: 'glob', glob: g.value }) : g;
}

export function valueMatches(m: ValueMatcher, candidate: string): boolean {
  return m.kind === 'exact' ? m.value === candidate : m.glob.test(candidate);
}

/**
 * Upstream `is_safe_for_authorization` (np/authorization_path.rs, PR #37211): a hook may match
 * only a path every `/`-separated segment of which is unambiguous — no raw `\`, every `%`
 * followed by two hex digits, no encoded `%`, `/` or `\` (`%25`, `%2f`, `%5c`, any case), and
 * no segment made only of one or two dots, raw or `%2e`. Upstream servers may decode or
 * normalise such a path into another resource after the hook matched.
 */
export function isSafeForAuthorization(path: string): boolean {
  if (!/[.%\\]/.test(path)) return true;
  for (const segment of path.split('/')) if (!isSafeSegment(segment)) return false;
  return true;
}

function isSafeSegment(segment: string): boolean {
  let dots = 0;
  let other = false;
  for (let i = 0; i < segment.length; ) {
    const c = segment.charCodeAt(i);
    if (c === 0x2e) {
      dots++;
      i++;
    } else if (c === 0x5c) {
      return false;
    } else if (c === 0x25) {
      const hi = hexValue(segment.charCodeAt(i + 1));
      const lo = hexValue(segment.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return false;
      const decoded = (hi << 4) | lo;
      if (decoded === 0x25 || decoded === 0x2f || decoded === 0x5c) return false;
      if (decoded === 0x2e) dots++;
      else other = true;
      i += 3;
    } else {
      other = true;
      i++;
    }
  }
  return other || (dots !== 1 && dots !== 2);
}


/** ANY matcher matches the raw path (no query), once the path is safe for authorization. */
export function pathMatches(matchers: readonly PathMatcher[], path: string): boolean {
  if (!isSafeForAuthorization(path)) return false;
  for (const m of matchers) {
    if (m.kind === 'prefix' ? path.startsWith(m.prefix) : m.glob.test(path)) return true;
  }
  return false;
}

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a leading BOM, like Rust
const ENCODER = new TextEncoder();

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// `form_urlencoded` decoding: `+` → space, valid `%XX` → byte, anything else kept, UTF-8 lossy.
// Decision: non-ASCII characters in the raw query are taken as UTF-8 (upstream URIs are ASCII).
function decodeFormComponent(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  const src = ENCODER.encode(s);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x2b) out[n++] = 0x20;
    else if (b === 0x25 && i + 2 < src.length && hexValue(src[i + 1]!) >= 0 && hexValue(src[i + 2]!) >= 0) {
      out[n++] = (hexValue(src[i + 1]!) << 4) | hexValue(src[i + 2]!);
      i += 2;
    } else out[n++] = b;
  }
  return UTF8.decode(out.subarray(0, n));
}

/**
 * Parse a raw query string (without the leading `?`) as `application/x-www-form-urlencoded`:
 * `&`-separated, empty pieces skipped, first `=` splits, keys and values decoded, repeats kept
 * in order. Never throws.
 */
export function parseQuery(rawQuery: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!rawQuery) return out;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = decodeFormComponent(eq < 0 ? piece : piece.slice(0, eq));
    const value = decodeFormComponent(eq < 0 ? '' : piece.slice(eq + 1));
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/** Rust `HeaderValue::to_str` succeeds: only tab and 0x20-0x7E. Other values never match. */
export function isVisibleAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 9 && (c < 0x20 || c > 0x7e)) return false;
  }
  return true;
}

// http 1.x `HEADER_CHARS`: RFC 7230 tchar (`"` is rejected since hyperium/http#716); upper case folds.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** RFC 7230 token as the http crate accepts it (see {@link validateHeaderName}). */
export function isValidHeaderName(name: string): boolean {
  return validateHeaderName(name).ok;
}

/** Upstream `parse_header_name`: the lower-cased name or "invalid header name \"…\": …". */
export function validateHeaderName(name: string): Compiled<string> {
  // The http crate caps names at 64 KiB.
  if (name.length > 0 && name.length <= 1 << 16 && HEADER_NAME.test(name)) return ok(asciiLower(name));
  return fail(`invalid header name ${rustDebugString(name)}: invalid HTTP header name`);
}

/** Upstream `normalize_methods` + emptiness check. */
export function normalizeMethods(methods: readonly string[]): Compiled<string[]> {
  const out: string[] = [];
  for (const m of methods) {
    const n = asciiUpper(rustTrim(m));
    if (n === '') return fail('methods must not contain empty entries');
    out.push(n);
  }
  return out.length ? ok(out) : fail('match.methods must not be empty');
}

/** Upstream `normalize_hook_host`. */
export function normalizeHookHost(host: string): Compiled<string> {
  const h = normalizeHost(host);
  if (h === '') return fail('host must not be empty');
  if (h.includes('*')) return fail('MITM hook hosts must be exact hosts and cannot contain wildcards');
  return ok(h);
}

/** One query or header constraint list, upstream `validate_query_constraints` rules. */
export function compileQueryConstraint(key: string, values: readonly string[]): Compiled<ValueMatcher[]> {
  if (key === '') return fail('query keys must not be empty');
  if (values.length === 0) return fail(`query key ${rustDebugString(key)} must list at least one allowed value`);
  const ms = compileValues(values);
  return ms.ok ? ms : fail(`invalid matcher for query key ${rustDebugString(key)}: ${ms.error}`);
}

function compileValues(values: readonly string[]): Compiled<ValueMatcher[]> {
  const out: ValueMatcher[] = [];
  for (const v of values) {
    const m = compileValueMatcher(v);
    if (!m.ok) return m;
    out.push(m.value);
  }
  return ok(out);
}

export interface CompiledHookMatcher {
  /** Upper-cased methods. */
  readonly methods: ReadonlySet<string>;
  readonly paths: readonly PathMatcher[];
  readonly query: ReadonlyArray<readonly [string, readonly ValueMatcher[]]>;
  /** Lower-cased header name and allowed values; `[]` means "present". */
  readonly headers: ReadonlyArray<readonly [string, readonly ValueMatcher[]]>;
}

type Table = Readonly<Record<string, readonly string[]>> | Iterable<readonly [string, readonly string[]]>;

/** Upstream-shaped `match` table (flat runtime config). */
export interface HookMatchConfig {
  readonly methods: readonly string[];
  readonly path_prefixes: readonly string[];
  readonly query?: Table;
  readonly headers?: Table;
  /** Reserved upstream: any value is rejected. */
  readonly body?: unknown;
}

/** Same as {@link HookMatchConfig} with a camel-cased `pathPrefixes` (the policy model's shape). */
export interface HookSpec {
  readonly methods: readonly string[];
  readonly pathPrefixes: readonly string[];
  readonly query?: Table;
  readonly headers?: Table;
  readonly body?: unknown;
}

// Upstream keeps query/headers in a BTreeMap: iterate (and report the first error) in key order.
function sortedEntries(t: Table | undefined): Array<readonly [string, readonly string[]]> {
  const pairs: Array<readonly [string, readonly string[]]> =
    t === undefined ? [] : Symbol.iterator in t ? [...(t as Iterable<readonly [string, readonly string[]]>)] : Object.entries(t);
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// Validation in upstream order; `at` prefixes the field names in messages.
function compileMatch(c: HookSpec, at: string): Compiled<CompiledHookMatcher> {
  const methods = normalizeMethods(c.methods);
  if (!methods.ok) {
    // The blank-entry error is wrapped with context upstream; the empty-list one is not.
    return fail(c.methods.length ? `invalid ${at}.methods: ${methods.error}` : `${at}.methods must not be empty`);
  }
  const paths: PathMatcher[] = [];
  for (const p of c.pathPrefixes) {
    const m = compilePathMatcher(p);
    if (!m.ok) return fail(`invalid ${at}.path_prefixes: ${m.error}`);
    paths.push(m.value);
  }
  if (paths.length === 0) return fail(`${at}.path_prefixes must not be empty`);
  if (c.body !== undefined && c.body !== null) {
    return fail(`${at}.body is reserved for a future release and is not yet supported`);
  }
  const query: Array<readonly [string, readonly ValueMatcher[]]> = [];
  for (const [key, values] of sortedEntries(c.query)) {
    const q = compileQueryConstraint(key, values);
    if (!q.ok) return fail(`invalid ${at}.query: ${q.error}`);
    query.push([key, q.value]);
  }
  const headers: Array<readonly [string, readonly ValueMatcher[]]> = [];
  for (const [name, values] of sortedEntries(c.headers)) {
    const n = validateHeaderName(name);
    if (!n.ok) return fail(`invalid ${at}.headers: ${n.error}`);
    const vs = compileValues(values);
    if (!vs.ok) return fail(`invalid ${at}.headers: invalid matcher for header ${rustDebugString(name)}: ${vs.error}`);
    headers.push([n.value, vs.value]);
  }
  return ok({ methods: new Set(methods.value), paths, query, headers });
}

/**
 * Validate and compile hook number `index`'s `match` table with upstream's full messages
 * ("invalid network.mitm_hooks[i].match.methods: …", "network.mitm_hooks[i].match.path_prefixes
 * must not be empty", …).
 */
export function compileHookMatcher(config: HookMatchConfig, index = 0): Compiled<CompiledHookMatcher> {
  return compileMatch({ ...config, pathPrefixes: config.path_prefixes }, `network.mitm_hooks[${index}].match`);
}

/** Same rules; messages are relative to the hook ("invalid match.methods: …"). */
export function compileHook(spec: HookSpec): { readonly ok: true; readonly hook: CompiledHookMatcher } | { readonly ok: false; readonly error: string } {
  const r = compileMatch(spec, 'match');
  return r.ok ? { ok: true, hook: r.value } : r;
}


type QuerySource = ReadonlyMap<string, readonly string[]> | (() => ReadonlyMap<string, readonly string[]>);

interface HookRequestBase {
  readonly method: string;
  /** Raw request path as sent, without the query. */
  readonly path: string;
  /** Decoded query, or a thunk producing it (only called when a hook has query constraints). */
  readonly query: QuerySource;
}

type HeaderLookup = (lowercaseName: string) => readonly string[] | undefined;

/** All values of a header by lower-cased name (undefined or [] when absent); `header` is an alias. */
export type HookRequest = HookRequestBase & ({ readonly headers: HeaderLookup } | { readonly header: HeaderLookup });

/** Memoising thunk over {@link parseQuery}, for sharing one parse across several hooks. */
export function lazyQuery(rawQuery: string): () => ReadonlyMap<string, readonly string[]> {
  let parsed: Map<string, string[]> | undefined;
  return () => (parsed ??= parseQuery(rawQuery));
}

function anyMatches(matchers: readonly ValueMatcher[], candidates: readonly string[], visibleOnly: boolean): boolean {
  for (const c of candidates) {
    if (visibleOnly && !isVisibleAscii(c)) continue;
    for (const m of matchers) if (valueMatches(m, c)) return true;
  }
  return false;
}

/** Upstream `hook_matches`: method, ANY path, EVERY query constraint, EVERY header constraint. */
export function hookMatches(hook: CompiledHookMatcher, req: HookRequest): boolean {
  if (!hook.methods.has(asciiUpper(req.method))) return false;
  if (!pathMatches(hook.paths, req.path)) return false;
  if (hook.query.length) {
    const q = typeof req.query === 'function' ? req.query() : req.query;
    for (const [name, matchers] of hook.query) {
      const actual = q.get(name);
      if (!actual || !anyMatches(matchers, actual, false)) return false;
    }
  }
  const lookup = 'headers' in req ? req.headers : req.header;
  for (const [name, matchers] of hook.headers) {
    const values = lookup(name);
    if (!values || values.length === 0) return false;
    if (matchers.length && !anyMatches(matchers, values, true)) return false;
  }
  return true;
}

/** First matching hook (declaration order), or -1 (a hooked host's default deny). */
export function findMatchingHook(hooks: readonly CompiledHookMatcher[], req: HookRequest): number {
  if (hooks.length === 0) return -1;
  const source = req.query;
  const shared: HookRequest = typeof source === 'function' ? { ...req, query: memo(source) } : req;
  for (let i = 0; i < hooks.length; i++) if (hookMatches(hooks[i]!, shared)) return i;
  return -1;
}

function memo<T>(f: () => T): () => T {
  let done = false;
  let v: T | undefined;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
}
