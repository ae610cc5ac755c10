// Decision events: one flat object per judged request (CONNECT, plain request, each inner MITM
// request, SOCKS), kept in a ring buffer and fanned out to listeners (CLI stdout, audit file).
// Only names ever go in: no header values, no query strings, no credentials.
import type { Decision } from '../policy/decide';
import { explanationOf } from '../policy/explanation';
import { madeFrom, madeOutcome } from './eventLine';
import type { DecisionEvent, OutcomeEvent, OutcomeFailure, PolicyEvent, ProxyEvent, TelemetryEvent } from './protocol';

export type { DecisionEvent,  PolicyEvent,  ProxyEvent, TelemetryEvent } from './protocol';

export interface DecisionContext {
  method: string | null;
  path: string | null;
  client: string;
  profile: string;
  mode: string;
  startedAt?: number;
  /**
   * The transport calls `shown(id)` before this request's response head is written (heldLines.ts),
   * so the line may wait for that instead of going out at the end of this event-loop turn.
   */
  held?: boolean;
}

/**
 * Receives every event. `mayWait`: nobody can be waiting for this line yet (a held decision, see
 * DecisionContext.held, or a successful outcome, recorded after its response was sent), so a
 * writer may batch it with later lines; anything else should be written by the end of this turn.
 */
export type EventListener = (e: ProxyEvent, mayWait: boolean) => void;

/**
 * The client connection a held response goes out on (a net.Socket): a writer that will put the
 * line out later in this turn corks it, so the response still cannot reach the client first.
 */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Told that held decision `id`'s response head is about to be written, on `conn` when it is corkable. */
export type ShownListener = (id: number, conn?: Corkable) => void;

let lastMs = 0;
let lastIso = '';

/** The current time in RFC 3339; formatted once per millisecond (every event carries it). */
function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Strips anything after `?` or `#`, so a query never reaches an event. */
function pathOnly(path: string | null): string | null {
  if (path === null) return null;
  const cut = path.search(/[?#]/);
  return cut >= 0 ? path.slice(0, cut) : path;
}

/** Explanations of allowed decisions (they do not depend on the request line), per decision object. */
const allowExplanations = new WeakMap<Decision, string>();

function explain(d: Decision, method: string | null, path: string | null): string {
  if (d.decision !== 'allow') return explanationOf(d, { method, path });
  let text = allowExplanations.get(d);
  if (text === undefined) allowExplanations.set(d, (text = explanationOf(d, { method, path })));
  return text;
}

type FixedParts = Pick<DecisionEvent, 'actions' | 'headers' | 'rule'>;

/** A decision's hook actions, header names and rule as events show them: one frozen copy per decision, shared by its events. */
const fixedParts = new WeakMap<Decision, FixedParts>();

function fixedOf(d: Decision): FixedParts {
  let f = fixedParts.get(d);
  if (f) return f;
  f = {
    actions: Object.freeze(d.appliedHook ? [...d.appliedHook.actionNames] : []) as string[],
    headers: Object.freeze({ strip: Object.freeze([...d.headers.strip]) as string[], inject: Object.freeze([...d.headers.inject]) as string[] }),
    rule: d.rule ? Object.freeze({ file: d.rule.file, line: d.rule.line }) : null,
  };
  fixedParts.set(d, f);
  return f;
}

export class EventLog {
  private nextId = 1;
  /** Ring buffer of the last `capacity` decision events; `head` is the oldest once it is full. */
  private readonly ring: DecisionEvent[] = [];
  private head = 0;
  private readonly listeners = new Set<EventListener>();
  private readonly showListeners = new Set<ShownListener>();

  constructor(private readonly capacity = 1000) {}

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Told when a held decision's response head is about to be written (its line must be out first). */
  onShown(listener: ShownListener): () => void {
    this.showListeners.add(listener);
    return () => this.showListeners.delete(listener);
  }

  shown(id: number, conn?: Corkable): void {
    for (const l of this.showListeners) l(id, conn);
  }

  /** The last N decision events, oldest first (a copy). */
  recent(): DecisionEvent[] {
    return [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  decision(d: Decision, ctx: DecisionContext): DecisionEvent {
    const path = pathOnly(ctx.path);
    const fixed = fixedOf(d);
    // Built in one fixed order (the JSON line's key order), optional keys added in place, so every
    // event shares a few hidden classes instead of spreading a new one per request.
    const e = {
      event: 'decision',
      id: this.nextId++,
      time: nowIso(),
      decision: d.decision,
      reason: d.reason,
      proxyError: d.proxyError,
      status: d.status,
      source: d.source,
      protocol: d.protocol,
      method: ctx.method,
      host: d.host,
      port: d.port,
      path,
      client: ctx.client,
      mitm: d.mitm,
      hook: d.hook,
      actions: fixed.actions,
      headers: fixed.headers,
      rule: fixed.rule,
      profile: ctx.profile,
    } as DecisionEvent;
    if (d.wouldDeny) e.flag = 'would_deny';
    e.mode = ctx.mode;
    e.explanation = explain(d, ctx.method, path);
    if (d.dns) e.dns = { ...d.dns };
    if (ctx.startedAt !== undefined) e.durationMs = Math.round((performance.now() - ctx.startedAt) * 100) / 100;
    madeFrom(e, d);
    this.keep(e);
    this.emit(e, ctx.held === true);
    return e;
  }

  /** A decision judged in a worker process (workers.ts), renumbered into this log's sequence. */
  adopt(e: DecisionEvent, worker: number): DecisionEvent {
    const own = Object.assign({}, e, { id: this.nextId++, worker });
    this.keep(own);
    this.emit(own);
    return own;
  }

  /** Any other event from a worker process, as it is. */
  forward(e: ProxyEvent): void {
    this.emit(e);
  }

  private keep(e: DecisionEvent): void {
    if (this.capacity <= 0) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(e);
      return;
    }
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.capacity;
  }

  /** How an allowed request ended (status, bytes, duration since `startedAt`, and why it failed if it did). */
  outcome(id: number, upstreamStatus: number | null, bytes: number, startedAt: number, failure?: OutcomeFailure): void {
    const e: OutcomeEvent = { event: 'outcome', id, upstreamStatus, bytes, durationMs: Math.round((performance.now() - startedAt) * 100) / 100 };
    if (failure) e.failure = failure;
    else madeOutcome(e);
    this.emit(e, !failure);
  }

  policy(e: Omit<PolicyEvent, 'event' | 'time'>): void {
    this.emit({ event: 'policy', time: nowIso(), ...e });
  }

  telemetry(e: Omit<TelemetryEvent, 'event' | 'time'>): void {
    this.emit({ event: 'telemetry', time: nowIso(), ...e });
  }

  error(message: string): void {
    this.emit({ event: 'error', time: nowIso(), message });
  }

  private emit(e: ProxyEvent, mayWait = false): void {
    for (const l of this.listeners) {
      try {
        l(e, mayWait);
      } catch {
        // A failing listener (closed stdout, full disk) must not break request handling.
      }
    }
  }
}
