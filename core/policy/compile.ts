// Precompiles an effective policy for fast decisions: domain sets, hooks grouped by host,
// actions lowered per hook, secrets resolved. Everything costly happens here, once per load.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { DiagnosticCode } from '../codes';
import type { PolicyDiagnostic } from '../diagnostics';
import { DomainSet } from '../match/domains';
import { normalizeHost } from '../match/host';
import { compileHookMatcher, type CompiledHookMatcher } from '../match/hooks';
import type { DomainRule, EffectivePolicy, HookRule } from './effective';
import type { Origin } from '../lower/resolve';

export interface CompiledHook {
  rule: HookRule;
  match: CompiledHookMatcher;
  strip: string[];
  /** Header name (as written) and the value to set: prefix + secret. Never logged. */
  inject: { name: string; value: string }[];
  actionNames: string[];
}

export interface CompiledPolicy {
  effective: EffectivePolicy;
  allow: DomainSet<DomainRule>;
  deny: DomainSet<DomainRule>;
  hasAllowEntries: boolean;
  hooksByHost: Map<string, CompiledHook[]>;
  /** Secret values in use, so outputs can be scrubbed defensively. */
  secrets: string[];
}

export interface CompileOptions {
  /** The proxy process's environment: where `secret_env_var` values come from. */
  env: Record<string, string | undefined>;
  readFile?: (path: string) => string;
  /**
   * `optional` (policy tests, `effective`): nothing is sent, so an unavailable secret is a note
   * and its header is still listed as injected (with an empty value that is never used).
   */
  secrets?: 'required' | 'optional';
}

/** Where a compile error points: the origin's file and path. */
export interface CompileProblem extends PolicyDiagnostic {
  origin?: Origin;
}

export function compilePolicy(effective: EffectivePolicy, opts: CompileOptions): { policy?: CompiledPolicy; problems: CompileProblem[]; notes: CompileProblem[] } {
  const problems: CompileProblem[] = [];
  const notes: CompileProblem[] = [];
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const allowRules = effective.domains.filter((d) => d.permission === 'allow');
  const denyRules = effective.domains.filter((d) => d.permission === 'deny');
  const allow = new DomainSet(allowRules.map((r) => ({ pattern: r.pattern, value: r })));
  const deny = new DomainSet(denyRules.map((r) => ({ pattern: r.pattern, value: r })));
  const secrets: string[] = [];
  const hooksByHost = new Map<string, CompiledHook[]>();

  for (const hook of effective.hooks) {
    const compiled = compileHookMatcher({ methods: hook.methods, path_prefixes: hook.pathPrefixes, query: Object.fromEntries(hook.query), headers: Object.fromEntries(hook.headers) });
    if (!compiled.ok) {
      problems.push(problem(hook.origin, 'mitm-hook-invalid', `invalid network.mitm.hooks.${hook.name}: ${compiled.error}`));
      continue;
    }
    const strip: string[] = [];
    const inject: CompiledHook['inject'] = [];
    let broken = false;
    for (const actionName of hook.actions) {
      const action = effective.actions.get(actionName);
      if (!action) {
        problems.push(problem(hook.origin, 'mitm-undefined-action', `network.mitm.hooks.${hook.name}.action references undefined action \`${actionName}\``));
        broken = true;
        continue;
      }
      strip.push(...action.strip);
      for (const inj of action.inject) {
        const secret = resolveSecret(inj.secretEnvVar, inj.secretFile, opts.env, readFile);
        if ('error' in secret && opts.secrets === 'optional') {
          notes.push({ ...problem(inj.secretOrigin ?? inj.origin ?? action.origin, 'mitm-secret-unavailable', `${secret.error} (not needed: nothing is sent)`), severity: 'information' });
          inject.push({ name: inj.name, value: '' });
          continue;
        }
        if ('error' in secret) {
          problems.push(problem(inj.secretOrigin ?? inj.origin ?? action.origin, 'mitm-secret-unavailable', `failed to compile injected header ${inj.name}: ${secret.error}`));
          broken = true;
          continue;
        }
        const value = inj.prefix + secret.value;
        if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
          problems.push(problem(inj.origin ?? action.origin, 'mitm-secret-invalid', `failed to compile injected header ${inj.name}: the prefix and secret do not form a valid header value`));
          broken = true;
          continue;
        }
        if (secret.value) secrets.push(secret.value);
        inject.push({ name: inj.name, value });
      }
    }
    if (broken) continue;
    const host = normalizeHost(hook.host);
    const list = hooksByHost.get(host) ?? [];
    list.push({ rule: hook, match: compiled.value, strip, inject, actionNames: hook.actions });
    hooksByHost.set(host, list);
  }
  if (problems.length) return { problems: dedupe(problems), notes: dedupe(notes) };
  return { problems, notes: dedupe(notes), policy: { effective, allow, deny, hasAllowEntries: allowRules.length > 0, hooksByHost, secrets } };
}

/** One action used by several hooks fails once. */
function dedupe(problems: CompileProblem[]): CompileProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.origin?.file}:${p.origin?.line}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function problem(origin: Origin | undefined, code: DiagnosticCode, message: string): CompileProblem {
  return { path: origin?.path ?? [], target: 'key', severity: 'error', code, message, ...(origin ? { origin, file: origin.kind } : {}) };
}

/** Secrets are read at load time, never per request. Errors name the variable or file, never a value. */
function resolveSecret(
  envVar: string | undefined,
  file: string | undefined,
  env: Record<string, string | undefined>,
  readFile: (p: string) => string,
): { value: string } | { error: string } {
  if (envVar !== undefined) {
    const v = env[envVar];
    if (v === undefined || v === '') return { error: `missing required environment variable ${envVar}` };
    return { value: v };
  }
  if (file !== undefined) {
    if (!isAbsolute(file)) return { error: 'secret_file must be an absolute path' };
    try {
      return { value: readFile(file).trim() };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      return { error: `failed to read secret file ${file} (${code})` };
    }
  }
  return { error: 'expected exactly one of secret_env_var or secret_file' };
}
