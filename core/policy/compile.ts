// Precompiles an effective policy for fast decisions: domain sets, hooks grouped by host,
// actions lowered per hook, secrets resolved. Everything costly happens here, once per load.
import { readFileSync } from 'node:fs';
import type { DiagnosticCode } from '../codes';
import { DomainSet } from '../match/domains';
import type { CompiledHookMatcher } from '../match/hooks';
import type { SecretSource } from '../lower/mitm';
import type { DomainRule, EffectivePolicy, HookRule, PolicyProblem } from './effective';
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
type CompileProblem = PolicyProblem;

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

  // The lowering pass already judged every hook and action of this profile: its errors are ours.
  const lowering = effective.problems.filter((p) => p.severity === 'error');
  if (lowering.length) return { problems: dedupe(lowering), notes: [] };
  for (const hook of effective.hooks) {
    if (!hook.matcher || hook.hostKey === undefined) {
      // Lowered without a reported error (e.g. a removed key only the schema walk names): still never run it.
      problems.push(problem(hook.origin, 'mitm-hook-invalid', `invalid network.mitm.hooks.${hook.name}: the hook could not be compiled`));
      continue;
    }
    const strip: string[] = [];
    const inject: CompiledHook['inject'] = [];
    let broken = false;
    for (const actionName of hook.actions) {
      const action = effective.actions.get(actionName);
      if (!action) {
        // Unreachable once checkActionRefs reported nothing (an action that is not a table, say): fail closed.
        problems.push(problem(hook.origin, 'mitm-hook-invalid', `invalid network.mitm.hooks.${hook.name}: action \`${actionName}\` could not be compiled`));
        broken = true;
        continue;
      }
      strip.push(...action.strip);
      for (const inj of action.inject) {
        const secret = inj.secret ? resolveSecret(inj.secret, opts.env, readFile) : { error: 'the secret source could not be compiled' };
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
    const list = hooksByHost.get(hook.hostKey) ?? [];
    list.push({ rule: hook, match: hook.matcher, strip, inject, actionNames: hook.actions });
    hooksByHost.set(hook.hostKey, list);
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
function resolveSecret(source: SecretSource, env: Record<string, string | undefined>, readFile: (p: string) => string): { value: string } | { error: string } {
  if ('envVar' in source) {
    const v = env[source.envVar];
    if (v === undefined || v === '') return { error: `missing required environment variable ${source.envVar}` };
    return { value: v };
  }
  try {
    return { value: readFile(source.file).trim() };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { error: `failed to read secret file ${source.file} (${code})` };
  }
}
