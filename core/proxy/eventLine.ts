// The JSON line of an event, exactly as JSON.stringify writes it. A decision event made by
// EventLog.decision copies most of its fields from a Decision that decisionCache.ts hands to every
// identical request inside MITM; the JSON of those fields is made once per decision and reused, so
// only the request's own fields (id, time, method, path, client, explanation, dns, duration) are
// written per line. JSON.stringify of the whole event was ~3% of the proxy's CPU per MITM request.
import type { Decision } from '../policy/decide';
import type { DecisionEvent, ProxyEvent } from './protocol';

/** Events made by EventLog.decision, with the decision their fixed fields were copied from. */
const sources = new WeakMap<DecisionEvent, Decision>();

/** The JSON of a decision's fixed fields, for the profile/mode/flag it was last written with. */
interface Parts {
  key: string;
  /** `,"decision":…` … protocol (each part starts with its comma, or is empty). */
  verdict: string;
  /** host, port. */
  target: string;
  /** mitm … mode (profile, flag and mode included). */
  rest: string;
  /** The last explanation seen for this decision and its `,"explanation":…` (allowed ones are one string per decision). */
  explanation: string | undefined;
  explanationJson: string;
}

const parts = new WeakMap<Decision, Parts>();

/** Marks `e` as made from `d` by EventLog.decision (its fixed fields are d's, unchanged). */
export function madeFrom(e: DecisionEvent, d: Decision): void {
  sources.set(e, d);
}

export function eventLine(e: ProxyEvent): string {
  const d = e.event === 'decision' ? sources.get(e) : undefined;
  return d ? decisionLine(e as DecisionEvent, d) : JSON.stringify(e);
}

function decisionLine(e: DecisionEvent, d: Decision): string {
  const key = `${e.profile}\n${e.mode}\n${e.flag ?? ''}`;
  let p = parts.get(d);
  if (!p || p.key !== key) parts.set(d, (p = partsOf(e, key)));
  if (e.explanation !== p.explanation) {
    p.explanation = e.explanation;
    p.explanationJson = field('explanation', e.explanation);
  }
  return `{"event":"decision"${field('id', e.id)}${field('time', e.time)}${p.verdict}${field('method', e.method)}${p.target}${field('path', e.path)}${field('client', e.client)}${p.rest}${p.explanationJson}${field('dns', e.dns)}${field('durationMs', e.durationMs)}}`;
}

/** `,"name":value` as JSON.stringify writes an object's key (nothing for undefined). */
function field(name: string, v: unknown): string {
  return v === undefined ? '' : `,"${name}":${JSON.stringify(v)}`;
}

function partsOf(e: DecisionEvent, key: string): Parts {
  const inner = (o: object): string => {
    const text = JSON.stringify(o);
    return text.length > 2 ? `,${text.slice(1, -1)}` : '';
  };
  return {
    key,
    verdict: inner({ decision: e.decision, reason: e.reason, proxyError: e.proxyError, status: e.status, source: e.source, protocol: e.protocol }),
    target: inner({ host: e.host, port: e.port }),
    rest: inner({ mitm: e.mitm, hook: e.hook, actions: e.actions, headers: e.headers, rule: e.rule, profile: e.profile, flag: e.flag, mode: e.mode }),
    explanation: e.explanation,
    explanationJson: field('explanation', e.explanation),
  };
}
