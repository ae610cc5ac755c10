// The effective policy as a reader needs it: every setting, domain entry, hook and action the
// proxy would enforce, each with where it comes from (file:line, layer), and every entry that is
// written but inert, with why. Built on resolveProfile() + effectivePolicy(): the proxy's own model.
import { basename } from 'node:path';
import type { LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { DomainSet, parseDomainPattern } from '../match/domains';
import { normalizeHost } from '../match/host';
import { normalizeDomainKey } from '../lower/domainKey';
import { effectivePolicy, type DomainRule, type EffectivePolicy, type HookRule } from './effective';
import { originAt, resolveProfile, type Origin, type ResolvedProfile } from '../lower/resolve';
import { table } from '../toml/values';
import { inMitm } from '../model/keyPaths';

type Layer = 'built-in' | 'parent profile' | 'user' | 'managed';
export type EntryKind = 'setting' | 'domain' | 'hook' | 'action' | 'header_injection' | 'unix_socket';

interface Source {
  layer: Layer;
  file?: string;
  /** 1-based. */
  line?: number;
  /** The profile a config value was written in (for `parent profile`). */
  profile?: string;
}

export interface EffectiveEntry {
  kind: EntryKind;
  key: string;
  value: string;
  source: Source;
  /** Why this written entry has no effect; absent for entries in force. */
  inert?: string;
}

export interface EffectiveReport {
  profile: string;
  /** How the profile was chosen: `file:line`, `--profile`, or `default`. */
  selectedBy: string;
  state: EffectivePolicy['state'];
  mode: EffectivePolicy['mode'];
  entries: EffectiveEntry[];
}

/** Short `file:line` for reasons (the entry's own source keeps the full path). */
const at = (o: Origin | undefined) => (o ? `${basename(o.file)}:${o.line}` : 'a built-in default');

/** Report for the documents' selected (or the given) profile; undefined when no profile resolves. */
export function effectiveReport(docs: { config?: LoadedDocument; requirements?: LoadedDocument }, profileName?: string): EffectiveReport | undefined {
  const resolved = resolveProfile({ ...docs, ...(profileName ? { profile: profileName } : {}) });
  if (!resolved.profile) return undefined;
  return buildReport(resolved.profile, docs.requirements);
}

function sourceOf(o: Origin | undefined, profile: ResolvedProfile): Source {
  if (!o) return { layer: 'built-in' };
  if (o.kind === 'requirements') return { layer: 'managed', file: o.file, line: o.line };
  const written = typeof o.path[1] === 'string' && o.path[0] === 'permissions' ? o.path[1] : undefined;
  const layer: Layer = written && written !== profile.name ? 'parent profile' : 'user';
  return { layer, file: o.file, line: o.line, ...(written ? { profile: written } : {}) };
}

function buildReport(profile: ResolvedProfile, requirements: LoadedDocument | undefined): EffectiveReport {
  const eff = effectivePolicy(profile, requirements);
  const entries: EffectiveEntry[] = [];
  const push = (kind: EntryKind, key: string, value: string, o: Origin | undefined, inert?: string) =>
    entries.push({ kind, key, value, source: sourceOf(o, profile), ...(inert ? { inert } : {}) });
  const reqNet = table(requirements?.value?.experimental_network);
  const reqOrigin = (p: PathSegment[]) => (requirements ? originAt(requirements, ['experimental_network', ...p]) : undefined);
  const net = profile.network ?? {};

  settings(eff, profile, reqNet, reqOrigin, push);
  domains(eff, profile, push);
  hooks(eff, push);
  for (const a of eff.actions.values()) {
    const used = eff.hooks.some((h) => h.actions.includes(a.name));
    const parts = [a.strip.length ? `strip ${a.strip.join(', ')}` : '', ...a.inject.map((i) => `inject ${i.name} from ${!i.secret ? '?' : 'envVar' in i.secret ? `$${i.secret.envVar}` : i.secret.file}`)].filter(Boolean);
    push('action', a.name, parts.join('; ') || '(no operations)', a.origin, used ? undefined : 'no hook uses this action');
  }
  eff.headerInjections.forEach((h) => push('header_injection', h.host, `${h.methods.join(', ') || 'any method'} ${h.pathPrefixes.join(', ') || '/'}: set ${h.headers.map(([k]) => k).join(', ')}`, h.origin));
  eff.unixSockets.forEach((s) => push('unix_socket', s.path, s.permission, s.origin));
  overriddenByChild(profile, net, push);
  return {
    profile: eff.profile,
    selectedBy: typeof profile.selectedBy === 'object' ? `${profile.selectedBy.file}:${profile.selectedBy.line}` : profile.selectedBy === 'option' ? '--profile' : 'default',
    state: eff.state, mode: eff.mode, entries,
  };
}

type Push = (kind: EntryKind, key: string, value: string, o: Origin | undefined, inert?: string) => void;

const FLAGS: [key: string, pick: (e: EffectivePolicy) => boolean | string | undefined, managedToo: boolean][] = [
  ['allow_local_binding', (e) => e.allowLocalBinding, true],
  ['allow_upstream_proxy', (e) => e.allowUpstreamProxy, true],
  ['enable_socks5', (e) => e.enableSocks5, false],
  ['enable_socks5_udp', (e) => e.enableSocks5Udp, false],
  ['dangerously_allow_non_loopback_proxy', (e) => e.dangerouslyAllowNonLoopbackProxy, true],
  ['dangerously_allow_all_unix_sockets', (e) => e.dangerouslyAllowAllUnixSockets, true],
  ['proxy_url', (e) => e.proxyUrl, false],
  ['socks_url', (e) => e.socksUrl, false],
];

function settings(eff: EffectivePolicy, profile: ResolvedProfile, reqNet: Record<string, unknown> | undefined, reqOrigin: (p: PathSegment[]) => Origin | undefined, push: Push): void {
  const net = profile.network ?? {};
  const o = (k: string) => profile.originOf([k]);
  const enabledOrigin = eff.stateOrigin;
  push('setting', 'enabled', eff.state === 'unrestricted' ? 'no proxy (unsandboxed)' : String(eff.state === 'enabled'), enabledOrigin);
  if (net.enabled !== undefined && enabledOrigin?.kind === 'requirements') push('setting', 'enabled', String(net.enabled), o('enabled'), `overwritten by the managed value at ${at(enabledOrigin)}`);
  push('setting', 'mode', eff.mode, eff.modeOrigin);
  for (const [key, pick, managedToo] of FLAGS) {
    const managed = managedToo && reqNet?.[key] !== undefined;
    const value = pick(eff);
    if (value === undefined) continue;
    const origin = managed ? reqOrigin([key]) : net[key] !== undefined ? o(key) : undefined;
    push('setting', key, String(value), origin);
    if (managed && net[key] !== undefined) push('setting', key, String(net[key]), o(key), `overwritten by the managed value at ${at(origin)}`);
  }
  if (reqNet?.managed_allowed_domains_only !== undefined) push('setting', 'managed_allowed_domains_only', String(eff.managedAllowedDomainsOnly), reqOrigin(['managed_allowed_domains_only']));
}

function domains(eff: EffectivePolicy, profile: ResolvedProfile, push: Push): void {
  const active = eff.domains;
  const deny = new DomainSet(active.filter((d) => d.permission === 'deny').map((d) => ({ pattern: d.pattern, value: d })));
  const managedAllow = new Map(active.filter((d) => d.managed && d.permission === 'allow').map((d) => [normalizeDomainKey(d.pattern), d]));
  for (const d of active) push('domain', d.pattern, d.permission, d.origin, d.permission === 'allow' ? deniedBy(d, deny) : undefined);
  // Written user entries the merge left out.
  const written = Object.entries(table(profile.network?.domains) ?? {}).filter((e): e is [string, 'allow' | 'deny'] => e[1] === 'allow' || e[1] === 'deny');
  for (const [pattern, permission] of written) {
    const origin = profile.originOf(['domains', pattern]);
    if (active.some((d) => !d.managed && normalizeDomainKey(d.pattern) === normalizeDomainKey(pattern) && d.permission === permission)) continue;
    push('domain', pattern, permission, origin, whyDropped(eff, permission, managedAllow.get(normalizeDomainKey(pattern))));
  }
}

/** An allow entry for one host that a deny entry also matches: deny wins (upstream order). */
function deniedBy(rule: DomainRule, deny: DomainSet<DomainRule>): string | undefined {
  const parsed = parseDomainPattern(rule.pattern);
  const host = parsed.ok && parsed.kind === 'exact' ? parsed.normalized : undefined;
  const hit = host ? deny.match(host) : deny.exactEntry(normalizeDomainKey(rule.pattern))?.value;
  if (!hit) return undefined;
  const who = hit.managed ? 'managed deny' : 'deny';
  return `overridden by ${who} \`${hit.pattern}\` at ${at(hit.origin)} (deny wins)`;
}

function whyDropped(eff: EffectivePolicy, permission: 'allow' | 'deny', managedTwin: DomainRule | undefined): string {
  if (eff.state === 'unrestricted') return 'the profile runs without the network proxy (unsandboxed)';
  if (!eff.sandboxed) return 'unsandboxed session: only the managed domains apply';
  if (managedTwin) return `the same entry is managed at ${at(managedTwin.origin)}`;
  if (permission === 'allow' && eff.managedAllowedDomainsOnly) return 'dropped: managed_allowed_domains_only = true lets only managed allows through';
  return 'dropped by the managed requirements';
}

function hooks(eff: EffectivePolicy, push: Push): void {
  eff.hooks.forEach((h, i) => {
    const shadow = eff.hooks.slice(0, i).find((earlier) => covers(earlier, h));
    const match = `${h.methods.join(', ') || 'any method'} ${h.pathPrefixes.join(', ') || '/'}`;
    push('hook', h.name, `${h.host}: ${match} → ${h.actions.join(', ') || '(no action)'}`, h.origin,
      shadow ? `shadowed: hook \`${shadow.name}\` (${at(shadow.origin)}) matches every request this one does and comes first` : undefined);
  });
}

/** Whether `a` (earlier) matches every request `b` matches: same host, no extra constraints. */
function covers(a: HookRule, b: HookRule): boolean {
  if (normalizeHost(a.host) !== normalizeHost(b.host) || a.query.length || a.headers.length) return false;
  const methods = a.methods.map((m) => m.toUpperCase());
  if (methods.length && (!b.methods.length || !b.methods.every((m) => methods.includes(m.toUpperCase())))) return false;
  const plain = (p: string) => !/[*?[\]{}]/.test(p);
  if (!a.pathPrefixes.every(plain) || !b.pathPrefixes.every(plain)) return false;
  if (!a.pathPrefixes.length) return true;
  return b.pathPrefixes.length > 0 && b.pathPrefixes.every((p) => a.pathPrefixes.some((q) => p.startsWith(q)));
}

/** Values written in a parent profile that a child overrides (the merge keeps only the last). */
function overriddenByChild(profile: ResolvedProfile, net: Record<string, unknown>, push: Push): void {
  for (const layer of profile.layers) {
    const own = table(layer.body.network);
    if (!own) continue;
    walkLeaves(own, [], (rel, value) => {
      const key = rel[0] === 'domains' && typeof rel[1] === 'string' ? ['domains', normalizeDomainKey(rel[1])] : rel;
      const winner = profile.originOf(key);
      const mine = originAt(layer.doc, ['permissions', layer.name, 'network', ...rel]);
      if (!winner || (winner.file === mine.file && winner.line === mine.line)) return;
      if (valueAt(net, key) === undefined) return;
      const mitm = inMitm(rel);
      const kind: EntryKind = rel[0] === 'domains' ? 'domain' : mitm ? (mitm[0] === 'hooks' ? 'hook' : 'action') : 'setting';
      push(kind, rel.join('.'), JSON.stringify(value), mine, `overridden by profile \`${winnerProfile(winner)}\` at ${at(winner)}`);
    });
  }
}

function winnerProfile(o: Origin): string {
  return o.path[0] === 'permissions' && typeof o.path[1] === 'string' ? o.path[1] : o.kind;
}

function walkLeaves(t: Record<string, unknown>, rel: string[], visit: (rel: string[], value: unknown) => void): void {
  for (const [k, v] of Object.entries(t)) {
    const sub = table(v);
    if (sub) walkLeaves(sub, [...rel, k], visit);
    else visit([...rel, k], v);
  }
}

function valueAt(t: Record<string, unknown>, path: readonly PathSegment[]): unknown {
  let v: unknown = t;
  for (const seg of path) v = table(v)?.[String(seg)];
  return v;
}
