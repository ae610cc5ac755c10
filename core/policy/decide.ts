// decide(): what the proxy does with one request — the single judge shared by the proxy,
// `explain`, and the decision log. Synchronous and allocation-light; DNS is the caller's job
// (`needsResolution` tells when it is needed) so this stays pure and testable.
import { isLocalLiteral, isNonPublicAddress, literalAddress, parseIp } from '../match/address';
import { normalizeHost } from '../match/host';
import { hookMatches, lazyQuery } from '../match/hooks';
import type { CompiledHook, CompiledPolicy } from './compile';
import type { DomainRule } from './effective';
import { LIMITED_METHODS, messageFor, proxyErrorFor, type Reason } from './reasons';
import type { Origin } from '../lower/resolve';

/** Result of resolving a host name: its addresses, or why there are none (fail closed). */
export type Resolution =
  | { addresses: string[] }
  /** `code`: the resolver's error code (ENOTFOUND, EAI_AGAIN…), for the explanation. */
  | { error: 'unresolvable' | 'timeout'; code?: string }
  | { assumedPublic: true };

/** Why the DNS step blocked a name: the lookup failed, or it answered a non-public address. */
type DnsBlock = { error: string; allowlisted: boolean } | { nonPublic: string };

type Protocol = 'http' | 'https_connect' | 'https' | 'socks5_tcp' | 'socks5_udp';

export type DecisionRequest =
  | { kind: 'connect'; authority: string; resolution?: Resolution }
  | {
      kind: 'http';
      method: string;
      /** Host and port from the absolute-form target (port: explicit or the scheme default). */
      host: string;
      port: number;
      scheme: 'http' | 'https' | string;
      /** Whether the target carried an explicit port. */
      explicitPort?: boolean;
      path: string;
      query: string;
      hostHeader?: string;
      headers?: HeaderLookup;
      resolution?: Resolution;
    }
  | {
      kind: 'inner';
      /** Normalised host of the CONNECT tunnel. */
      tunnelHost: string;
      port: number;
      method: string;
      path: string;
      query: string;
      /** Host header (or :authority); undefined when absent. */
      hostHeader?: string;
      headers?: HeaderLookup;
      resolution?: Resolution;
    }
  | { kind: 'socks'; host: string; port: number; udp?: boolean; resolution?: Resolution };

/** Header values by lower-case name (all values). */
export type HeaderLookup = (lowerName: string) => string[] | undefined;

type Source = 'baseline_policy' | 'mode_guard' | 'proxy_state';

export interface Decision {
  decision: 'allow' | 'deny';
  /** Upstream reason string for blocks; null when allowed. */
  reason: Reason | null;
  proxyError: string | null;
  /** What the proxy sends: 200 (allowed / tunnel established), 403, 400, 405, 503… */
  status: number;
  /** Body text for blocks and errors. */
  message: string | null;
  mitm: boolean;
  hook: string | null;
  headers: { strip: string[]; inject: string[] };
  rule: Origin | null;
  source: Source;
  protocol: Protocol;
  host: string;
  port: number;
  /** The host needs a DNS check before it can be judged: resolve and call again with `resolution`. */
  needsResolution?: boolean;
  /** Learning mode: allowed although the allowlist would deny it (core/proxy/learn.ts). */
  wouldDeny?: boolean;
  /** Set when the local-address check blocked a name because of its DNS answer (or lack of one). */
  dns?: DnsBlock;
  /** Internal: the hook that matched, for the proxy to apply its actions. */
  appliedHook?: CompiledHook;
}

const NO_HEADERS = { strip: [] as string[], inject: [] as string[] };

// Decisions are extended with Object.assign, not `{ ...base, more }`: V8 (Node 20) gives every
// object made by a leading spread plus new keys a map of its own (~5 µs each, and megamorphic
// property access wherever decisions are read). Same keys in the same order either way.
function base(protocol: Protocol, host: string, port: number): Omit<Decision, 'decision' | 'reason' | 'proxyError' | 'status' | 'message' | 'source'> {
  return { mitm: false, hook: null, headers: NO_HEADERS, rule: null, protocol, host, port };
}

/** A block with upstream's status line, `x-proxy-error` and message for `reason`. */
export function block(protocol: Protocol, host: string, port: number, reason: Reason, source: Source, rule: Origin | null, status = 403): Decision {
  return Object.assign(base(protocol, host, port), { decision: 'deny' as const, reason, proxyError: proxyErrorFor(reason), status, message: messageFor(reason), source, rule });
}

