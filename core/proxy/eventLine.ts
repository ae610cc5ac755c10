// The JSON line of an event, exactly as JSON.stringify writes it. A decision event made by
// EventLog.decision copies most of its fields from a Decision that decisionCache.ts hands to every
// identical request inside MITM; the JSON of those fields is made once per decision and reused, so
// only the request's own fields (id, time, method, path, client, explanation, dns, duration) are
// written per line; an outcome line is written field by field. JSON.stringify of both events was
// ~3% of the proxy's CPU per MITM request (about 5 µs of a decision + outcome pair's 7 in isolation).
import type { Decision } from '../policy/decide';
import type { DecisionEvent, OutcomeEvent, ProxyEvent } from './protocol';

/**
 * The event EventLog.decision made last and the decision its fixed fields were copied from. Its
 * listeners (stdout, audit file) write it synchronously while it is emitted, so one slot is enough;
 * any other event is written by JSON.stringify. (A WeakMap entry per event cost more than it saved.)
 */
let lastEvent: DecisionEvent | undefined;
let lastSource: Decision | undefined;
/** The outcome event EventLog.outcome made last (the same one-slot reasoning). */
let lastOutcome: OutcomeEvent | undefined;
/** Events made in the same millisecond share their time's JSON. */
let lastTime = '';
let lastTimeJson = '';

/** The JSON of a decision's fixed fields, for the profile/mode/flag it was last written with. */
interface Parts {
  profile: string;
  mode: string;
  flag: DecisionEvent['flag'];
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
  lastEvent = e;
  lastSource = d;
}

/** Marks `e` as made by EventLog.outcome (its keys in that order, nothing else). */
export function madeOutcome(e: OutcomeEvent): void {
  lastOutcome = e;
}

export function eventLine(e: ProxyEvent): string {
  if (e === lastEvent) return decisionLine(e, lastSource!);
  if (e === lastOutcome && e.failure === undefined) {
    return `{"event":"outcome"${field('id', e.id)}${field('upstreamStatus', e.upstreamStatus)}${field('bytes', e.bytes)}${field('durationMs', e.durationMs)}}`;
  }
  return JSON.stringify(e);
}

function decisionLine(e: DecisionEvent, d: Decision): string {
  let p = parts.get(d);
  if (!p || p.profile !== e.profile || p.mode !== e.mode || p.flag !== e.flag) parts.set(d, (p = partsOf(e)));
  if (e.explanation !== p.explanation) {
    p.explanation = e.explanation;
    p.explanationJson = field('explanation', e.explanation);
  }
  if (e.time !== lastTime) {
    lastTime = e.time;
    lastTimeJson = field('time', e.time);
  }
  return `{"event":"decision"${field('id', e.id)}${lastTimeJson}${p.verdict}${field('method', e.method)}${p.target}${field('path', e.path)}${field('client', e.client)}${p.rest}${p.explanationJson}${field('dns', e.dns)}${field('durationMs', e.durationMs)}}`;
}

/** `,"name":value` as JSON.stringify writes an object's key (nothing for undefined); integers directly. */
function field(name: string, v: unknown): string {
  if (v === undefined) return '';
  return `,"${name}":${typeof v === 'number' && Number.isSafeInteger(v) ? `${v}` : JSON.stringify(v)}`;
}

function partsOf(e: DecisionEvent): Parts {
  const inner = (o: object): string => {
    const text = JSON.stringify(o);
    return text.length > 2 ? `,${text.slice(1, -1)}` : '';
  };
  return {
    profile: e.profile, mode: e.mode, flag: e.flag,
    verdict: inner({ decision: e.decision, reason: e.reason, proxyError: e.proxyError, status: e.status, source: e.source, protocol: e.protocol }),
    target: inner({ host: e.host, port: e.port }),
    rest: inner({ mitm: e.mitm, hook: e.hook, actions: e.actions, headers: e.headers, rule: e.rule, profile: e.profile, flag: e.flag, mode: e.mode }),
    explanation: e.explanation,
    explanationJson: field('explanation', e.explanation),
  };
}
