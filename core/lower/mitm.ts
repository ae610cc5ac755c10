// The lowering pass for MITM tables: a raw hook or action table → its typed form, and the located
// diagnostics that are its validation. The editor and `check` lower every table as written (one
// layer at a time); enforcement lowers the merged profile (core/policy/effective.ts) and refuses
// to run a hook that did not lower. Required, non-empty and exactly-one rules come from the
// model's metadata (core/model/network.ts); the rest are written here, once.
import { isAbsolute } from 'node:path';
import type { z } from 'zod';
import type { DiagnosticCode } from '../codes';
import type { PolicyDiagnostic } from '../diagnostics';
import {
  compilePathMatcher, compileValueMatcher, normalizeHookHost, normalizeMethods, validateHeaderName,
  type CompiledHookMatcher, type PathMatcher, type ValueMatcher,
} from '../match/hooks';
import { metaOf, shapeOf, type FieldMeta } from '../model/meta';
import { mitmPath } from '../model/keyPaths';
import { actionTable, hookTable, injectedHeader } from '../model/network';
import type { PathSegment } from '../toml/positions';
import { strings, table } from '../toml/values';
import { closest } from './closest';

type Emit = (d: PolicyDiagnostic) => void;

/** Where a secret comes from: exactly one source, a file always absolute. */
export type SecretSource = { readonly envVar: string } | { readonly file: string };

export interface LoweredHook {
  name: string;
  /** As written (display); the matcher holds the normalised host's rules. */
  host: string;
  methods: string[];
  pathPrefixes: string[];
  query: [string, string[]][];
  headers: [string, string[]][];
  actions: string[];
  /** Absent when the hook has an error: it is never run (an invalid policy fails closed). */
  matcher?: CompiledHookMatcher;
  /** Normalised host the hook is for (set with `matcher`). */
  hostKey?: string;
}

export interface LoweredInject {
  name: string;
  prefix: string;
  /** Absent when the entry has an error. */
  secret?: SecretSource;
}

export interface LoweredAction {
  name: string;
  strip: string[];
  inject: LoweredInject[];
}

/** A table's metadata rules, read once from its schema. */
interface TableRules {
  required: [string, DiagnosticCode][];
  nonEmpty: Map<string, NonNullable<FieldMeta['nonEmpty']>>;
  exactlyOne: FieldMeta['exactlyOne'] | undefined;
}

function rulesOf(schema: z.ZodType): TableRules {
  const sh = shapeOf(schema);
  // One object shape for every table's rules (exactlyOne present or not): checkRules stays monomorphic (#8 lsp-jit).
  const rules: TableRules = { required: [], nonEmpty: new Map(), exactlyOne: metaOf(schema).exactlyOne };
  if (sh.kind !== 'object') return rules;
  for (const [key, child] of Object.entries(sh.shape)) {
    const m = metaOf(child);
    if (m.required) rules.required.push([key, m.required]);
    if (m.nonEmpty) rules.nonEmpty.set(key, m.nonEmpty);
  }
  return rules;
}

const HOOK = rulesOf(hookTable);
const ACTION = rulesOf(actionTable);
const INJECT = rulesOf(injectedHeader);

/** Metadata rules of one table; false when one failed. */
function checkRules(rules: TableRules, raw: Record<string, unknown>, base: PathSegment[], label: string, emit: Emit): boolean {
  let ok = true;
  for (const [key, code] of rules.required) {
    if (key in raw) continue;
    ok = false;
    emit({ path: base, target: 'key', severity: 'error', code, message: `missing field \`${key}\` in ${label}`, data: { field: key } });
  }
  if (rules.exactlyOne && rules.exactlyOne.keys.filter((k) => k in raw).length !== 1) {
    ok = false;
    emit({ path: base, target: 'key', severity: 'error', code: rules.exactlyOne.code, message: `invalid ${label}: expected exactly one of ${rules.exactlyOne.keys.join(' or ')}` });
  }
  for (const [key, rule] of rules.nonEmpty) {
    const v = raw[key];
    if (!Array.isArray(v) || v.length) continue;
    ok = false;
    emit({ path: [...base, key], target: 'value', severity: 'error', code: rule.code, message: `invalid ${label}: ${rule.label} must not be empty` });
  }
  return ok;
}