function badRequest(protocol: Protocol, host: string, port: number, status: number, message: string): Decision {
  return Object.assign(base(protocol, host, port), { decision: 'deny' as const, reason: null, proxyError: null, status, message, source: 'proxy_state' as const });
}

function disabled(policy: CompiledPolicy, protocol: Protocol, host: string, port: number): Decision {
  return Object.assign(base(protocol, host, port), {
    decision: 'deny' as const, reason: 'proxy_disabled' as const, proxyError: null, status: 503,
    message: messageFor('proxy_disabled'), source: 'proxy_state' as const, rule: policy.effective.stateOrigin ?? null,
  });
}

function allowed(protocol: Protocol, host: string, port: number, rule: Origin | null, extra: Partial<Decision> = {}): Decision {
  return Object.assign(base(protocol, host, port), { decision: 'allow' as const, reason: null, proxyError: null, status: 200, message: null, source: 'baseline_policy' as const, rule }, extra);
}

type HostVerdict =
  | { ok: true; rule: DomainRule | null }
  | { ok: false; reason: 'denied' | 'not_allowed' | 'not_allowed_local'; rule: DomainRule | null; dns?: DnsBlock }
  | { ok: 'resolve' };

/** np/runtime.rs host_blocked: deny first, then local/private protection, then the allowlist. */
export function judgeHost(policy: CompiledPolicy, host: string, resolution: Resolution | undefined): HostVerdict {
  if (!host) return { ok: false, reason: 'not_allowed', rule: null };
  const denied = policy.deny.matchWithZoneFallback(host);
  if (denied) return { ok: false, reason: 'denied', rule: denied };
  if (!policy.effective.allowLocalBinding) {
    if (isLocalLiteral(host)) {
      // Only an exact, wildcard-free allow entry admits a local literal.
      const exact = policy.allow.exactEntryNames(host);
      if (!exact) return { ok: false, reason: 'not_allowed_local', rule: null };
      return { ok: true, rule: exact };
    }
    if (!parseIp(host)) {
      // A WHATWG IPv4 spelling (`127.1`, `0x7f.0.0.1`) is no Rust literal, so upstream sends it
      // to the resolver, which reads it as that address: judge the address, with no DNS step.
      const answer = spelledAddress(host) ?? resolution;
      if (!answer) return { ok: 'resolve' };
      // Upstream fails closed with not_allowed_local; `dns` keeps the cause for the explanation.
      const failed = (error: string): HostVerdict => ({ ok: false, reason: 'not_allowed_local', rule: null, dns: { error, allowlisted: !!policy.allow.matchWithZoneFallback(host) } });
      if ('error' in answer) return failed(answer.code ?? (answer.error === 'timeout' ? 'ETIMEOUT' : 'ENOTFOUND'));
      if ('addresses' in answer) {
        if (answer.addresses.length === 0) return failed('ENODATA');
        // An address we cannot parse counts as local: fail closed.
        const local = answer.addresses.find((a) => isNonPublicAddress(a) !== false);
        if (local !== undefined) return { ok: false, reason: 'not_allowed_local', rule: null, dns: { nonPublic: local } };
      }
    }
  }
  const allow = policy.allow.matchWithZoneFallback(host);
  if (!allow) return { ok: false, reason: 'not_allowed', rule: null };
  return { ok: true, rule: allow };
}

function spelledAddress(host: string): Resolution | undefined {
  const literal = literalAddress(host);
  if (literal === null) return undefined;
  return literal === 'invalid' ? { error: 'unresolvable' } : { addresses: [literal] };
}


export function decide(policy: CompiledPolicy, req: DecisionRequest): Decision {
  switch (req.kind) {
    case 'connect':
      return decideConnect(policy, req);
    case 'http':
      return decideHttp(policy, req);
    case 'inner':
      return decideInner(policy, req);
    case 'socks':
      return decideSocks(policy, req);
  }
}

function hostDecision(policy: CompiledPolicy, protocol: Protocol, host: string, port: number, resolution: Resolution | undefined): Decision | { rule: DomainRule | null } {
  const v = judgeHost(policy, host, resolution);
  if (v.ok === 'resolve') return Object.assign(block(protocol, host, port, 'not_allowed_local', 'baseline_policy', null), { needsResolution: true });
  if (v.ok === false) return withDns(block(protocol, host, port, v.reason, 'baseline_policy', v.rule?.origin ?? null), v.dns);
  return { rule: v.rule };
}

