// Codex's load-time rules for one `network` table (permissions_toml.rs, mitm_hook.rs, policy.rs),
// expressed as diagnostics on key paths. Rules that need the merged profile (action references)
// live in profiles.ts.
import { isAbsolute } from 'node:path';
import type { DiagnosticCode } from '../codes';
import type { PolicyDiagnostic } from '../diagnostics';
import { parseDomainPattern, isGlobalWildcard } from '../match/domains';
import { normalizeHost } from '../match/host';
import { compilePathMatcher, compileValueMatcher, validateHeaderName } from '../match/hooks';

const isValidHeaderName = (name: string): boolean => validateHeaderName(name).ok;
// RFC 9110 `token` (tchar+), what the http crate accepts as a method.
const isHttpToken = (m: string): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(m);
import { normalizeDomainKey } from '../lower/domainKey';
import type { PathSegment } from '../toml/positions';
import { table } from '../toml/values';


type Emit = (d: PolicyDiagnostic) => void;

export function checkNetworkTable(net: Record<string, unknown>, base: PathSegment[], emit: Emit): void {
  checkDomains(table(net.domains), [...base, 'domains'], emit, false);
  checkSockets(table(net.unix_sockets), [...base, 'unix_sockets'], net.dangerously_allow_all_unix_sockets === true, emit);
  const mitm = table(net.mitm);
  if (mitm) checkMitm(mitm, [...base, 'mitm'], emit);
}

export function checkDomains(domains: Record<string, unknown> | undefined, base: PathSegment[], emit: Emit, managed: boolean): void {
  if (!domains) return;
  const seen = new Map<string, string>();
  for (const [key, permission] of Object.entries(domains)) {
    const path = [...base, key];
    const parsed = parseDomainPattern(key);
    if (!parsed.ok) {
      emit({ path, target: 'key', severity: 'error', code: 'domain-pattern-invalid', message: `invalid domain pattern \`${key}\`: ${parsed.error}` });
      continue;
    }
    if (isGlobalWildcard(key)) {
      if (permission === 'deny') {
        emit({ path, target: 'key', severity: 'error', code: 'domain-global-deny', message: 'unsupported global wildcard domain pattern `*` in the denylist: use exact hosts or scoped wildcards such as `*.example.com`', data: { pattern: key } });
      } else if (managed) {
        emit({ path, target: 'key', severity: 'error', code: 'domain-global-managed', message: 'managed allowlists may not contain the global wildcard `*`: list the hosts or use scoped wildcards such as `**.example.com`' });
      }
    }
    const norm = normalizeDomainKey(key);
    const first = seen.get(norm);
    if (first !== undefined) {
      emit({
        path, target: 'key', severity: 'warning', code: 'domain-duplicate',
        message: `\`${key}\` and \`${first}\` are the same pattern after normalisation (\`${norm}\`); the stronger permission wins (deny over allow). Keep one.`,
        related: [{ path: [...base, first], message: 'first written here' }], data: { normalized: norm },
      });
    } else seen.set(norm, key);
  }
}

function checkSockets(sockets: Record<string, unknown> | undefined, base: PathSegment[], allowAll: boolean, emit: Emit): void {
  if (!sockets) return;
  for (const key of Object.keys(sockets)) {
    if (!allowAll && !isAbsolute(key)) {
      emit({ path: [...base, key], target: 'key', severity: 'error', code: 'socket-not-absolute', message: `allow_unix_sockets entries must be absolute paths: \`${key}\`` });
    }
  }
}

function checkMitm(mitm: Record<string, unknown>, base: PathSegment[], emit: Emit): void {
  for (const [name, raw] of Object.entries(table(mitm.hooks) ?? {})) {
    const hook = table(raw);
    if (hook) checkHook(name, hook, [...base, 'hooks', name], emit);
  }
  for (const [name, raw] of Object.entries(table(mitm.actions) ?? {})) {
    const action = table(raw);
    if (action) checkAction(name, action, [...base, 'actions', name], emit);
  }
}

