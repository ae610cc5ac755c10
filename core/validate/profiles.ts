// Rules over permission profiles as a whole: names, `extends` chains, and action references,
// which Codex checks after the chain is merged (so a hook may use a parent's action).
import { closest } from '../lower/closest';
import type { PolicyDiagnostic } from '../diagnostics';
import { BUILTIN_PROFILES, type BuiltinProfile } from '../model/profile';
import { availableProfiles, resolveProfile, type ResolveInput } from '../lower/resolve';
import type { PathSegment } from '../toml/positions';
import { table } from '../toml/values';


export function checkProfiles(input: ResolveInput, emit: (d: PolicyDiagnostic) => void): void {
  const seen = new Set<string>();
  const once = (d: PolicyDiagnostic) => {
    const key = `${d.file}|${d.code}|${JSON.stringify(d.path)}|${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      emit(d);
    }
  };
  // Name rules, and managed names colliding with config names.
  const configNames = new Set(Object.keys(table(input.config?.value?.permissions) ?? {}));
  for (const doc of [input.config, input.requirements]) {
    for (const name of Object.keys(table(doc?.value?.permissions) ?? {})) {
      if (name.startsWith(':')) {
        once({ path: ['permissions', name], target: 'key', severity: 'error', code: 'profile-reserved-name', file: doc!.kind,
          message: `permissions profile \`${name}\` uses a reserved built-in profile prefix` });
      }
      if (doc!.kind === 'requirements' && name !== 'filesystem' && configNames.has(name)) {
        once({ path: ['permissions', name], target: 'key', severity: 'error', code: 'profile-managed-collision', file: 'requirements',
          message: `requirements.toml permissions profile \`${name}\` conflicts with a config-defined profile of the same name` });
      }
    }
  }
  checkAllowlistCatalog(input, once);
  // The selected profile (default_permissions, sandbox_mode, requirements fallback).
  const selected = resolveProfile({ ...input, profile: undefined });
  selected.diagnostics.forEach(once);
  // Every defined profile: its chain, and its hooks' action references after the merge.
  for (const name of availableProfiles(input).keys()) {
    if (name.startsWith(':')) continue;
    const r = resolveProfile({ ...input, profile: name });
    r.diagnostics.filter((d) => d.code !== 'profile-not-allowed').forEach(once);
    const profile = r.profile;
    const net = profile?.network;
    if (!profile || !net) continue;
    const mitm = table(net.mitm);
    const actions = table(mitm?.actions) ?? {};
    for (const [hookName, raw] of Object.entries(table(mitm?.hooks) ?? {})) {
      const list = table(raw)?.action;
      if (!Array.isArray(list)) continue;
      list.forEach((actionName, i) => {
        if (typeof actionName !== 'string' || actionName in actions) return;
        const origin = profile.originOf(['mitm', 'hooks', hookName, 'action', i]) ?? profile.originOf(['mitm', 'hooks', hookName]);
        if (!origin) return;
        once({
          path: origin.path as PathSegment[], target: 'value', severity: 'error', code: 'mitm-undefined-action', file: origin.kind,
          message: `network.mitm.hooks.${hookName}.action references undefined action \`${actionName}\``,
          data: { action: actionName, profile: name, ...didYouMean(actionName, Object.keys(actions)), actionsPath: ['permissions', profile.layers[profile.layers.length - 1]!.name, 'network', 'mitm', 'actions'] },
        });
      });
    }
  }
}

/**
 * config/mod.rs: every allowlisted profile must be a built-in or defined (config.toml profiles
 * plus managed ones). Checked against the config it governs; a requirements file seen alone
 * only warns, because each user's config.toml may define the profile.
 */
function checkAllowlistCatalog(input: ResolveInput, emit: (d: PolicyDiagnostic) => void): void {
  const allowed = table(input.requirements?.value?.allowed_permission_profiles);
  if (!allowed) return;
  const defined = availableProfiles(input);
  for (const name of Object.keys(allowed)) {
    if (BUILTIN_PROFILES.includes(name as BuiltinProfile) || defined.has(name)) continue;
    emit({
      path: ['allowed_permission_profiles', name], target: 'key', severity: input.config ? 'error' : 'warning', code: 'requirements-profile-undefined', file: 'requirements',
      message: `requirements.toml allowed_permission_profiles refers to undefined profile \`${name}\`${input.config ? '' : ' (unless every user\'s config.toml defines it)'}`,
      data: { profile: name },
    });
  }
}

function didYouMean(wrong: string, known: readonly string[]): { suggestion?: string } {
  const s = closest(wrong, known);
  return s ? { suggestion: s } : {};
}
