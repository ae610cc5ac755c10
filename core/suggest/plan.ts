// From denied requests to the smallest set of policy entries that would have allowed them:
// exact hosts, `**.domain` when several hosts of one registrable domain were seen (Public Suffix
// List via tldts, private section included so `a.github.io` and `b.github.io` stay separate), and
// hooks (method + path prefixes) for requests a hooked host refused. Never an allow for a
// local/private address, a denylisted host, or a pattern wider than one registrable domain.
import { getDomain } from 'tldts';
import { isLocalLiteral } from '../match/address';
import { normalizeHost } from '../match/host';
import type { CompiledPolicy } from '../policy/compile';
import { decide, judgeHost } from '../policy/decide';
import type { SeenRequest } from './events';

interface DomainSuggestion {
  kind: 'domain';
  /** The `domains` key to add with "allow": an exact host or `**.registrable-domain`. */
  pattern: string;
  hosts: string[];
  requests: number;
}

interface HookSuggestion {
  kind: 'hook';
  host: string;
  method: string;
  /** Exact request paths, minimal (none is a segment prefix of another). */
  paths: string[];
  requests: number;
}

export type Suggestion = DomainSuggestion | HookSuggestion;

type SkipReason = 'local_address' | 'denylisted' | 'managed_denied' | 'already_allowed' | 'not_a_policy_miss' | 'unsafe_path' | 'invalid_host';

export interface Skipped {
  host: string;
  method?: string;
  path?: string;
  /** The event's reason, or why the suggestion was withheld. */
  reason: SkipReason;
  detail: string;
  requests: number;
}

export interface SuggestPlan {
  suggestions: Suggestion[];
  skipped: Skipped[];
}

const PUBLIC = { assumedPublic: true } as const;

/** Conservative: a path the hook matcher might read two ways is never suggested (reference §0). */
function safeHookPath(path: string): boolean {
  if (!path.startsWith('/') || path.includes('\\') || path.includes('%')) return false;
  return !path.split('/').some((seg) => seg === '.' || seg === '..');
}

/** Why a host must not (or need not) be allowed, or null when an allow entry is the fix. */
function hostVerdict(policy: CompiledPolicy, host: string): { reason: SkipReason; detail: string } | null {
  if (!host || host.includes('*')) return { reason: 'invalid_host', detail: 'not a host name' };
  if (isLocalLiteral(host)) return { reason: 'local_address', detail: 'local/private addresses are never suggested' };
  const v = judgeHost(policy, host, PUBLIC);
  if (v.ok === true) return { reason: 'already_allowed', detail: `allowed by ${v.rule?.pattern ?? 'the policy'}` };
  if (v.ok === false && v.reason === 'denied') {
    const managed = v.rule?.managed ?? false;
    return { reason: managed ? 'managed_denied' : 'denylisted', detail: `denied by ${v.rule?.pattern ?? 'the denylist'}${managed ? ' (requirements)' : ''}` };
  }
  if (v.ok === false && v.reason === 'not_allowed_local') return { reason: 'local_address', detail: 'local/private addresses are never suggested' };
  return null;
}

/** Which events ask for an allow entry, which for a hook, which for nothing. */
function kindOf(r: SeenRequest): 'domain' | 'hook' | null {
  if (r.flag === 'would_deny') return 'domain';
  if (r.decision !== 'deny') return null;
  if (r.reason === 'not_allowed') return 'domain';
  if (r.reason === 'mitm_hook_denied' && r.protocol === 'https') return 'hook';
  return null;
}

/** Drops paths covered by a shorter one at a segment boundary, and duplicates. */
function minimalPaths(paths: Iterable<string>): string[] {
  const sorted = [...new Set(paths)].sort();
  const out: string[] = [];
  for (const p of sorted) {
    if (!out.some((q) => p.startsWith(q) && (q.endsWith('/') || p[q.length] === '/'))) out.push(p);
  }
  return out;
}

function addSkip(skips: Map<string, Skipped>, s: Omit<Skipped, 'requests'>): void {
  const key = `${s.reason}\0${s.host}\0${s.method ?? ''}\0${s.path ?? ''}`;
  const prev = skips.get(key);
  if (prev) prev.requests++;
  else skips.set(key, { ...s, requests: 1 });
}

