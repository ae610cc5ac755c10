// The proxy's side of brokered credentials (core/broker): bound hosts are always TLS-intercepted;
// inside MITM, an Authorization carrying a credential's dummy, on a host bound to it, gets the real
// value. Anywhere else (unbound host, plain HTTP, learning mode) nothing is translated and the
// dummy's appearance is reported as a possible leak attempt (variable name and host only).
import type { BrokeredCredential } from '../broker/credentials';
import { bindingMatches } from '../broker/credentials';
import { carriesDummy, translateAuthorization } from '../broker/translate';
import type { CompiledPolicy } from '../policy/compile';
import type { Decision, DecisionRequest } from '../policy/decide';
import { isLearning } from './learn';

const brokers = new WeakMap<CompiledPolicy, readonly BrokeredCredential[]>();

/** Attaches the run's brokered credentials to a loaded policy (the proxy does it on every reload). */
export function attachBroker(policy: CompiledPolicy, creds: readonly BrokeredCredential[]): CompiledPolicy {
  if (creds.length) brokers.set(policy, creds);
  return policy;
}

/** A bound host's tunnel is always decrypted, so its requests can be translated. */
export function brokerDecision(policy: CompiledPolicy, req: DecisionRequest, d: Decision): Decision {
  const creds = brokers.get(policy);
  if (!creds || d.decision !== 'allow' || d.mitm) return d;
  const tunnel = req.kind === 'connect' || (req.kind === 'socks' && !req.udp && d.port === 443);
  return tunnel && creds.some((c) => bindingMatches(c.hosts, d.host)) ? { ...d, mitm: true } : d;
}

export interface BrokerOutcome {
  pairs: [string, string][];
  /** Variables translated / whose dummy went somewhere it is not translated. Names only. */
  translated: string[];
  leaks: string[];
}

/** Header translation for one request; `tls` is true only inside a MITM tunnel. */
export function brokerRequest(policy: CompiledPolicy, host: string, url: string, pairs: [string, string][], tls: boolean): BrokerOutcome {
  const creds = brokers.get(policy);
  if (!creds) return { pairs, translated: [], leaks: [] };
  const translating = tls && !isLearning(policy);
  const translated = new Set<string>();
  const leaks = new Set<string>();
  const out = pairs.map(([k, v]): [string, string] => {
    if (translating && k.toLowerCase() === 'authorization') {
      const hits = creds.filter((c) => bindingMatches(c.hosts, host)).map((c) => ({ c, value: translateAuthorization(v, c.dummy, c.real) })).filter((h) => h.value !== null);
      // Exactly one credential must claim the header (upstream: an ambiguous match translates nothing).
      if (hits.length === 1) {
        translated.add(hits[0]!.c.envVar);
        return [k, hits[0]!.value!];
      }
    }
    for (const c of creds) if (carriesDummy(v, c.dummy)) leaks.add(c.envVar);
    return [k, v];
  });
  for (const c of creds) if (url.includes(c.dummy)) leaks.add(c.envVar);
  return { pairs: out, translated: [...translated], leaks: [...leaks] };
}

export function brokerSecrets(policy: CompiledPolicy): string[] {
  return (brokers.get(policy) ?? []).map((c) => c.real);
}
