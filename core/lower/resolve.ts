// Which permission profile is active, and its network table after the `extends` chain is merged
// (parents first, child on top; tables merge per key, scalars and arrays are replaced).
import type { DiagnosticCode } from '../codes';
import type { PolicyDiagnostic } from '../diagnostics';
import { BUILTIN_PROFILES, type BuiltinProfile } from '../model/profile';
import { lineOf, type LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { normalizeDomainKey } from './domainKey';
import { closest } from './closest';
import { table } from '../toml/values';

export interface Origin {
  file: string;
  kind: 'config' | 'requirements';
  path: PathSegment[];
  line: number;
}

export interface ProfileLayer {
  name: string;
  doc: LoadedDocument;
  body: Record<string, unknown>;
}

export interface ResolvedProfile {
  name: string;
  builtin?: BuiltinProfile;
  /** Defined in requirements.toml (a managed profile). */
  managed: boolean;
  /** Where the selection came from (`default_permissions`, `--profile`, requirements fallback). */
  selectedBy: Origin | 'option' | 'default';
  layers: ProfileLayer[];
  /** Merged `network` table, domain keys normalised; undefined when no layer has one. */
  network: Record<string, unknown> | undefined;
  /** Origin of a merged value by path relative to the network table. */
  originOf(path: readonly PathSegment[]): Origin | undefined;
  /** Built-in the chain ends in (`:workspace`, `:read-only`) or undefined. */
  baseBuiltin?: BuiltinProfile;
}

export interface ResolveInput {
  config?: LoadedDocument;
  requirements?: LoadedDocument;
  profile?: string;
}

export interface ResolveResult {
  profile?: ResolvedProfile;
  diagnostics: PolicyDiagnostic[];
}

/** Decision (#11): a longer `extends` chain is an error, so resolving every profile stays linear. */
const MAX_EXTENDS_DEPTH = 32;

const isBuiltin = (n: string): n is BuiltinProfile => (BUILTIN_PROFILES as readonly string[]).includes(n);


/** `line` is looked up when read: validation asks for thousands of origins and reads few lines. */
export function originAt(doc: LoadedDocument, path: PathSegment[]): Origin {
  let line: number | undefined;
  return { file: doc.file, kind: doc.kind, path, get line() { return (line ??= lineOf(doc.index, path)); } };
}

// Validation resolves every profile against the same documents: the profile table is built once per
// (config, requirements) pair, so that is linear in the number of profiles, not quadratic.
const NO_DOC = {};
const profileCache = new WeakMap<object, WeakMap<object, ReadonlyMap<string, ProfileLayer>>>();

/** Every profile a session could select: config.toml's, then requirements.toml's managed ones (read-only, shared). */
export function availableProfiles(input: ResolveInput): ReadonlyMap<string, ProfileLayer> {
  const byReq = profileCache.get(input.config ?? NO_DOC) ?? new WeakMap<object, ReadonlyMap<string, ProfileLayer>>();
  profileCache.set(input.config ?? NO_DOC, byReq);
  let out = byReq.get(input.requirements ?? NO_DOC);
  if (!out) byReq.set(input.requirements ?? NO_DOC, (out = collectProfiles(input)));
  return out;
}

function collectProfiles(input: ResolveInput): Map<string, ProfileLayer> {
  const out = new Map<string, ProfileLayer>();
  const add = (doc: LoadedDocument | undefined) => {
    const perms = table(doc?.value?.permissions);
    if (!doc || !perms) return;
    for (const [name, body] of Object.entries(perms)) {
      if (doc.kind === 'requirements' && name === 'filesystem') continue; // reserved: filesystem constraints
      const t = table(body);
      if (t && !out.has(name)) out.set(name, { name, doc, body: t });
    }
  };
  add(input.config);
  add(input.requirements);
  return out;
}

export function resolveProfile(input: ResolveInput): ResolveResult {
  const diagnostics: PolicyDiagnostic[] = [];
  const cfg = input.config?.value;
  const req = input.requirements?.value;
  const profiles = availableProfiles(input);

  let name: string | undefined = input.profile;
  let selectedBy: ResolvedProfile['selectedBy'] = input.profile ? 'option' : 'default';
  if (!name && typeof cfg?.default_permissions === 'string' && input.config) {
    name = cfg.default_permissions;
    selectedBy = originAt(input.config, ['default_permissions']);
  }
  const managedProfiles = table(req?.allowed_permission_profiles);
  if (managedProfiles) {
    // config/mod.rs resolve_default_permissions: the user's choice if allowed, else the managed
    // default, else `:workspace` when both `:workspace` and `:read-only` are allowed.
    const allowed = (n: string) => managedProfiles[n] === true;
    const managedDefault = typeof req?.default_permissions === 'string' ? req.default_permissions : undefined;
    const fallback = managedDefault ?? (allowed(':workspace') && allowed(':read-only') ? ':workspace' : undefined);
    // No fallback: requirements.toml itself is invalid (reported there); Codex does not start.
    if (!fallback) return { diagnostics };
    if (name && !allowed(name)) {
      const where = typeof selectedBy === 'object' ? selectedBy : undefined;
      diagnostics.push({
        path: where ? where.path : ['allowed_permission_profiles'], target: 'value', severity: 'warning', code: 'profile-not-allowed',
        file: where?.kind ?? 'requirements',
        message: `Configured value for \`permission_profile\` is disallowed by requirements; falling back from \`${name}\` to required value \`${fallback}\`.`,
      });
      name = undefined;
    }
    if (!name) {
      name = fallback;
      if (input.requirements) selectedBy = originAt(input.requirements, managedDefault ? ['default_permissions'] : ['allowed_permission_profiles', fallback]);
    }
  }
  const legacySandbox = typeof cfg?.sandbox_mode === 'string' ? (cfg.sandbox_mode as string) : undefined;
  if (legacySandbox && !managedProfiles && !input.profile) {
    // Legacy sandbox settings win over profiles (config-schema.md A.1).
    const legacy: Record<string, BuiltinProfile> = { 'read-only': ':read-only', 'workspace-write': ':workspace', 'danger-full-access': ':danger-full-access' };
    if (cfg?.default_permissions !== undefined) {
      diagnostics.push({ path: ['default_permissions'], target: 'key', severity: 'warning', code: 'profiles-ignored-by-sandbox-mode', file: 'config',
        message: '`sandbox_mode` is set, so Codex ignores `default_permissions` and every permission profile.', related: [{ path: ['sandbox_mode'], message: 'sandbox_mode set here', file: 'config' }] });
    }
    name = legacy[legacySandbox] ?? ':read-only';
    selectedBy = input.config ? originAt(input.config, ['sandbox_mode']) : 'default';
  }
  if (!name) name = ':read-only';

  const selectorPath = typeof selectedBy === 'object' ? selectedBy : undefined;
  const selectorDiag = (code: DiagnosticCode, message: string, suggestion?: string): PolicyDiagnostic => ({
    path: selectorPath?.path ?? [], target: 'value', severity: 'error', code, message, file: selectorPath?.kind ?? 'config',
    ...(suggestion ? { data: { suggestion } } : {}),
  });
  /** "Did you mean": the closest defined profile (or built-in, for a `:` name). */
  const nearestProfile = (wrong: string): string | undefined => closest(wrong, [...profiles.keys(), ...BUILTIN_PROFILES]);

  if (name.startsWith(':')) {
    if (!isBuiltin(name)) {
      diagnostics.push(selectorDiag('profile-unknown-builtin', `default_permissions refers to unknown built-in profile \`${name}\`; built-ins are ${BUILTIN_PROFILES.map((b) => `\`${b}\``).join(', ')}`, closest(name, BUILTIN_PROFILES)));
      return { diagnostics };
    }
    return { diagnostics, profile: builtinProfile(name, selectedBy) };
  }
  if (profiles.size === 0) {
    diagnostics.push(selectorDiag('profile-missing-permissions', `default_permissions requires a \`[permissions]\` table (profile \`${name}\` is not defined)`));
    return { diagnostics };
  }
  const chain: ProfileLayer[] = [];
  const seen = new Set<string>();
  let cur: string | undefined = name;
  let baseBuiltin: BuiltinProfile | undefined;
  while (cur !== undefined) {
    if (seen.has(cur)) {
      const first = chain[chain.length - 1]!;
      diagnostics.push({ path: ['permissions', first.name, 'extends'], target: 'value', severity: 'error', code: 'profile-extends-cycle', file: first.doc.kind,
        message: `permission profile inheritance cycle: ${[...seen, cur].join(' -> ')}` });
      return { diagnostics };
    }
    seen.add(cur);
    if (seen.size > MAX_EXTENDS_DEPTH) {
      const child = chain[chain.length - 1]!;
      diagnostics.push({ path: ['permissions', child.name, 'extends'], target: 'value', severity: 'error', code: 'profile-extends-too-deep', file: child.doc.kind,
        message: `permission profile \`${name}\` inherits through more than ${MAX_EXTENDS_DEPTH} profiles; shorten the \`extends\` chain` });
      return { diagnostics };
    }
    const layer = profiles.get(cur);
    if (!layer) {
      const child = chain[chain.length - 1];
      if (child) {
        const suggestion = nearestProfile(cur);
        diagnostics.push({ path: ['permissions', child.name, 'extends'], target: 'value', severity: 'error', code: 'profile-extends-undefined', file: child.doc.kind,
          message: `permission profile \`${child.name}\` extends undefined profile \`${cur}\``, ...(suggestion ? { data: { suggestion } } : {}) });
      } else {
        diagnostics.push(selectorDiag('profile-undefined', `default_permissions refers to undefined profile \`${cur}\``, nearestProfile(cur)));
      }
      return { diagnostics };
    }
    chain.push(layer);
    const parent: unknown = layer.body.extends;
    if (typeof parent !== 'string') break;
    if (parent.startsWith(':')) {
      if (parent === ':danger-full-access' || !isBuiltin(parent)) {
        diagnostics.push({ path: ['permissions', layer.name, 'extends'], target: 'value', severity: 'error', code: 'profile-extends-unsupported', file: layer.doc.kind,
          message: parent === ':danger-full-access'
            ? 'permission profiles cannot extend the built-in `:danger-full-access` profile'
            : `permission profile \`${layer.name}\` extends unknown built-in profile \`${parent}\``,
          ...(parent !== ':danger-full-access' && closest(parent, BUILTIN_PROFILES) ? { data: { suggestion: closest(parent, BUILTIN_PROFILES) } } : {}) });
        return { diagnostics };
      }
      baseBuiltin = parent;
      break;
    }
    cur = parent;
  }
  const layers = chain.reverse();
  const merged = mergedChain(profiles, name, layers);
  return {
    diagnostics,
    profile: {
      name, managed: layers[layers.length - 1]!.doc.kind === 'requirements', selectedBy, layers,
      network: merged.network, originOf: merged.originOf, ...(baseBuiltin ? { baseBuiltin } : {}),
    },
  };
}

