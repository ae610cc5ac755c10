// DNS for the local-address check: resolve once, judge the answers, then dial exactly those
// addresses (the connect-time check that defeats DNS rebinding). Fails closed on error/timeout.
import { learnDecision } from './learn';
import { brokerDecision } from './broker';
import { lookup } from 'node:dns';
import { literalAddress } from '../match/address';
import { normalizeHost } from '../match/host';
import { decide, type Decision, type DecisionRequest, type Resolution } from '../policy/decide';
import type { CompiledPolicy } from '../policy/compile';

export const DNS_TIMEOUT_MS = 2000;

/** `--resolve HOST=IP` overrides: normalised host → addresses (empty = unresolvable). */
export type ResolveOverrides = ReadonlyMap<string, readonly string[]>;

/** `--stand-in HOST=IP:PORT`: a local server that answers for HOST (demos, tests). */
export interface StandIn {
  address: string;
  port: number;
}
export type StandIns = ReadonlyMap<string, StandIn>;

export class Resolver {
  constructor(
    private readonly overrides: ResolveOverrides = new Map(),
    private readonly timeoutMs = DNS_TIMEOUT_MS,
    private readonly standIns: StandIns = new Map(),
  ) {}

  standIn(host: string): StandIn | undefined {
    return this.standIns.get(normalizeHost(host));
  }

  /** Addresses for a host: the override, the literal itself, or a system lookup (all families). */
  resolve(rawHost: string): Promise<Resolution> {
    const host = normalizeHost(rawHost);
    const literal = literalAddress(host);
    if (literal === 'invalid') return Promise.resolve({ error: 'unresolvable' });
    if (literal !== null) return Promise.resolve({ addresses: [literal] });
    const o = this.overrides.get(host);
    if (o !== undefined) return Promise.resolve(o.length ? { addresses: [...o] } : { error: 'unresolvable', code: 'ENOTFOUND' });
    return new Promise((done) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        done({ error: 'timeout', code: 'ETIMEOUT' });
      }, this.timeoutMs);
      lookup(host, { all: true, verbatim: true }, (err, addrs) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err || !addrs.length) done({ error: 'unresolvable', code: err?.code ?? 'ENODATA' });
        else done({ addresses: addrs.map((a) => a.address) });
      });
    });
  }
}

export interface CheckedDecision {
  decision: Decision;
  /** Addresses that were checked and are the only ones to dial; undefined = dial the name (local binding allowed, no override). */
  addresses?: string[];
  /** Port to dial instead of the requested one (a stand-in's). */
  port?: number;
}

/** The request with a DNS answer (Object.assign: a spread plus a new key gives each object its own map in V8, see decide.ts). */
function withResolution(req: DecisionRequest, resolution: Resolution): DecisionRequest {
  return Object.assign({}, req, { resolution });
}

/**
 * decide() with the DNS step, for a request decideWithoutDns returned null for: resolve, then
 * decide again with the answer (fails closed on error/timeout).
 */
export async function decideAfterDns(policy: CompiledPolicy, req: DecisionRequest, host: string, resolver: Resolver): Promise<CheckedDecision> {
  const resolution = await resolver.resolve(normalizeHost(host));
  const second = brokerDecision(policy, req, learnDecision(policy, req, decide(policy, withResolution(req, resolution))));
  return { decision: second, ...('addresses' in resolution ? { addresses: resolution.addresses } : {}) };
}

/**
 * The checked decision when no DNS answer is needed (a pure function of the policy, the request
 * and the fixed --resolve / --stand-in maps, so the proxy may cache it), or null when it is.
 * Overrides are always used for dialing, so test names never reach real DNS.
 */
export function decideWithoutDns(policy: CompiledPolicy, req: DecisionRequest, host: string, resolver: Resolver, overrides: ResolveOverrides): CheckedDecision | null {
  const first = brokerDecision(policy, req, learnDecision(policy, req, decide(policy, req)));
  const h = normalizeHost(host);
  const standIn = resolver.standIn(h);
  if (standIn) {
    // Decision: a stand-in is judged as the public host it stands for (as `explain` does), then
    // dialled locally, so a demo shows the policy's real verdicts. See docs/semantics.md (#13).
    const decision = first.needsResolution ? decide(policy, withResolution(req, { assumedPublic: true })) : first;
    return { decision, addresses: [standIn.address], port: standIn.port };
  }
  if (first.needsResolution) return null;
  // Literals (every spelling) are dialled as the address that was judged.
  const literal = literalAddress(h);
  if (literal === 'invalid') return { decision: first, addresses: [] };
  if (literal !== null) return { decision: first, addresses: [literal] };
  const o = overrides.get(h);
  return o !== undefined ? { decision: first, addresses: [...o] } : { decision: first };
}
