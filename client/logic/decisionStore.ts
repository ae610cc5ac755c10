// The decision log in the extension host: a bounded ring of decision events with running counts.
// The webview mirrors it; exports read from it. Counts cover every event since the last clear,
// including ones the ring has already evicted.
import type { DecisionEvent, OutcomeEvent } from './events';

export type StoreChange = { added?: DecisionEvent; updated?: DecisionEvent; cleared?: boolean };

// Decision: the log keeps the newest 50,000 decisions (a few tens of MB at most); --audit FILE keeps everything.
const DEFAULT_CAPACITY = 50_000;

export class DecisionStore {
  private ring: DecisionEvent[] = [];
  private head = 0;
  allowed = 0;
  blocked = 0;
  private listeners = new Set<(change: StoreChange) => void>();
  /** Recent events by id, so an outcome finds its decision without a scan. */
  private byId = new Map<number, DecisionEvent>();

  constructor(readonly capacity = DEFAULT_CAPACITY) {}

  add(e: DecisionEvent): void {
    if (e.decision === 'allow') this.allowed++;
    else this.blocked++;
    this.byId.set(e.id, e);
    if (this.ring.length < this.capacity) this.ring.push(e);
    else {
      this.byId.delete(this.ring[this.head]!.id);
      this.ring[this.head] = e;
      this.head = (this.head + 1) % this.capacity;
    }
    for (const l of this.listeners) l({ added: e });
  }

  /** Fills in status, bytes and duration of a logged decision (ignored once it has been evicted). */
  applyOutcome(o: OutcomeEvent): void {
    const e = this.byId.get(o.id);
    if (!e) return;
    if (o.upstreamStatus !== null) e.upstreamStatus = o.upstreamStatus;
    e.bytes = o.bytes;
    e.durationMs = o.durationMs;
    if (o.failure) e.failure = o.failure;
    for (const l of this.listeners) l({ updated: e });
  }

  clear(): void {
    this.byId.clear();
    this.ring = [];
    this.head = 0;
    this.allowed = 0;
    this.blocked = 0;
    for (const l of this.listeners) l({ cleared: true });
  }

  /** Oldest first. */
  all(): DecisionEvent[] {
    return this.head === 0 ? [...this.ring] : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  get size(): number {
    return this.ring.length;
  }

  onChange(l: (change: StoreChange) => void): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }
}