function withDns(d: Decision, dns: DnsBlock | undefined): Decision {
  return dns ? Object.assign({}, d, { dns }) : d;
}

function isDecision(x: Decision | { rule: DomainRule | null }): x is Decision {
  return 'decision' in x;
}

function decideConnect(policy: CompiledPolicy, req: Extract<DecisionRequest, { kind: 'connect' }>): Decision {
  const { host: rawHost, port } = splitAuthority(req.authority, 443);
  if (!req.authority.trim()) return badRequest('https_connect', '', port, 400, 'missing authority');
  const host = normalizeHost(rawHost);
  if (!host) return badRequest('https_connect', '', port, 400, 'invalid host');
  const state = policy.effective.state;
  if (state === 'disabled') return disabled(policy, 'https_connect', host, port);
  if (state === 'unrestricted') return allowed('https_connect', host, port, null);
  const h = hostDecision(policy, 'https_connect', host, port, req.resolution);
  if (isDecision(h)) return h;
  const mitm = policy.effective.mode === 'limited' || policy.hooksByHost.has(host);
  return allowed('https_connect', host, port, h.rule?.origin ?? null, { mitm });
}

function decideHttp(policy: CompiledPolicy, req: Extract<DecisionRequest, { kind: 'http' }>): Decision {
  const host = normalizeHost(req.host);
  const port = req.port;
  if (!host) return badRequest('http', '', port, 400, 'missing host');
  if (req.hostHeader !== undefined) {
    const problem = checkHostHeader(req.hostHeader, host, port, req.scheme);
    if (problem) return badRequest('http', host, port, 400, problem);
  }
  const state = policy.effective.state;
  if (state === 'disabled') return disabled(policy, 'http', host, port);
  if (state === 'unrestricted') return allowed('http', host, port, null);
  const h = hostDecision(policy, 'http', host, port, req.resolution);
  if (isDecision(h)) return h;
  // np/http_proxy.rs http_plain_proxy: a hooked host always needs interception, so absolute-form
  // requests to it (http:// or https://) are refused before the method guard; hooks run only
  // inside MITM, and injected secrets never travel over cleartext.
  const hooks = policy.hooksByHost.get(host);
  if (hooks) return block('http', host, port, 'mitm_required', 'mode_guard', hooks[0]?.rule.origin ?? null);
  if (policy.effective.mode === 'limited' && !LIMITED_METHODS.has(req.method)) {
    return block('http', host, port, 'method_not_allowed', 'mode_guard', policy.effective.modeOrigin ?? null);
  }
  return allowed('http', host, port, h.rule?.origin ?? null);
}

function decideInner(policy: CompiledPolicy, req: Extract<DecisionRequest, { kind: 'inner' }>): Decision {
  const host = req.tunnelHost;
  const port = req.port;
  if (req.method === 'CONNECT') return badRequest('https', host, port, 405, 'CONNECT not supported inside MITM');
  if (req.hostHeader !== undefined) {
    const inner = normalizeHost(req.hostHeader);
    if (inner && inner !== host) return badRequest('https', host, port, 400, 'host mismatch');
  }
  if (policy.effective.state === 'unrestricted') return allowed('https', host, port, null, { mitm: true });
  // Only the local/private re-check matters inside a tunnel (allowlist edits don't close tunnels).
  const v = judgeHost(policy, host, req.resolution);
  if (v.ok === 'resolve') return Object.assign(block('https', host, port, 'not_allowed_local', 'baseline_policy', null), { mitm: true, needsResolution: true });
  if (v.ok === false && v.reason === 'not_allowed_local') return { ...withDns(block('https', host, port, 'not_allowed_local', 'baseline_policy', null), v.dns), mitm: true };
  const domainRule = v.ok === true ? v.rule : null;
  const hooks = policy.hooksByHost.get(host);
  const d = hooks ? applyHooks('https', host, port, hooks, req, domainRule) : allowed('https', host, port, domainRule?.origin ?? null);
  if (d.decision === 'allow' && policy.effective.mode === 'limited' && !LIMITED_METHODS.has(req.method)) {
    // The clamp runs after hooks: a matched write is still blocked in limited mode.
    return Object.assign(block('https', host, port, 'method_not_allowed', 'mode_guard', policy.effective.modeOrigin ?? null), { mitm: true, hook: d.hook });
  }
  return { ...d, mitm: true };
}

