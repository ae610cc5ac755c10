// Rules over permission profiles as a whole: names, `extends` chains, and action references,
// which Codex checks after the chain is merged (so a hook may use a parent's action).
import type { PolicyDiagnostic } from '../diagnostics';
import { BUILTIN_PROFILES, type BuiltinProfile } from '../model/profile';
import { availableProfiles, resolveProfile, type ResolveInput } from '../lower/resolve';
import { checkActionRefs } from '../lower/mitm';
import { actionsPath } from '../model/keyPaths';
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
    // The rule is the lowering pass's; here its relative paths are placed in the layer that wrote them.
    checkActionRefs(net, (d) => {
      const origin = profile.originOf(d.path) ?? profile.originOf(d.path.slice(0, 3));
      if (!origin) return;
      once({ ...d, path: origin.path, file: origin.kind, data: { ...d.data, profile: name, actionsPath: actionsPath(profile.layers[profile.layers.length - 1]!.name) } });
    });
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
