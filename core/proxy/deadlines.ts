// Response deadlines (lifecycle.ts's response timeout) on one shared sweep instead of a Node timer
// per request. A setTimeout, a refresh() on upload progress and a clearTimeout per request each
// allocate or relink a Timeout and read libuv's clock; with the timer switched off entirely the
// proxy used 0.95x the CPU per MITM request under keep-alive load (bench/ab.ts, pinned). Here a
// request costs one small entry linked into a list and unlinked again, and progress only sets a
// flag. The price is precision: a deadline fires between `ms` and `ms` + one sweep interval (a
// quarter of `ms`, at most SWEEP_MAX_MS) after the last progress, never before. The sweep timer
// runs only while a deadline is pending, so an idle proxy never wakes.

/** The longest gap between two sweeps (the most a 60 s response timeout can be late). */
const SWEEP_MAX_MS = 250;
/** The shortest gap (a very short timeout, as tests use, does not make the sweep spin). */
const SWEEP_MIN_MS = 10;

export interface Deadline {
  /** Progress was made: the deadline starts again (counted from the next sweep). */
  touch(): void;
  /** Cancels the deadline; calling it again, or after it fired, does nothing. */
  stop(): void;
}

/** A pending deadline: a node of its owner's list (no Set: see Deadlines). */
class Entry implements Deadline {
  progressed = false;
  prev: Entry | null = null;
  next: Entry | null = null;

  constructor(private readonly owner: Deadlines, public at: number, readonly ms: number, readonly onExpire: () => void) {}

  touch(): void {
    this.progressed = true;
  }

  stop(): void {
    this.owner.unlink(this);
  }
}

/**
 * Pending deadlines in a doubly linked list through the entries themselves: adding and removing
 * allocate nothing (a Set's table churn under load cost more GC than the timers it replaced).
 */
export class Deadlines {
  private head: Entry | null = null;
  private tail: Entry | null = null;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private sweepMs = SWEEP_MAX_MS;

  /** Calls `onExpire` once, `ms` after now (or after the last `touch`), unless stopped first. */
  start(ms: number, onExpire: () => void): Deadline {
    const e = new Entry(this, performance.now() + ms, ms, onExpire);
    e.prev = this.tail;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.count++;
    const sweepMs = Math.max(SWEEP_MIN_MS, Math.min(SWEEP_MAX_MS, Math.floor(ms / 4)));
    if (sweepMs < this.sweepMs) {
      this.sweepMs = sweepMs;
      this.halt();
    }
    this.timer ??= setInterval(() => this.sweep(), this.sweepMs).unref();
    return e;
  }

  /** Deadlines not yet fired or stopped. */
  get size(): number {
    return this.count;
  }

  /** Whether the sweep timer exists (it must not while nothing is pending: an idle proxy never wakes). */
  get sweeping(): boolean {
    return this.timer !== undefined;
  }

  /** Removes `e` if it is still pending (stop after stop, or after firing, does nothing). */
  unlink(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else if (this.head === e) this.head = e.next;
    else return;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
    this.count--;
  }

  private sweep(): void {
    const now = performance.now();
    for (let e = this.head; e; ) {
      const next = e.next;
      if (e.progressed) {
        e.progressed = false;
        e.at = now + e.ms;
      } else if (now >= e.at) {
        this.unlink(e);
        e.onExpire();
      }
      e = next;
    }
    // Stopped lazily: traffic that empties and refills the list between sweeps keeps one timer.
    if (!this.count) {
      this.halt();
      this.sweepMs = SWEEP_MAX_MS;
    }
  }

  private halt(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The process's response deadlines: every proxy in it shares one sweep. */
export const responseDeadlines = new Deadlines();