function checkHook(name: string, hook: Record<string, unknown>, base: PathSegment[], emit: Emit): void {
  const err = (path: PathSegment[], target: 'key' | 'value', code: DiagnosticCode, message: string, data?: Record<string, unknown>) =>
    emit({ path, target, severity: 'error', code, message: `invalid network.mitm.hooks.${name}: ${message}`, ...(data ? { data } : {}) });
  for (const required of ['host', 'methods', 'path_prefixes', 'action'] as const) {
    if (!(required in hook)) emit({ path: base, target: 'key', severity: 'error', code: 'mitm-hook-missing-field', message: `missing field \`${required}\` in network.mitm.hooks.${name}`, data: { field: required } });
  }
  if (typeof hook.host === 'string') {
    const host = normalizeHost(hook.host);
    if (!host) err([...base, 'host'], 'value', 'mitm-hook-host-invalid', 'host must not be empty');
    else if (host.includes('*')) err([...base, 'host'], 'value', 'mitm-hook-host-invalid', 'MITM hook hosts must be exact hosts and cannot contain wildcards');
  }
  if (Array.isArray(hook.methods)) {
    if (hook.methods.length === 0) err([...base, 'methods'], 'value', 'mitm-methods-empty', 'match.methods must not be empty');
    hook.methods.forEach((m, i) => {
      if (typeof m !== 'string') return;
      if (!m.trim()) err([...base, 'methods', i], 'value', 'mitm-methods-empty', 'methods must not contain empty entries');
      else if (!isHttpToken(m.trim())) {
        // Decision: upstream accepts any text here, but a method that is no HTTP token
        // (RFC 9110 tchar) can never match a request: it is a mistake, reported at the entry.
        const split = m.split(/[\s,]+/).filter(Boolean);
        err([...base, 'methods', i], 'value', 'mitm-method-invalid', `method ${JSON.stringify(m)} is not an HTTP token (RFC 9110), so it never matches a request${split.length > 1 && split.every(isHttpToken) ? '; list each method as its own entry' : ''}`,
          split.length > 1 && split.every(isHttpToken) ? { split } : undefined);
      }
    });
  }
  if (Array.isArray(hook.path_prefixes)) {
    if (hook.path_prefixes.length === 0) err([...base, 'path_prefixes'], 'value', 'mitm-path-invalid', 'match.path_prefixes must not be empty');
    hook.path_prefixes.forEach((p, i) => {
      if (typeof p !== 'string') return;
      const c = compilePathMatcher(p);
      if (!c.ok) err([...base, 'path_prefixes', i], 'value', 'mitm-path-invalid', c.error);
    });
  }
  for (const [k, values] of Object.entries(table(hook.query) ?? {})) {
    const p = [...base, 'query', k];
    if (!k.trim()) err(p, 'key', 'mitm-query-invalid', 'query keys must not be empty');
    if (Array.isArray(values)) {
      if (values.length === 0) err(p, 'value', 'mitm-query-invalid', `query key "${k}" must list at least one allowed value`);
      values.forEach((v, i) => {
        if (typeof v !== 'string') return;
        const c = compileValueMatcher(v);
        if (!c.ok) err([...p, i], 'value', 'mitm-value-invalid', c.error);
      });
    }
  }
  for (const [k, values] of Object.entries(table(hook.headers) ?? {})) {
    const p = [...base, 'headers', k];
    if (!isValidHeaderName(k)) err(p, 'key', 'mitm-header-name-invalid', `invalid header name \`${k}\``);
    if (Array.isArray(values)) {
      values.forEach((v, i) => {
        if (typeof v !== 'string') return;
        const c = compileValueMatcher(v);
        if (!c.ok) err([...p, i], 'value', 'mitm-value-invalid', c.error);
      });
    }
  }
  if (Array.isArray(hook.action) && hook.action.length === 0) {
    emit({ path: [...base, 'action'], target: 'value', severity: 'error', code: 'mitm-action-empty', message: `network.mitm.hooks.${name}.action must not be empty` });
  }
}

function checkAction(name: string, action: Record<string, unknown>, base: PathSegment[], emit: Emit): void {
  const strip = Array.isArray(action.strip_request_headers) ? action.strip_request_headers : [];
  const inject = Array.isArray(action.inject_request_headers) ? action.inject_request_headers : [];
  if (strip.length === 0 && inject.length === 0) {
    emit({
      path: base, target: 'key', severity: 'error', code: 'mitm-action-no-operation',
      message: `network.mitm.actions.${name} must define at least one operation. Codex rejects empty actions; to let matched requests through unchanged, strip a header that never reaches the upstream, e.g. \`strip_request_headers = ["proxy-authorization"]\`.`,
      data: { action: name },
    });
  }
  strip.forEach((h, i) => {
    if (typeof h === 'string' && !isValidHeaderName(h)) {
      emit({ path: [...base, 'strip_request_headers', i], target: 'value', severity: 'error', code: 'mitm-header-name-invalid', message: `invalid network.mitm.actions.${name}.strip_request_headers: invalid header name \`${h}\`` });
    }
  });
  inject.forEach((raw, i) => {
    const entry = table(raw);
    if (!entry) return;
    const p = [...base, 'inject_request_headers', i];
    const bad = (sub: PathSegment[], target: 'key' | 'value', code: DiagnosticCode, message: string) =>
      emit({ path: [...p, ...sub], target, severity: 'error', code, message: `invalid network.mitm.actions.${name}.inject_request_headers[${i}]: ${message}` });
    // `name` defaults to "" upstream (serde default), which then fails as a header name.
    if (!('name' in entry)) bad([], 'key', 'mitm-header-name-missing', 'invalid header name "": invalid HTTP header name (`name` is missing)');
    else if (typeof entry.name === 'string' && !isValidHeaderName(entry.name)) bad(['name'], 'value', 'mitm-header-name-invalid', `invalid header name \`${entry.name}\``);
    const hasEnv = 'secret_env_var' in entry;
    const hasFile = 'secret_file' in entry;
    if (hasEnv === hasFile) bad([], 'key', 'mitm-secret-source', 'expected exactly one of secret_env_var or secret_file');
    if (typeof entry.secret_env_var === 'string' && !entry.secret_env_var.trim()) bad(['secret_env_var'], 'value', 'mitm-secret-source', 'secret_env_var must not be empty');
    if (typeof entry.secret_file === 'string') {
      if (!entry.secret_file.trim()) bad(['secret_file'], 'value', 'mitm-secret-source', 'secret_file must not be empty');
      else if (!isAbsolute(entry.secret_file)) bad(['secret_file'], 'value', 'mitm-secret-file-relative', 'secret_file must be an absolute path');
    }
  });
}
