// Learning mode (`proxy --learn`): requests the allowlist alone would refuse go through, each
// recorded with the flag `would_deny`, so one run collects everything a policy needs (then
// `suggest`). Guardrails: the denylist, local/private protection, hooked hosts and limited mode
// stay enforced; hooks never inject secrets (their header names are still stripped); the mode
// lives only in the running process (a restart ends it); the CLI refuses it under requirements.
import type { CompiledPolicy } from '../policy/compile';
import type { Decision, DecisionRequest } from '../policy/decide';
import { LIMITED_METHODS } from '../policy/reasons';

const learning = new WeakSet<CompiledPolicy>();

/** Marks a loaded policy as run in learning mode (the proxy marks every reload too). */
export function markLearning(policy: CompiledPolicy): CompiledPolicy {
  learning.add(policy);
  return policy;
}

export function isLearning(policy: CompiledPolicy): boolean {
  return learning.has(policy);
}

function withoutInjection(d: Decision): Decision {
  const hook = d.appliedHook;
  if (!hook || !hook.inject.length) return d;
  const strip = [...hook.strip, ...hook.inject.map((i) => i.name)];
  return { ...d, appliedHook: { ...hook, strip, inject: [] }, headers: { strip, inject: [] } };
}

/** The decision as learning mode makes it: an allowlist miss becomes an allow flagged would_deny. */
export function learnDecision(policy: CompiledPolicy, req: DecisionRequest, d: Decision): Decision {
  if (!isLearning(policy)) return d;
  if (d.decision === 'allow') return withoutInjection(d);
  if (d.reason !== 'not_allowed' || d.needsResolution || policy.hooksByHost.has(d.host)) return d;
  const limited = policy.effective.mode === 'limited';
  if (req.kind === 'http' && limited && !LIMITED_METHODS.has(req.method)) return d;
  const mitm = limited && (req.kind === 'connect' || (req.kind === 'socks' && !req.udp && d.port === 443));
  // Object.assign, not a spread plus a new key (a map per object in V8, see decide.ts's base()).
  return Object.assign({}, d, { decision: 'allow' as const, reason: null, proxyError: null, status: 200, message: null, mitm, wouldDeny: true });
}
