// "Did you mean": the closest known name by edit distance, when it is close enough to help.
// Same answer as scanning every candidate to the end (the nearest, the earliest on a tie, only if
// within a third of the longer name), but bounded: the nearest candidate that could be accepted
// is found first with small distance limits, then one pass checks that nothing is nearer. A
// document with thousands of unknown keys stays cheap.
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const lower = lowered(candidates);
  const limitFor = (c: string): number => Math.max(1, Math.floor(Math.max(word.length, c.length) / 3));
  let best = -1;
  let bestScore = Infinity;
  for (let i = 0; i < lower.length; i++) {
    const max = Math.min(limitFor(candidates[i]!), bestScore - 1);
    const d = distance(w, lower[i]!, max);
    if (d <= max) {
      best = i;
      bestScore = d;
    }
  }
  if (best < 0) return undefined; // the nearest candidate, whichever it is, is too far
  // A nearer (or equally near, earlier) candidate that is itself too far means no suggestion.
  for (let i = 0; i < lower.length; i++) {
    if (i === best) continue;
    const d = distance(w, lower[i]!, bestScore);
    if (d < bestScore || (d === bestScore && i < best)) return undefined;
  }
  return candidates[best];
}

const loweredCache = new WeakMap<readonly string[], string[]>();

function lowered(candidates: readonly string[]): string[] {
  let l = loweredCache.get(candidates);
  if (!l) loweredCache.set(candidates, (l = candidates.map((c) => c.toLowerCase())));
  return l;
}

let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * Edit distance where swapping two neighbouring letters counts once (`wrok` → `work`); any value
 * above `max` is returned as `max + 1` (two rows above `max` mean every later row is too).
 */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (rows[0]!.length <= b.length) rows = [new Int32Array(b.length + 1), new Int32Array(b.length + 1), new Int32Array(b.length + 1)];
  let [prev2, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  let prevMin = 0;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let curMin = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1));
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < curMin) curMin = d;
    }
    if (curMin > max && prevMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
    prevMin = curMin;
  }
  return Math.min(prev[b.length]!, max + 1);
}