export function planSuggestions(policy: CompiledPolicy, requests: readonly SeenRequest[]): SuggestPlan {
  const hostCounts = new Map<string, number>();
  const hookPaths = new Map<string, { host: string; method: string; paths: Set<string>; requests: number }>();
  const skips = new Map<string, Skipped>();
  for (const r of requests) {
    const kind = kindOf(r);
    const host = normalizeHost(r.host);
    if (!kind) {
      if (r.decision !== 'deny') continue;
      const verdict = r.reason === 'denied' || r.reason === 'not_allowed_local' ? hostVerdict(policy, host) : null;
      if (verdict) addSkip(skips, { host, ...verdict });
      else if (r.reason === 'not_allowed_local') addSkip(skips, { host, reason: 'local_address', detail: 'it resolved to a local/private address' });
      else addSkip(skips, { host, reason: 'not_a_policy_miss', detail: `denied as ${r.reason ?? 'a malformed request'}: not something an allow entry changes` });
      continue;
    }
    const verdict = hostVerdict(policy, host);
    if (kind === 'domain') {
      if (verdict) addSkip(skips, { host, ...verdict });
      else hostCounts.set(host, (hostCounts.get(host) ?? 0) + 1);
      continue;
    }
    const method = (r.method ?? '').toUpperCase();
    const path = (r.path ?? '/').split('?')[0] || '/';
    if (verdict && verdict.reason !== 'already_allowed') {
      addSkip(skips, { host, method, path, ...verdict });
      continue;
    }
    // The hooked host is not allowed either: the hook needs the host allowed too.
    if (!verdict) hostCounts.set(host, (hostCounts.get(host) ?? 0) + 1);
    if (!method || !safeHookPath(path)) {
      addSkip(skips, { host, method, path, reason: 'unsafe_path', detail: 'the path is ambiguous to hook matching; add a hook by hand' });
      continue;
    }
    const now = decide(policy, { kind: 'inner', tunnelHost: host, port: r.port || 443, method, path, query: '', resolution: PUBLIC });
    if (now.decision === 'allow') {
      addSkip(skips, { host, method, path, reason: 'already_allowed', detail: `matched by hook ${now.hook ?? ''}`.trim() });
      continue;
    }
    const key = `${host} ${method}`;
    const h = hookPaths.get(key) ?? { host, method, paths: new Set<string>(), requests: 0 };
    h.paths.add(path);
    h.requests++;
    hookPaths.set(key, h);
  }
  const suggestions: Suggestion[] = [...domainSuggestions(hostCounts)];
  for (const h of [...hookPaths.values()].sort((a, b) => a.host.localeCompare(b.host) || a.method.localeCompare(b.method))) {
    suggestions.push({ kind: 'hook', host: h.host, method: h.method, paths: minimalPaths(h.paths), requests: h.requests });
  }
  return { suggestions, skipped: [...skips.values()] };
}

/** Exact hosts, merged into `**.domain` when two or more hosts of one registrable domain were seen. */
function domainSuggestions(hostCounts: Map<string, number>): DomainSuggestion[] {
  const byDomain = new Map<string, string[]>();
  const singles: string[] = [];
  for (const host of hostCounts.keys()) {
    // IP literals and names without a registrable domain (a bare public suffix) stay exact.
    const domain = getDomain(host, { allowPrivateDomains: true, extractHostname: false });
    if (!domain) {
      singles.push(host);
      continue;
    }
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), host]);
  }
  const out: DomainSuggestion[] = [];
  for (const [domain, hosts] of byDomain) {
    const count = hosts.reduce((n, h) => n + (hostCounts.get(h) ?? 0), 0);
    if (hosts.length >= 2) out.push({ kind: 'domain', pattern: `**.${domain}`, hosts: hosts.sort(), requests: count });
    else singles.push(hosts[0]!);
  }
  for (const host of singles) out.push({ kind: 'domain', pattern: host, hosts: [host], requests: hostCounts.get(host) ?? 0 });
  return out.sort((a, b) => a.pattern.replace(/^\*\*\./, '').localeCompare(b.pattern.replace(/^\*\*\./, '')));
}