// RFC 9110 `token` (tchar+), what the http crate accepts as a method.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const isHttpToken = (m: string): boolean => HTTP_TOKEN.test(m);
const byKey = <T>(a: readonly [string, T], b: readonly [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** One hook table: `base` is its key path (`…mitm.hooks.<name>`). */
export function lowerHook(name: string, raw: Record<string, unknown>, base: PathSegment[], emit: Emit): LoweredHook {
  const label = `network.mitm.hooks.${name}`;
  let ok = checkRules(HOOK, raw, base, label, emit);
  const err = (path: PathSegment[], target: 'key' | 'value', code: DiagnosticCode, message: string, data?: Record<string, unknown>) => {
    ok = false;
    emit({ path, target, severity: 'error', code, message: `invalid ${label}: ${message}`, ...(data ? { data } : {}) });
  };
  // `query` and `headers` are filled below, in the loops that check them.
  const lowered: LoweredHook = {
    name, host: typeof raw.host === 'string' ? raw.host : '', methods: strings(raw.methods), pathPrefixes: strings(raw.path_prefixes),
    query: [], headers: [], actions: strings(raw.action),
  };
  const host = typeof raw.host === 'string' ? normalizeHookHost(raw.host) : undefined;
  if (host && !host.ok) err([...base, 'host'], 'value', 'mitm-hook-host-invalid', host.error);
  if (Array.isArray(raw.methods)) {
    raw.methods.forEach((m, i) => {
      if (typeof m !== 'string') return;
      if (!m.trim()) err([...base, 'methods', i], 'value', 'mitm-methods-empty', 'methods must not contain empty entries');
      else if (!isHttpToken(m.trim())) {
        // Decision: upstream accepts any text here, but a method that is no HTTP token
        // (RFC 9110 tchar) can never match a request: it is a mistake, reported at the entry.
        const split = m.split(/[\s,]+/).filter(Boolean);
        const splittable = split.length > 1 && split.every(isHttpToken);
        err([...base, 'methods', i], 'value', 'mitm-method-invalid', `method ${JSON.stringify(m)} is not an HTTP token (RFC 9110), so it never matches a request${splittable ? '; list each method as its own entry' : ''}`, splittable ? { split } : undefined);
      }
    });
  }
  const paths: PathMatcher[] = [];
  lowered.pathPrefixes.forEach((p, i) => {
    const c = compilePathMatcher(p);
    if (c.ok) paths.push(c.value);
    else err([...base, 'path_prefixes', i], 'value', 'mitm-path-invalid', c.error);
  });
  // Key paths are built only for a finding (#8: most hooks have none).
  const values = (list: string[], kind: 'query' | 'headers', k: string): ValueMatcher[] => {
    const out: ValueMatcher[] = [];
    for (let i = 0; i < list.length; i++) {
      const c = compileValueMatcher(list[i]!);
      if (c.ok) out.push(c.value);
      else err([...base, kind, k, i], 'value', 'mitm-value-invalid', c.error);
    }
    return out;
  };
  const query: [string, ValueMatcher[]][] = [];
  const rawQuery = table(raw.query);
  for (const k in rawQuery) {
    const list = rawQuery[k];
    const written = strings(list);
    lowered.query.push([k, written]);
    if (!k.trim()) err([...base, 'query', k], 'key', 'mitm-query-invalid', 'query keys must not be empty');
    if (Array.isArray(list) && list.length === 0) err([...base, 'query', k], 'value', 'mitm-query-invalid', `query key "${k}" must list at least one allowed value`);
    query.push([k, values(written, 'query', k)]);
  }
  const headers: [string, ValueMatcher[]][] = [];
  const rawHeaders = table(raw.headers);
  for (const k in rawHeaders) {
    const written = strings(rawHeaders[k]);
    lowered.headers.push([k, written]);
    const n = validateHeaderName(k);
    if (!n.ok) err([...base, 'headers', k], 'key', 'mitm-header-name-invalid', `invalid header name \`${k}\``);
    headers.push([n.ok ? n.value : k, values(written, 'headers', k)]);
  }
  // `body` is a removed key: the schema walk reports it (model metadata); a hook with one never runs.
  if (raw.body !== undefined && raw.body !== null) ok = false;
  const methods = normalizeMethods(lowered.methods);
  if (!ok || !host?.ok || !methods.ok) return lowered;
  return { ...lowered, hostKey: host.value, matcher: { methods: new Set(methods.value), paths, query: query.sort(byKey), headers: headers.sort(byKey) } };
}

/** The secret source of an injected header entry, when it names exactly one usable source. */
export function secretSourceOf(entry: Record<string, unknown>): SecretSource | undefined {
  const env = entry.secret_env_var;
  const file = entry.secret_file;
  if (('secret_env_var' in entry) === ('secret_file' in entry)) return undefined;
  if (typeof env === 'string') return env.trim() ? { envVar: env } : undefined;
  if (typeof file === 'string') return file.trim() && isAbsolute(file) ? { file } : undefined;
  return undefined;
}

function lowerInject(raw: Record<string, unknown>, base: PathSegment[], label: string, emit: Emit): LoweredInject {
  const bad = (sub: PathSegment[], target: 'key' | 'value', code: DiagnosticCode, message: string) =>
    emit({ path: [...base, ...sub], target, severity: 'error', code, message: `invalid ${label}: ${message}` });
  // `name` defaults to "" upstream (serde default), which then fails as a header name.
  if (!('name' in raw)) bad([], 'key', 'mitm-header-name-missing', 'invalid header name "": invalid HTTP header name (`name` is missing)');
  else if (typeof raw.name === 'string' && !validateHeaderName(raw.name).ok) bad(['name'], 'value', 'mitm-header-name-invalid', `invalid header name \`${raw.name}\``);
  checkRules(INJECT, raw, base, label, emit);
  if (typeof raw.secret_env_var === 'string' && !raw.secret_env_var.trim()) bad(['secret_env_var'], 'value', 'mitm-secret-source', 'secret_env_var must not be empty');
  if (typeof raw.secret_file === 'string') {
    if (!raw.secret_file.trim()) bad(['secret_file'], 'value', 'mitm-secret-source', 'secret_file must not be empty');
    else if (!isAbsolute(raw.secret_file)) bad(['secret_file'], 'value', 'mitm-secret-file-relative', 'secret_file must be an absolute path');
  }
  const secret = secretSourceOf(raw);
  return { name: typeof raw.name === 'string' ? raw.name : '', prefix: typeof raw.prefix === 'string' ? raw.prefix : '', ...(secret ? { secret } : {}) };
}

/** One action table: `base` is its key path (`…mitm.actions.<name>`). */
export function lowerAction(name: string, raw: Record<string, unknown>, base: PathSegment[], emit: Emit): LoweredAction {
  checkRules(ACTION, raw, base, `network.mitm.actions.${name}`, emit);
  const strip = strings(raw.strip_request_headers);
  const inject = Array.isArray(raw.inject_request_headers) ? raw.inject_request_headers : [];
  if (strip.length === 0 && inject.length === 0) {
    emit({
      path: base, target: 'key', severity: 'error', code: 'mitm-action-no-operation',
      message: `network.mitm.actions.${name} must define at least one operation. Codex rejects empty actions; to let matched requests through unchanged, strip a header that never reaches the upstream, e.g. \`strip_request_headers = ["proxy-authorization"]\`.`,
      data: { action: name },
    });
  }
  strip.forEach((h, i) => {
    if (!validateHeaderName(h).ok) {
      emit({ path: [...base, 'strip_request_headers', i], target: 'value', severity: 'error', code: 'mitm-header-name-invalid', message: `invalid network.mitm.actions.${name}.strip_request_headers: invalid header name \`${h}\`` });
    }
  });
  const lowered: LoweredInject[] = [];
  inject.forEach((entry, i) => {
    const t = table(entry);
    if (t) lowered.push(lowerInject(t, [...base, 'inject_request_headers', i], `network.mitm.actions.${name}.inject_request_headers[${i}]`, emit));
  });
  return { name, strip, inject: lowered };
}

/** Every hook and action of a `network` table; `base` is the network table's key path. */
export function lowerMitm(net: Record<string, unknown>, base: PathSegment[], emit: Emit): { hooks: LoweredHook[]; actions: Map<string, LoweredAction> } {
  const mitm = table(net.mitm);
  const actions = new Map<string, LoweredAction>();
  for (const [name, raw] of Object.entries(table(mitm?.actions) ?? {})) {
    const t = table(raw);
    if (t) actions.set(name, lowerAction(name, t, mitmPath(base, 'actions', name), emit));
  }
  const hooks: LoweredHook[] = [];
  for (const [name, raw] of Object.entries(table(mitm?.hooks) ?? {})) {
    const t = table(raw);
    if (t) hooks.push(lowerHook(name, t, mitmPath(base, 'hooks', name), emit));
  }
  return { hooks, actions };
}

/**
 * Hooks may only name actions of the same (merged) network table. Codex checks this after the
 * `extends` chain is merged, so validation runs it per resolved profile and enforcement on the
 * profile it runs. Paths are relative to the network table.
 */
export function checkActionRefs(net: Record<string, unknown>, emit: Emit): void {
  const mitm = table(net.mitm);
  const actions = table(mitm?.actions) ?? {};
  for (const [hookName, raw] of Object.entries(table(mitm?.hooks) ?? {})) {
    const list = table(raw)?.action;
    if (!Array.isArray(list)) continue;
    list.forEach((action, i) => {
      if (typeof action !== 'string' || Object.hasOwn(actions, action)) return;
      const suggestion = closest(action, Object.keys(actions));
      emit({
        path: [...mitmPath([], 'hooks', hookName), 'action', i], target: 'value', severity: 'error', code: 'mitm-undefined-action',
        message: `network.mitm.hooks.${hookName}.action references undefined action \`${action}\``,
        data: { action, ...(suggestion ? { suggestion } : {}) },
      });
    });
  }
}
