// The CLI's event stream on stdout. A write to a pipe costs a syscall and wakes the reader on the
// other core (on this project's 2-vCPU VM, ~60 µs of CPU between the two per write), so lines are
// batched, in order:
// - a line goes out at the end of the event-loop turn that made it, or, when the previous write
//   was less than GAP_MS ago (sustained traffic), GAP_MS after that write: at most 1000/GAP_MS
//   writes a second, each line at most GAP_MS late;
// - a response head whose decision line is still queued, outside such a gap, corks its
//   connection: the lines of every head shown in the turn go out in one write at its end, then
//   the connections are uncorked, so the line is on stdout before the client can read the
//   response. Within a gap the head is not held back (the line follows within GAP_MS);
// - lines nobody can be waiting for yet (held decisions, successful outcomes) wait up to WAIT_MS.
import type { Corkable } from '../proxy/events';

/** Lines waiting beyond this many are written at once (bounded writes in a burst). */
const MAX_PENDING = 512;
/** The longest a line that may wait (EventListener's `mayWait`) stays queued. */
export const WAIT_MS = 20;
/** Writes closer together than this are merged (sustained traffic). */
export const GAP_MS = 5;

export interface EventLines {
  /**
   * Queues a line. Without `wait` it goes out at the end of this event-loop turn or GAP_MS after
   * the previous write (with everything queued before it). `wait` = a decision id: until
   * `shown(id)` (or WAIT_MS); `true`: up to WAIT_MS.
   */
  push(line: string, wait?: number | true): void;
  /**
   * The head of decision `id`'s response is about to be written: if its line is still queued, it
   * goes out now, or, given the response's connection, at the end of this turn with `conn` corked
   * until then; within GAP_MS of the previous write, at the end of that gap, `conn` untouched.
   */
  shown(id: number, conn?: Corkable): void;
  /** Writes everything queued now (stop, exit). */
  flush(): void;
}

export function batchLines(out: (text: string) => void, waitMs = WAIT_MS, gapMs = GAP_MS): EventLines {
  let pending: string[] = [];
  /** The first queued held decision, or 0. */
  let firstHeld = 0;
  let endOfTurn = false;
  let timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (performance.now()). */
  let timerAt = 0;
  let lastWrite = -Infinity;
  /** Connections whose responses wait for lines still queued. */
  let corked: Corkable[] = [];
  const flush = (): void => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    firstHeld = 0;
    if (pending.length) {
      const text = pending.join('\n');
      pending = [];
      lastWrite = performance.now();
      out(text);
    }
    if (!corked.length) return;
    const released = corked;
    corked = [];
    for (const c of released) c.uncork();
  };
  const onTurnEnd = (): void => {
    endOfTurn = false;
    flush();
  };
  const atTurnEnd = (): void => {
    if (endOfTurn) return;
    endOfTurn = true;
    setImmediate(onTurnEnd);
  };
  /** A write no later than `at`; an earlier one already planned stands. */
  const flushBy = (at: number): void => {
    if (endOfTurn || (timer && timerAt <= at)) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(flush, Math.max(0, at - performance.now()));
  };
  /** The end of the gap after the last write, or 0 outside one. */
  const inGap = (): number => {
    const end = lastWrite + gapMs;
    return performance.now() < end ? end : 0;
  };
  /** As soon as the gap allows: the end of this turn, or the end of the gap. */
  const soon = (): void => {
    const end = inGap();
    if (end) flushBy(end);
    else atTurnEnd();
  };
  return {
    push: (line, wait) => {
      if (pending.push(line) >= MAX_PENDING) return flush();
      if (wait === undefined) return soon();
      if (typeof wait === 'number' && !firstHeld) firstHeld = wait;
      flushBy(performance.now() + waitMs);
    },
    shown: (id, conn) => {
      if (!firstHeld || id < firstHeld) return;
      if (inGap()) return soon();
      if (!conn) return flush();
      conn.cork();
      corked.push(conn);
      atTurnEnd();
    },
    flush,
  };
}
