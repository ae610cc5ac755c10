// Decision events: one flat object per judged request (CONNECT, plain request, each inner MITM
// request, SOCKS), kept in a ring buffer and fanned out to listeners (CLI stdout, audit file).
// Only names ever go in: no header values, no query strings, no credentials.
import type { Decision } from '../policy/decide';
import { explanationOf } from '../policy/explanation';
import type { DecisionEvent, OutcomeFailure, PolicyEvent, ProxyEvent, TelemetryEvent } from './protocol';

export type { DecisionEvent,  PolicyEvent,  ProxyEvent, TelemetryEvent } from './protocol';

export interface DecisionContext {
  method: string | null;
  path: string | null;
  client: string;
  profile: string;
  mode: string;
  startedAt?: number;
}

function nowIso(): string {
  return new Date().toISOString();
}

/** Strips anything after `?` or `#`, so a query never reaches an event. */
function pathOnly(path: string | null): string | null {
  if (path === null) return null;
  const cut = path.search(/[?#]/);
  return cut >= 0 ? path.slice(0, cut) : path;
}

export class EventLog {
  private nextId = 1;
  private readonly ring: DecisionEvent[] = [];
  private readonly listeners = new Set<(e: ProxyEvent) => void>();

  constructor(private readonly capacity = 1000) {}

  onEvent(listener: (e: ProxyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last N decision events, oldest first (a copy). */
  recent(): DecisionEvent[] {
    return [...this.ring];
  }

  decision(d: Decision, ctx: DecisionContext): DecisionEvent {
    const e: DecisionEvent = {
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
      path: pathOnly(ctx.path),
      client: ctx.client,
      mitm: d.mitm,
      hook: d.hook,
      actions: d.appliedHook ? [...d.appliedHook.actionNames] : [],
      headers: { strip: [...d.headers.strip], inject: [...d.headers.inject] },
      rule: d.rule ? { file: d.rule.file, line: d.rule.line } : null,
      profile: ctx.profile,
      ...(d.wouldDeny ? { flag: 'would_deny' as const } : {}),
      mode: ctx.mode,
      explanation: explanationOf(d, { method: ctx.method, path: pathOnly(ctx.path) }),
      ...(d.dns ? { dns: { ...d.dns } } : {}),
      ...(ctx.startedAt !== undefined ? { durationMs: Math.round((performance.now() - ctx.startedAt) * 100) / 100 } : {}),
    };
    this.keep(e);
    this.emit(e);
    return e;
  }

  /** A decision judged in a worker process (workers.ts), renumbered into this log's sequence. */
  adopt(e: DecisionEvent, worker: number): DecisionEvent {
    const own = { ...e, id: this.nextId++, worker };
    this.keep(own);
    this.emit(own);
    return own;
  }

  /** Any other event from a worker process, as it is. */
  forward(e: ProxyEvent): void {
    this.emit(e);
  }

  private keep(e: DecisionEvent): void {
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }

  /** How an allowed request ended (status, bytes, duration since `startedAt`, and why it failed if it did). */
  outcome(id: number, upstreamStatus: number | null, bytes: number, startedAt: number, failure?: OutcomeFailure): void {
    this.emit({ event: 'outcome', id, upstreamStatus, bytes, durationMs: Math.round((performance.now() - startedAt) * 100) / 100, ...(failure ? { failure } : {}) });
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

  private emit(e: ProxyEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A failing listener (closed stdout, full disk) must not break request handling.
      }
    }
  }
}
