// What a managed requirements.toml changes for one user config.toml: the effective policy with
// and without the managed layer (the engine's own resolveProfile + effectivePolicy merge), plus
// the cross-file rules the language server reports (validateDocuments). Used by `fleet`.
import { DomainSet } from '../match/domains';
import { rangeOf, type LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { validateDocuments } from '../validate/documents';
import { normalizeDomainKey } from '../lower/domainKey';
import { effectivePolicy, type DomainRule, type EffectivePolicy } from '../policy/effective';
import { availableProfiles, originAt, resolveProfile } from '../lower/resolve';
import { table } from '../toml/values';

export type ChangeKind = 'error' | 'profile' | 'forbidden-profile' | 'inert-allow' | 'dropped-deny' | 'overwritten' | 'forbidden-value';

export interface ManagedChange {
  kind: ChangeKind;
  /** The setting, pattern or profile concerned. */
  subject: string;
  before?: string;
  after?: string;
  message: string;
  /** 1-based lines of the user's entry and the managed entry responsible, when known. */
  configLine?: number;
  requirementsLine?: number;
  code?: string;
}

export interface ConfigDiff {
  file: string;
  profile: { before: string | null; after: string | null };
  changes: ManagedChange[];
  /** Managed domain rules in force for this config (allows, denies). */
  managedRules: { allow: number; deny: number };
}


/** Effective-policy fields a managed layer can overwrite, with the requirements key that does it. */
const SETTINGS: { field: keyof EffectivePolicy; key: string; managedKeys: string[] }[] = [
  { field: 'state', key: 'network', managedKeys: ['enabled', 'danger_full_access_denylist_only'] },
  { field: 'allowLocalBinding', key: 'allow_local_binding', managedKeys: ['allow_local_binding', 'danger_full_access_denylist_only'] },
  { field: 'allowUpstreamProxy', key: 'allow_upstream_proxy', managedKeys: ['allow_upstream_proxy'] },
  { field: 'dangerouslyAllowNonLoopbackProxy', key: 'dangerously_allow_non_loopback_proxy', managedKeys: ['dangerously_allow_non_loopback_proxy'] },
  { field: 'dangerouslyAllowAllUnixSockets', key: 'dangerously_allow_all_unix_sockets', managedKeys: ['dangerously_allow_all_unix_sockets', 'danger_full_access_denylist_only'] },
  { field: 'proxyUrl', key: 'proxy_url', managedKeys: ['http_port'] },
  { field: 'socksUrl', key: 'socks_url', managedKeys: ['socks_port'] },
  { field: 'unixSockets', key: 'unix_sockets', managedKeys: ['unix_sockets', 'allow_unix_sockets'] },
];

const show = (v: unknown): string => (v === undefined ? '(unset)' : Array.isArray(v) ? v.map((s: { path: string; permission: string }) => `${s.path}=${s.permission}`).join(', ') || '(none)' : String(v));

function lineIn(doc: LoadedDocument | undefined, path: PathSegment[]): number | undefined {
  if (!doc || !path.length) return undefined;
  const r = rangeOf(doc.index, path, 'key');
  return r.start.line + 1;
}

function managedLine(req: LoadedDocument, keys: string[]): number | undefined {
  const net = table(req.value?.experimental_network);
  const key = keys.find((k) => net && k in net);
  return key ? originAt(req, ['experimental_network', key]).line : undefined;
}

function effectiveOf(config: LoadedDocument, requirements: LoadedDocument | undefined): { effective?: EffectivePolicy; profile: string | null } {
  const r = resolveProfile({ config, ...(requirements ? { requirements } : {}) });
  if (!r.profile) return { profile: null };
  return { effective: effectivePolicy(r.profile, requirements), profile: r.profile.name };
}

/** A host that stands for a pattern when asking "would the managed denylist block it?". */
function probes(pattern: string): string[] {
  const p = normalizeDomainKey(pattern);
  if (p.startsWith('**.')) return [p.slice(3), `codex-fleet-probe.${p.slice(3)}`];
  if (p.startsWith('*.')) return [`codex-fleet-probe.${p.slice(2)}`];
  return p.includes('*') || p.includes('?') || p.includes('[') ? [] : [p];
}

function domainChanges(before: EffectivePolicy, after: EffectivePolicy, req: LoadedDocument, reported: Set<string>): ManagedChange[] {
  const out: ManagedChange[] = [];
  const managedDenies = after.domains.filter((d) => d.managed && d.permission === 'deny');
  const denySet = new DomainSet(managedDenies.map((d) => ({ pattern: d.pattern, value: d })));
  const kept = new Set(after.domains.filter((d) => !d.managed).map((d) => `${d.permission}:${normalizeDomainKey(d.pattern)}`));
  const why = after.managedAllowedDomainsOnly ? 'managed_allowed_domains_only = true: only the managed allowlist counts' : 'the managed rules replace the user rules for this profile';
  for (const rule of before.domains.filter((d): d is DomainRule => !d.managed)) {
    const key = normalizeDomainKey(rule.pattern);
    const configLine = rule.origin?.line;
    if (rule.permission === 'deny') {
      if (!kept.has(`deny:${key}`)) out.push({ kind: 'dropped-deny', subject: rule.pattern, message: `user deny \`${rule.pattern}\` is not in force: ${why}`, ...(configLine ? { configLine } : {}) });
      continue;
    }
    if (reported.has(key)) continue; // already named by the cross-file rule
    if (!kept.has(`allow:${key}`)) {
      const managedAllow = after.domains.some((d) => d.managed && d.permission === 'allow' && normalizeDomainKey(d.pattern) === key);
      if (managedAllow) continue; // the managed layer allows the same pattern: no change in effect
      out.push({ kind: 'inert-allow', subject: rule.pattern, message: `user allow \`${rule.pattern}\` has no effect: ${why}`, ...(configLine ? { configLine } : {}), ...(managedLine(req, ['managed_allowed_domains_only']) ? { requirementsLine: managedLine(req, ['managed_allowed_domains_only'])! } : {}) });
      continue;
    }
    const hosts = probes(rule.pattern);
    const denied = hosts.length ? hosts.map((h) => denySet.matchWithZoneFallback(h)) : [];
    if (hosts.length && denied.every((d) => d)) {
      const by = denied[0]!;
      out.push({
        kind: 'inert-allow', subject: rule.pattern, after: 'deny',
        message: `user allow \`${rule.pattern}\` has no effect: the managed deny \`${by.pattern}\` wins`,
        ...(configLine ? { configLine } : {}), ...(by.origin ? { requirementsLine: by.origin.line } : {}),
      });
    }
  }
  return out;
}

function settingChanges(before: EffectivePolicy, after: EffectivePolicy, req: LoadedDocument): ManagedChange[] {
  const out: ManagedChange[] = [];
  for (const s of SETTINGS) {
    const b = show(before[s.field]);
    const a = show(after[s.field]);
    if (a === b) continue;
    const requirementsLine = managedLine(req, s.managedKeys);
    out.push({ kind: 'overwritten', subject: s.key, before: b, after: a, message: `${s.key}: ${b} → ${a}`, ...(requirementsLine ? { requirementsLine } : {}) });
  }
  return out;
}

function forbiddenProfiles(config: LoadedDocument, req: LoadedDocument): ManagedChange[] {
  const allowedTable = table(req.value?.allowed_permission_profiles);
  if (!allowedTable) return [];
  const allowed = new Set(Object.entries(allowedTable).filter(([, v]) => v === true).map(([k]) => k));
  const out: ManagedChange[] = [];
  for (const [name, layer] of availableProfiles({ config })) {
    if (layer.doc !== config || allowed.has(name)) continue;
    const configLine = lineIn(config, ['permissions', name]);
    out.push({ kind: 'forbidden-profile', subject: name, message: `profile \`${name}\` is not in allowed_permission_profiles: a session cannot select it`, ...(configLine ? { configLine } : {}), requirementsLine: originAt(req, ['allowed_permission_profiles']).line });
  }
  return out;
}

const CROSS_FILE: Record<string, ChangeKind> = {
  'requirements-forbidden-value': 'forbidden-value',
  'requirements-ceiling': 'overwritten',
  'requirements-inert-allow': 'inert-allow',
};

/** The managed layer's effect on one config. `requirements` must be free of errors of its own. */
export function diffManagedLayer(config: LoadedDocument, requirements: LoadedDocument): ConfigDiff {
  const changes: ManagedChange[] = [];
  const reportedAllows = new Set<string>();
  for (const d of validateDocuments(config, requirements)) {
    const related = d.related?.find((r) => r.file === 'requirements');
    const configLine = d.file === 'config' ? lineIn(config, d.path as PathSegment[]) : undefined;
    const requirementsLine = lineIn(requirements, (d.file === 'requirements' ? d.path : related?.path ?? []) as PathSegment[]);
    const at = { ...(configLine ? { configLine } : {}), ...(requirementsLine ? { requirementsLine } : {}), code: d.code };
    if (d.severity === 'error') changes.push({ kind: 'error', subject: d.code, message: d.message, ...at });
    else if (CROSS_FILE[d.code]) {
      const data = (d.data ?? {}) as { pattern?: string; key?: string };
      if (d.code === 'requirements-inert-allow' && data.pattern) reportedAllows.add(normalizeDomainKey(data.pattern));
      changes.push({ kind: CROSS_FILE[d.code]!, subject: data.pattern ?? data.key ?? d.code, message: d.message, ...at });
    }
  }
  const before = effectiveOf(config, undefined);
  const after = effectiveOf(config, requirements);
  if (before.profile !== after.profile) {
    const selector = typeof requirements.value?.default_permissions === 'string' ? ['default_permissions'] : ['allowed_permission_profiles'];
    changes.push({
      kind: 'profile', subject: 'default_permissions', before: before.profile ?? '(none)', after: after.profile ?? '(none)',
      message: before.profile === null
        ? `the session runs the managed profile \`${after.profile ?? 'none'}\` (the config alone selects no usable profile)`
        : `the session runs profile \`${after.profile ?? 'none'}\` instead of \`${before.profile}\``,
      ...(lineIn(requirements, selector) ? { requirementsLine: lineIn(requirements, selector)! } : {}),
    });
  }
  changes.push(...forbiddenProfiles(config, requirements));
  // A profile fallback replaces the whole profile: comparing its rules with another's says nothing more.
  if (before.effective && after.effective && before.profile === after.profile) {
    const seenSettings = new Set(changes.filter((c) => c.kind === 'overwritten').map((c) => c.subject));
    changes.push(...settingChanges(before.effective, after.effective, requirements).filter((c) => !seenSettings.has(c.subject)));
    changes.push(...domainChanges(before.effective, after.effective, requirements, reportedAllows));
  }
  const managed = after.effective?.domains.filter((d) => d.managed) ?? [];
  return {
    file: config.file,
    profile: { before: before.profile, after: after.profile },
    changes,
    managedRules: { allow: managed.filter((d) => d.permission === 'allow').length, deny: managed.filter((d) => d.permission === 'deny').length },
  };
}