function builtinProfile(name: BuiltinProfile, selectedBy: ResolvedProfile['selectedBy']): ResolvedProfile {
  return { name, builtin: name, managed: false, selectedBy, layers: [], network: undefined, originOf: () => undefined };
}

// Validation resolves each profile several times (selected, per profile, semantics): the merge
// of one chain is done once per profile table (itself cached per pair of documents).
const mergeCache = new WeakMap<ReadonlyMap<string, ProfileLayer>, Map<string, ReturnType<typeof mergeNetworks>>>();

function mergedChain(profiles: ReadonlyMap<string, ProfileLayer>, name: string, layers: ProfileLayer[]): ReturnType<typeof mergeNetworks> {
  let byName = mergeCache.get(profiles);
  if (!byName) mergeCache.set(profiles, (byName = new Map()));
  let merged = byName.get(name);
  if (!merged) byName.set(name, (merged = mergeNetworks(layers)));
  return merged;
}

/** Deep-merge the layers' `network` tables; where each value came from is read from the layers when asked. */
function mergeNetworks(layers: ProfileLayer[]): { network: Record<string, unknown> | undefined; originOf: (p: readonly PathSegment[]) => Origin | undefined } {
  let network: Record<string, unknown> | undefined;
  const owned = new Set<object>();
  for (const layer of layers) {
    const net = table(layer.body.network);
    if (!net) continue;
    if (!network) owned.add((network = {}));
    mergeInto(network, net, true, owned);
  }
  const cache = new Map<string, Origin>();
  return {
    network,
    originOf: (p) => {
      const key = p.join('\u0000');
      const hit = cache.get(key);
      if (hit) return hit;
      const origin = originIn(layers, p);
      if (origin) cache.set(key, origin);
      return origin;
    },
  };
}