function applyHooks(
  protocol: Protocol,
  host: string,
  port: number,
  hooks: CompiledHook[],
  req: { method: string; path: string; query: string; headers?: HeaderLookup },
  domainRule: DomainRule | null,
): Decision {
  const query = lazyQuery(req.query);
  const headers = req.headers ?? (() => undefined);
  for (const hook of hooks) {
    const matched = hookMatches(hook.match, { method: req.method, path: req.path, query, headers });
    if (matched) {
      return allowed(protocol, host, port, hook.rule.origin ?? domainRule?.origin ?? null, {
        hook: hook.rule.name,
        headers: { strip: hook.strip, inject: hook.inject.map((i) => i.name) },
        appliedHook: hook,
      });
    }
  }
  // A hooked host default-denies requests no hook matches; point at its first hook.
  return block(protocol, host, port, 'mitm_hook_denied', 'baseline_policy', hooks[0]?.rule.origin ?? null);
}

function decideSocks(policy: CompiledPolicy, req: Extract<DecisionRequest, { kind: 'socks' }>): Decision {
  const protocol: Protocol = req.udp ? 'socks5_udp' : 'socks5_tcp';
  const host = normalizeHost(req.host);
  const port = req.port;
  if (!host) return badRequest(protocol, '', port, 400, 'invalid host');
  const eff = policy.effective;
  if (eff.state === 'disabled') return disabled(policy, protocol, host, port);
  if (eff.state === 'unrestricted') return allowed(protocol, host, port, null);
  if (req.udp) {
    if (eff.mode === 'limited') return block(protocol, host, port, 'method_not_allowed', 'mode_guard', eff.modeOrigin ?? null);
  } else if (eff.mode === 'limited' && port !== 443) {
    return block(protocol, host, port, 'method_not_allowed', 'mode_guard', eff.modeOrigin ?? null);
  }
  const h = hostDecision(policy, protocol, host, port, req.resolution);
  if (isDecision(h)) return h;
  if (req.udp) return allowed(protocol, host, port, h.rule?.origin ?? null);
  const hooked = policy.hooksByHost.get(host);
  if (hooked && port !== 443) return block(protocol, host, port, 'mitm_required', 'mode_guard', hooked[0]?.rule.origin ?? null);
  const mitm = port === 443 && (eff.mode === 'limited' || !!hooked);
  return allowed(protocol, host, port, h.rule?.origin ?? null, { mitm });
}

/** Absolute-form Host validation (proxy-behaviour.md §10). Returns the 400 message or undefined. */
function checkHostHeader(hostHeader: string, targetHost: string, targetPort: number, scheme: string): string | undefined {
  const raw = hostHeader.trim();
  if (!raw) return 'invalid Host header';
  const { host, port, explicit } = splitAuthorityStrict(raw);
  if (host === undefined) return 'invalid Host header';
  if (normalizeHost(host) !== targetHost) return 'Host header does not match request target';
  const defaultPort = scheme === 'https' ? 443 : 80;
  if (explicit) {
    if (port !== targetPort) return 'Host header does not match request target';
  } else if (targetPort !== defaultPort) {
    return 'Host header does not match request target';
  }
  return undefined;
}

/** Split `host:port`, `[v6]:port`, or a bare host; the port defaults to `defaultPort`. */
export function splitAuthority(authority: string, defaultPort: number): { host: string; port: number } {
  const a = authority.trim();
  const s = splitAuthorityStrict(a);
  if (s.host === undefined) return { host: a, port: defaultPort };
  return { host: s.host, port: s.explicit ? s.port : defaultPort };
}

function splitAuthorityStrict(a: string): { host: string | undefined; port: number; explicit: boolean } {
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    if (end < 0) return { host: undefined, port: 0, explicit: false };
    const rest = a.slice(end + 1);
    if (!rest) return { host: a.slice(0, end + 1), port: 0, explicit: false };
    if (!/^:\d{1,5}$/.test(rest)) return { host: undefined, port: 0, explicit: false };
    return { host: a.slice(0, end + 1), port: Number(rest.slice(1)), explicit: true };
  }
  const colons = a.split(':').length - 1;
  if (colons === 1) {
    const [h, p] = a.split(':') as [string, string];
    if (!/^\d{1,5}$/.test(p)) return { host: undefined, port: 0, explicit: false };
    return { host: h, port: Number(p), explicit: true };
  }
  return { host: a, port: 0, explicit: false };
}

