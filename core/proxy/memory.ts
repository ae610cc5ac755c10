// Memory after a load: V8 keeps the heap it grew under load while the process is idle (nothing
// allocates, so nothing collects): after 1,000 clients for 60 s the young generation stayed at its
// 32 MB maximum and old space at 3x its live size, ~35 MB of RSS over the warm baseline. So once the
// proxy has been idle for SETTLE_INTERVALS check intervals in a row and its heap has grown since the
// last reduction, it runs full collections (tens of ms, never while requests are being served).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const IDLE_CHECK_MS = 5000;
/**
 * Idle check intervals in a row before collecting (so 30–35 s without new work). A full collection
 * after the connections of a burst died frees their maps, and V8 then deoptimises the hot request
 * path (Node's streams/http, undici, ours: ~80 functions, "weak objects") to re-optimise it on the
 * next burst, at 3–4x the CPU per request for its first half second; a developer's pause between
 * two commands is not worth that (docs/semantics.md, idle deopt).
 */
const SETTLE_INTERVALS = 6;
/** Heap growth (total heap size over the size after the last reduction) that is worth giving back. */
const GROWTH = 1.25;
const MAX_ATTEMPTS = 3;

/**
 * V8's `gc` function without starting node with --expose-gc: the flag set at runtime applies to
 * contexts created afterwards. Null when unavailable (the heap then shrinks only on V8's own terms).
 */
function exposedGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as () => void)() : null;
  } catch {
    return null;
  }
}

export interface IdleCollectorOptions {
  /** A counter of work started (requests, tunnels): unchanged over an interval means idle. */
  activity: () => number;
  intervalMs?: number;
  /** Idle intervals in a row before the first collection (default SETTLE_INTERVALS). */
  settleIntervals?: number;
  heapSize?: () => number;
  /** The collection to run; default V8's full GC. */
  collect?: () => void;
}

/**
 * In an idle period (settleIntervals idle intervals in a row) after the heap grew, runs full
 * collections (up to MAX_ATTEMPTS, one per idle interval) until the heap is back within GROWTH of its
 * size after the last reduction; returns a stop function.
 */
export function collectWhenIdle(opts: IdleCollectorOptions): () => void {
  const heapSize = opts.heapSize ?? (() => getHeapStatistics().total_heap_size);
  let collect = opts.collect;
  let baseline = heapSize();
  let seen = opts.activity();
  let attempts = 0;
  let idleIntervals = 0;
  const settle = opts.settleIntervals ?? SETTLE_INTERVALS;
  const timer = setInterval(() => {
    const now = opts.activity();
    const idle = now === seen;
    seen = now;
    if (!idle) return void (attempts = idleIntervals = 0);
    if (++idleIntervals < settle || attempts >= MAX_ATTEMPTS || heapSize() <= baseline * GROWTH) return;
    collect ??= exposedGc() ?? undefined;
    if (!collect) return clearInterval(timer);
    attempts++;
    // V8 shrinks the young generation only when the recent allocation rate is low (so the first idle
    // interval may not do it), and gives its pages back on the collection after the one that shrank it.
    collect();
    collect();
    const after = heapSize();
    if (after <= baseline * GROWTH || attempts === MAX_ATTEMPTS) {
      baseline = after; // reduced, or what is left is live data
      attempts = MAX_ATTEMPTS;
    }
  }, opts.intervalMs ?? IDLE_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