/**
 * The layer that last wrote the longest written prefix of `p` (values inside arrays are not
 * recorded one by one), and `p` with that prefix's keys as that layer wrote them. #8: walked on
 * demand instead of recorded while merging (a node and a Map per merged key, for a few lookups).
 */
function originIn(layers: readonly ProfileLayer[], p: readonly PathSegment[]): Origin | undefined {
  // Each layer's table at the walked prefix (undefined once the layer has no table there).
  const at: (Record<string, unknown> | undefined)[] = layers.map((l) => table(l.body.network));
  let owner: ProfileLayer | undefined;
  const written: PathSegment[] = [];
  for (let depth = 0; depth < p.length; depth++) {
    const segment = p[depth];
    if (typeof segment !== 'string') break; // merged tables have string keys only
    const domains = depth === 1 && p[0] === 'domains';
    let last = -1;
    let lastRaw = segment;
    for (let i = 0; i < layers.length; i++) {
      const t = at[i];
      const raw = t === undefined ? undefined : domains ? domainRawKeys(t).get(segment) : Object.hasOwn(t, segment) ? segment : undefined;
      at[i] = raw === undefined ? undefined : table(t![raw]);
      if (raw === undefined) continue;
      last = i;
      lastRaw = raw;
    }
    if (last < 0) break;
    owner = layers[last];
    written.push(lastRaw);
  }
  if (!owner) return undefined;
  return originAt(owner.doc, ['permissions', owner.name, 'network', ...written, ...p.slice(written.length)]);
}

