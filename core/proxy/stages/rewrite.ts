// Stage 3 of a request: the headers sent upstream. Hop-by-hop headers go (both ways, see
// hopByHop.ts); inside MITM the matched hook strips/injects and brokered credentials are swapped
// in; plain HTTP never runs hooks (a hooked host is refused), so nothing is injected in cleartext.
import type { Decision } from '../../policy/decide';
import { brokerRequest } from '../broker';
import type { ProxyContext } from '../context';
import { keptRequestHeaders } from '../hopByHop';
import { isLearning } from '../learn';

export interface RewriteInput {
  /** The client's headers as [name, value] pairs (rawHeaders order and casing). */
  pairs: [string, string][];
  decision: Decision;
  /** The judged host (normalised); the broker matches bindings against it. */
  host: string;
  /** Path and query, for the broker's leak check. */
  url: string;
  /** Inside a MITM tunnel: the only place hooks and broker translation apply. */
  tls: boolean;
  /** `host[:port]` for the Host header. */
  authority: string;
}

/** The headers to send upstream, flat ([name, value, …]) as http.request takes them. */
export function rewriteHeaders(ctx: ProxyContext, r: RewriteInput): string[] {
  // Inside MITM the Host is the tunnel's, the name that was judged, whatever the client wrote.
  const kept = keptRequestHeaders(r.pairs, r.tls, r.decision.appliedHook ?? undefined);
  const out = brokerHeaders(ctx, r.host, r.url, kept, r.tls);
  const flat: string[] = r.tls ? ['Host', r.authority] : [];
  for (const [k, v] of out) flat.push(k, v);
  if (!r.tls && !out.some(([k]) => k.toLowerCase() === 'host')) flat.push('Host', r.authority);
  return flat;
}

/** Brokered credentials swapped in (inside MITM only), and any dummy seen elsewhere reported by name. */
function brokerHeaders(ctx: ProxyContext, host: string, url: string, pairs: [string, string][], tls: boolean): [string, string][] {
  const policy = ctx.policy();
  const r = brokerRequest(policy, host, url, pairs, tls);
  for (const name of r.leaks) {
    const why = !tls ? 'over cleartext HTTP' : isLearning(policy) ? 'in learning mode' : 'to a host it is not bound to';
    ctx.events.error(`credential broker: the dummy ${name} was sent to ${host} ${why}; not translated (possible leak attempt)`);
  }
  return r.pairs;
}
