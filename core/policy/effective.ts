// The effective network policy of a session: the resolved profile's network, with
// requirements.toml's `[experimental_network]` merged in as config-schema.md D.4 describes.
import type { LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { normalizeDomainKey } from '../lower/domainKey';
import { originAt, type Origin, type ResolvedProfile } from '../lower/resolve';
import { bool, strings, table } from '../toml/values';
import type { PolicyDiagnostic } from '../diagnostics';
import { checkActionRefs, lowerMitm, type LoweredAction, type LoweredHook, type LoweredInject } from '../lower/mitm';
import { mitmPath } from '../model/keyPaths';

type NetworkState = 'enabled' | 'disabled' | 'unrestricted';

export interface DomainRule { pattern: string; permission: 'allow' | 'deny'; origin?: Origin; managed: boolean }
export interface HookRule extends LoweredHook { origin?: Origin }
interface InjectRule extends LoweredInject { origin?: Origin; secretOrigin?: Origin }
interface ActionRule extends Omit<LoweredAction, 'inject'> { inject: InjectRule[]; origin?: Origin }
/** A lowering diagnostic of the merged profile, placed where a layer wrote it. */
export interface PolicyProblem extends PolicyDiagnostic { origin?: Origin }
interface HeaderInjectionRule { host: string; methods: string[]; pathPrefixes: string[]; headers: [string, string][]; origin?: Origin }

export interface EffectivePolicy {
  profile: string;
  managedProfile: boolean;
  state: NetworkState;
  /** Why the state is what it is (for `proxy_disabled` explanations). */
  stateOrigin?: Origin;
  sandboxed: boolean;
  mode: 'full' | 'limited';
  modeOrigin?: Origin;
  allowLocalBinding: boolean;
  allowUpstreamProxy: boolean;
  enableSocks5: boolean;
  enableSocks5Udp: boolean;
  dangerouslyAllowNonLoopbackProxy: boolean;
  dangerouslyAllowAllUnixSockets: boolean;
  proxyUrl?: string;
  socksUrl?: string;
  managedAllowedDomainsOnly: boolean;
  domains: DomainRule[];
  unixSockets: { path: string; permission: 'allow' | 'deny'; origin?: Origin }[];
  hooks: HookRule[];
  actions: Map<string, ActionRule>;
  headerInjections: HeaderInjectionRule[];
  /** What lowering the merged profile reported; an error means the policy must not run. */
  problems: PolicyProblem[];
}


export function effectivePolicy(profile: ResolvedProfile, requirements: LoadedDocument | undefined): EffectivePolicy {
  const net = profile.network ?? {};
  const o = (p: PathSegment[]) => profile.originOf(p);
  const reqNet = table(requirements?.value?.experimental_network);
  const reqOrigin = (p: PathSegment[]) => (requirements ? originAt(requirements, ['experimental_network', ...p]) : undefined);
  const unrestricted = profile.builtin === ':danger-full-access';
  const sandboxed = !unrestricted;

  // Network state: a custom profile with `enabled = true`; danger-full-access has no proxy at all.
  let state: NetworkState = unrestricted ? 'unrestricted' : net.enabled === true ? 'enabled' : 'disabled';
  let stateOrigin = net.enabled !== undefined ? o(['enabled']) : undefined;
  const managedEnabled = bool(reqNet?.enabled);
  if (managedEnabled === false && state === 'enabled') {
    state = 'disabled';
    stateOrigin = reqOrigin(['enabled']);
  }
  // A managed `enabled = true` forces the proxy on for sandboxed sessions, and for unsandboxed ones with managed rules.
  if (managedEnabled === true && reqNet && (state === 'disabled' || unrestricted)) {
    state = 'enabled';
    stateOrigin = reqOrigin(['enabled']);
  }

  const pick = (key: string, fallback: boolean): boolean => bool(reqNet?.[key]) ?? bool(net[key]) ?? fallback;
  const policy: EffectivePolicy = {
    profile: profile.name,
    managedProfile: profile.managed,
    state,
    ...(stateOrigin ? { stateOrigin } : {}),
    sandboxed,
    mode: net.mode === 'limited' ? 'limited' : 'full',
    ...(net.mode !== undefined && o(['mode']) ? { modeOrigin: o(['mode'])! } : {}),
    allowLocalBinding: pick('allow_local_binding', false),
    allowUpstreamProxy: pick('allow_upstream_proxy', true),
    enableSocks5: bool(net.enable_socks5) ?? true,
    enableSocks5Udp: bool(net.enable_socks5_udp) ?? true,
    dangerouslyAllowNonLoopbackProxy: pick('dangerously_allow_non_loopback_proxy', false),
    dangerouslyAllowAllUnixSockets: pick('dangerously_allow_all_unix_sockets', false),
    ...(typeof net.proxy_url === 'string' ? { proxyUrl: net.proxy_url } : {}),
    ...(typeof net.socks_url === 'string' ? { socksUrl: net.socks_url } : {}),
    managedAllowedDomainsOnly: bool(reqNet?.managed_allowed_domains_only) ?? false,
    domains: [],
    unixSockets: [],
    hooks: [],
    actions: new Map(),
    headerInjections: [],
    problems: [],
  };
  if (typeof reqNet?.http_port === 'number') policy.proxyUrl = `http://127.0.0.1:${reqNet.http_port}`;
  if (typeof reqNet?.socks_port === 'number') policy.socksUrl = `http://127.0.0.1:${reqNet.socks_port}`;

  // Domains: user entries, then the managed ones (D.4).
  const userDomains: DomainRule[] = Object.entries(table(net.domains) ?? {})
    .filter((e): e is [string, 'allow' | 'deny'] => e[1] === 'allow' || e[1] === 'deny')
    .map(([pattern, permission]) => ({ pattern, permission, managed: false, ...(o(['domains', pattern]) ? { origin: o(['domains', pattern])! } : {}) }));
  const managedDomains = reqNet ? managedDomainRules(reqNet, reqOrigin) : [];
  const managedAllows = managedDomains.filter((d) => d.permission === 'allow');
  const managedDenies = managedDomains.filter((d) => d.permission === 'deny');
  const denylistOnly = unrestricted && bool(reqNet?.danger_full_access_denylist_only) === true;

  if (!reqNet) {
    policy.domains = userDomains;
  } else if (denylistOnly) {
    // Historical (PR #16946): unsandboxed sessions allow everything but the managed denies.
    policy.state = 'enabled';
    policy.domains = [{ pattern: '*', permission: 'allow', managed: true, ...(reqOrigin(['danger_full_access_denylist_only']) ? { origin: reqOrigin(['danger_full_access_denylist_only'])! } : {}) }, ...managedDenies];
    policy.allowLocalBinding = true;
    policy.allowUpstreamProxy = true;
    policy.dangerouslyAllowAllUnixSockets = true;
  } else if (!sandboxed) {
    policy.domains = managedDomains;
  } else if (policy.managedAllowedDomainsOnly) {
    policy.domains = [...managedAllows, ...managedDenies, ...userDomains.filter((d) => d.permission === 'deny')];
  } else {
    const seen = new Set(managedAllows.map((d) => normalizeDomainKey(d.pattern)));
    const userAllows = userDomains.filter((d) => d.permission === 'allow' && !seen.has(normalizeDomainKey(d.pattern)));
    policy.domains = [...managedAllows, ...userAllows, ...managedDenies, ...userDomains.filter((d) => d.permission === 'deny')];
  }
  if (unrestricted && policy.state === 'unrestricted') policy.domains = [];

  // Unix sockets: managed allow paths replace the user's when set.
  const managedSockets = table(reqNet?.unix_sockets) ?? legacySockets(reqNet);
  const socketSource = managedSockets ?? table(net.unix_sockets) ?? {};
  for (const [path, permission] of Object.entries(socketSource)) {
    if (permission === 'allow' || permission === 'deny') {
      const origin = managedSockets ? reqOrigin(['unix_sockets', path]) : o(['unix_sockets', path]);
      policy.unixSockets.push({ path, permission, ...(origin ? { origin } : {}) });
    }
  }

  collectMitm(net, o, policy);
  if (reqNet) collectHeaderInjections(reqNet, reqOrigin, policy);
  return policy;
}

function managedDomainRules(reqNet: Record<string, unknown>, at: (p: PathSegment[]) => Origin | undefined): DomainRule[] {
  const out: DomainRule[] = [];
  const map = table(reqNet.domains);
  if (map) {
    for (const [pattern, permission] of Object.entries(map)) {
      if (permission === 'allow' || permission === 'deny') out.push({ pattern, permission, managed: true, ...(at(['domains', pattern]) ? { origin: at(['domains', pattern])! } : {}) });
    }
    return out;
  }
  // Legacy lists: allow first, then deny, so a host in both ends up denied.
  strings(reqNet.allowed_domains).forEach((pattern, i) => out.push({ pattern, permission: 'allow', managed: true, ...(at(['allowed_domains', i]) ? { origin: at(['allowed_domains', i])! } : {}) }));
  strings(reqNet.denied_domains).forEach((pattern, i) => out.push({ pattern, permission: 'deny', managed: true, ...(at(['denied_domains', i]) ? { origin: at(['denied_domains', i])! } : {}) }));
  return out;
}

function legacySockets(reqNet: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const list = strings(reqNet?.allow_unix_sockets);
  return list.length ? Object.fromEntries(list.map((p) => [p, 'allow'])) : undefined;
}

function collectMitm(net: Record<string, unknown>, o: (p: PathSegment[]) => Origin | undefined, policy: EffectivePolicy): void {
  // The same lowering the editor runs per layer, here on the merged table; paths are relative to it.
  const emit = (d: PolicyDiagnostic) => {
    const origin = o(d.path) ?? o(d.path.slice(0, 3));
    policy.problems.push({ ...d, ...(origin ? { origin, path: origin.path, file: origin.kind } : {}) });
  };
  const lowered = lowerMitm(net, [], emit);
  checkActionRefs(net, emit);
  for (const [name, action] of lowered.actions) {
    const inject = action.inject.map((inj, i): InjectRule => {
      const at = [...actionPath(name), 'inject_request_headers', i];
      const origin = o(at);
      const secretOrigin = o([...at, inj.secret && 'envVar' in inj.secret ? 'secret_env_var' : 'secret_file']);
      return { ...inj, ...(secretOrigin ? { secretOrigin } : {}), ...(origin ? { origin } : {}) };
    });
    const origin = o(actionPath(name));
    policy.actions.set(name, { ...action, inject, ...(origin ? { origin } : {}) });
  }
  for (const hook of lowered.hooks) {
    const origin = o(mitmPath([], 'hooks', hook.name));
    policy.hooks.push({ ...hook, ...(origin ? { origin } : {}) });
  }
}

const actionPath = (name: string): PathSegment[] => mitmPath([], 'actions', name);

function collectHeaderInjections(reqNet: Record<string, unknown>, at: (p: PathSegment[]) => Origin | undefined, policy: EffectivePolicy): void {
  const list = Array.isArray(reqNet.header_injections) ? reqNet.header_injections : [];
  list.forEach((raw, i) => {
    const h = table(raw);
    if (!h || typeof h.host !== 'string') return;
    const origin = at(['header_injections', i]);
    policy.headerInjections.push({
      host: h.host, methods: strings(h.methods), pathPrefixes: strings(h.path_prefixes),
      headers: Object.entries(table(h.headers) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ...(origin ? { origin } : {}),
    });
  });
}