const rawKeysCache = new WeakMap<Record<string, unknown>, Map<string, string>>();

/** A layer's `domains` table: normalised pattern → the key as written that the merge keeps. */
function domainRawKeys(domains: Record<string, unknown>): Map<string, string> {
  let keys = rawKeysCache.get(domains);
  if (!keys) rawKeysCache.set(domains, (keys = new Map(normalisedDomainEntries(domains).map(([key, rawKey]) => [key, rawKey]))));
  return keys;
}

/**
 * Copy-on-write (#8): a table only one layer writes is the layer's own, shared (the merged network
 * is read-only, like the documents); a table a later layer writes into is copied first.
 */
function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>, top: boolean, owned: Set<object>): void {
  for (const key in src) {
    const v = src[key];
    const domains = key === 'domains' && top ? table(v) : undefined;
    if (domains) {
      const normalised = Object.fromEntries(normalisedDomainEntries(domains).map(([k, , x]) => [k, x]));
      owned.add(normalised);
      mergeTable(target, key, normalised, owned);
    } else mergeTable(target, key, v, owned);
  }
}

function mergeTable(target: Record<string, unknown>, key: string, v: unknown, owned: Set<object>): void {
  const sub = table(v);
  const prev = sub ? table(target[key]) : undefined;
  if (!sub || !prev) {
    target[key] = v;
    return;
  }
  let next = prev;
  if (!owned.has(prev)) owned.add((next = { ...prev }));
  target[key] = next;
  mergeInto(next, sub, false, owned);
}

/** [merged key, key as written, value] */
type Entry = [string, string, unknown];

/**
 * One layer's `domains` table keyed by normalised pattern, so `Example.COM.` and `example.com` are
 * one key when layers merge. Two spellings of one host in one table: the stronger permission wins.
 */
function normalisedDomainEntries(src: Record<string, unknown>): Entry[] {
  const out = new Map<string, Entry>();
  for (const [rawKey, v] of Object.entries(src)) {
    const key = normalizeDomainKey(rawKey);
    const prev = out.get(key);
    if (!prev || (v === 'deny' && prev[2] !== 'deny')) out.set(key, [key, rawKey, v]);
  }
  return [...out.values()];
}
