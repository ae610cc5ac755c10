// The CLI's event stream on stdout. Each write to a pipe costs a syscall and wakes the reader, and
// one write per event-loop turn was still about a tenth of the proxy's CPU under load, so lines
// are batched, in order, and held back only while no reader can be waiting for them. A response
// head that needs its line does not force a write of its own: its connection is corked and the
// lines of every head shown in this turn go out in one write at the end of it, before the
// connections are uncorked.
import type { Corkable } from '../proxy/events';

/** Lines waiting beyond this many are written at once (bounded writes in a burst). */
const MAX_PENDING = 512;
/** The longest a line that may wait (EventListener's `mayWait`) stays queued. */
export const WAIT_MS = 20;

export interface EventLines {
  /**
   * Queues a line. Without `wait` it goes out at the end of this event-loop turn (with everything
   * queued before it). `wait` = a decision id: until `shown(id)` (or WAIT_MS); `true`: up to WAIT_MS.
   */
  push(line: string, wait?: number | true): void;
  /**
   * The head of decision `id`'s response is about to be written: if its line is still queued, it
   * goes out now, or, given the response's connection, at the end of this turn with `conn` corked
   * until then.
   */
  shown(id: number, conn?: Corkable): void;
  /** Writes everything queued now (stop, exit). */
  flush(): void;
}

export function batchLines(out: (text: string) => void, waitMs = WAIT_MS): EventLines {
  let pending: string[] = [];
  /** The first queued held decision, or 0. */
  let firstHeld = 0;
  let endOfTurn = false;
  let timer: NodeJS.Timeout | undefined;
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
      out(text);
    }
    if (!corked.length) return;
    const released = corked;
    corked = [];
    for (const c of released) c.uncork();
  };
  const atTurnEnd = (): void => {
    if (endOfTurn) return;
    endOfTurn = true;
    setImmediate(onTurnEnd);
  };
  const onTurnEnd = (): void => {
    endOfTurn = false;
    flush();
  };
  return {
    push: (line, wait) => {
      if (pending.push(line) >= MAX_PENDING) return flush();
      if (wait === undefined) return atTurnEnd();
      if (typeof wait === 'number' && !firstHeld) firstHeld = wait;
      // A lagging timer is restarted lazily: an earlier flush already cleared it.
      if (!timer && !endOfTurn) timer = setTimeout(flush, waitMs);
    },
    shown: (id, conn) => {
      if (!firstHeld || id < firstHeld) return;
      if (!conn) return flush();
      conn.cork();
      corked.push(conn);
      atTurnEnd();
    },
    flush,
  };
}
