// Checked decisions of requests inside MITM tunnels, cached per loaded policy. Without a DNS step
// a decision is a pure function of the policy (with its learning/broker marks, fixed before it is
// served), the --resolve / --stand-in maps (fixed for the process) and the request fields the
// policy reads: host, port, method, Host header, and, on a hooked host, the path (and the query
// when a hook matches on it). A host whose hooks match on request headers is never cached;
// neither is a decision that needed DNS. A reload brings a new policy object, so a new cache.
// Keep-alive clients repeat the same few requests, so the hit rate under load is near 100%.
import type { CompiledPolicy } from '../policy/compile';
import type { DecisionRequest } from '../policy/decide';
import type { CheckedDecision } from './dns';

type InnerRequest = Extract<DecisionRequest, { kind: 'inner' }>;

/** What of a request a host's hooks read besides method and host (header matchers: uncacheable). */
type Reads = 'nothing' | 'path' | 'path+query' | 'headers';

interface Cache {
  entries: Map<string, CheckedDecision>;
  reads: Map<string, Reads>;
}

/** A full cache is emptied and refilled (bounds memory under many distinct paths). */
const MAX_ENTRIES = 4096;

const caches = new WeakMap<CompiledPolicy, Cache>();

function readsOf(policy: CompiledPolicy, cache: Cache, host: string): Reads {
  let r = cache.reads.get(host);
  if (r === undefined) {
    const hooks = policy.hooksByHost.get(host);
    r = !hooks ? 'nothing' : hooks.some((h) => h.match.headers.length > 0) ? 'headers' : hooks.some((h) => h.match.query.length > 0) ? 'path+query' : 'path';
    cache.reads.set(host, r);
  }
  return r;
}

/** `compute()` once per distinct request shape; its null (DNS needed) is not cached. */
export function cachedInnerDecision(policy: CompiledPolicy, req: InnerRequest, host: string, compute: () => CheckedDecision | null): CheckedDecision | null {
  if (req.resolution) return compute();
  let cache = caches.get(policy);
  if (!cache) caches.set(policy, (cache = { entries: new Map(), reads: new Map() }));
  const reads = readsOf(policy, cache, req.tunnelHost);
  if (reads === 'headers') return compute();
  // Fields cannot contain a newline (the HTTP parsers reject one), so the key is unambiguous.
  const key = `${host}\n${req.tunnelHost}\n${req.port}\n${req.method}\n${req.hostHeader === undefined ? '-' : `+${req.hostHeader}`}\n${reads === 'nothing' ? '' : req.path}\n${reads === 'path+query' ? req.query : ''}`;
  const hit = cache.entries.get(key);
  if (hit) return hit;
  const checked = compute();
  if (!checked) return null;
  if (cache.entries.size >= MAX_ENTRIES) cache.entries.clear();
  cache.entries.set(key, checked);
  return checked;
}
