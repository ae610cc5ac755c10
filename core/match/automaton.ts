// Glob tokens → byte-level Thompson NFA → lazily built DFA. Matching is one table lookup per
// input byte (linear time, no backtracking blow-up on `*a*a*a*b`-style globs), and many globs can
// share one automaton, which reports the lowest-numbered glob that matched (like a RegexSet).
// Semantics follow globset's regex translation run in `(?-u)` byte mode with `s` flag on.
import type { GlobToken } from './globToken';

export interface AutomatonOptions {
  /** `/` is a separator: `*`, `?` never match it (globset `literal_separator`). */
  readonly pathMode: boolean;
  /** ASCII-only case folding, as `(?i)` does in `(?-u)` mode. */
  readonly caseInsensitive: boolean;
}

const BYTES = 0;
const SPLIT = 1;
const MATCH = 2;

function filled(pred: (b: number) => boolean): Uint8Array {
  const s = new Uint8Array(256);
  for (let b = 0; b < 256; b++) s[b] = pred(b) ? 1 : 0;
  return s;
}
const ANY = filled(() => true);
const NOT_SLASH = filled((b) => b !== 0x2f);
const SLASH = filled((b) => b === 0x2f);
// Shared read-only sets for literal bytes, [exact, ASCII-case-folded], made on first use (#8: all
// 512 at module load were 131,072 predicate calls before the first analysis).
const LITERAL: Array<[Uint8Array, Uint8Array] | undefined> = new Array(256);
function literalSet(b: number, caseInsensitive: boolean): Uint8Array {
  let sets = LITERAL[b];
  if (!sets) {
    const exact = new Uint8Array(256);
    const folded = new Uint8Array(256);
    exact[b] = folded[b] = 1;
    if (b >= 0x41 && b <= 0x5a) folded[b + 32] = 1;
    if (b >= 0x61 && b <= 0x7a) folded[b - 32] = 1;
    LITERAL[b] = sets = [exact, folded];
  }
  return sets[caseInsensitive ? 1 : 0];
}

export function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

function foldAscii(set: Uint8Array): void {
  for (let b = 0x41; b <= 0x5a; b++) {
    if (set[b] || set[b + 32]) set[b] = set[b + 32] = 1;
  }
}

/**
 * Byte set of a class exactly as regex-syntax reads globset's `[...]` text: non-ASCII chars are
 * spelled as `\xNN` bytes, so `[é]` is the two single bytes and in a range only the adjacent bytes
 * form the range. Folding happens before negation. (A reversed byte range cannot arise from a
 * range parseGlob accepts: a continuation byte is always below a lead byte; null is defensive.)
 */
export function classByteSet(ranges: ReadonlyArray<readonly [number, number]>, negated: boolean, ci: boolean): Uint8Array | null {
  const set = new Uint8Array(256);
  for (const [lo, hi] of ranges) {
    const a = utf8Bytes(lo);
    if (lo === hi) {
      for (const b of a) set[b] = 1;
      continue;
    }
    const z = utf8Bytes(hi);
    for (let k = 0; k < a.length - 1; k++) set[a[k]!] = 1;
    const from = a[a.length - 1]!;
    const to = z[0]!;
    if (from > to) return null;
    for (let b = from; b <= to; b++) set[b] = 1;
    for (let k = 1; k < z.length; k++) set[z[k]!] = 1;
  }
  if (ci) foldAscii(set);
  if (negated) for (let b = 0; b < 256; b++) set[b] = set[b] ? 0 : 1;
  return set;
}

/** True when globset's regex for these tokens is the empty string (dropped from alternations). */
export function emitsNothing(tokens: readonly GlobToken[]): boolean {
  return tokens.every((t) => t.t === 'alt' && t.branches.every(emitsNothing));
}

export class Nfa {
  readonly kind: number[] = [];
  readonly out1: number[] = [];
  readonly out2: number[] = [];
  readonly sets: Array<Uint8Array | null> = [];

  private add(kind: number, a: number, b: number, set: Uint8Array | null): number {
    this.kind.push(kind);
    this.out1.push(a);
    this.out2.push(b);
    this.sets.push(set);
    return this.kind.length - 1;
  }
  bytes(set: Uint8Array, next: number): number {
    return this.add(BYTES, next, -1, set);
  }
  split(a: number, b: number): number {
    return this.add(SPLIT, a, b, null);
  }
  match(tag: number): number {
    return this.add(MATCH, tag, -1, null);
  }
  star(set: Uint8Array, next: number): number {
    const s = this.split(-1, next);
    this.out1[s] = this.bytes(set, s);
    return s;
  }

  /** Adds one glob; returns its start state. Tokens must already be validated. */
  addGlob(tokens: readonly GlobToken[], opts: AutomatonOptions, tag: number): number {
    const accept = this.match(tag);
    // globset special case: the whole glob `**` matches everything.
    if (tokens.length === 1 && tokens[0]!.t === 'rprefix') return this.star(ANY, accept);
    return this.seq(tokens, opts, accept);
  }

  private seq(tokens: readonly GlobToken[], opts: AutomatonOptions, next: number): number {
    for (let i = tokens.length - 1; i >= 0; i--) next = this.token(tokens[i]!, opts, next);
    return next;
  }

  private token(t: GlobToken, opts: AutomatonOptions, next: number): number {
    const one = opts.pathMode ? NOT_SLASH : ANY;
    switch (t.t) {
      case 'lit': {
        const bytes = utf8Bytes(t.cp);
        for (let i = bytes.length - 1; i >= 0; i--) {
          next = this.bytes(literalSet(bytes[i]!, opts.caseInsensitive), next);
        }
        return next;
      }
      case 'any':
        return this.bytes(one, next);
      case 'star':
        return this.star(one, next);
      case 'rprefix': // (?:/?|.*/)
        return this.split(this.split(this.bytes(SLASH, next), next), this.star(ANY, this.bytes(SLASH, next)));
      case 'rsuffix': // /.*
        return this.bytes(SLASH, this.star(ANY, next));
      case 'rzom': // (?:/|/.*/)
        return this.split(this.bytes(SLASH, next), this.bytes(SLASH, this.star(ANY, this.bytes(SLASH, next))));
      case 'class': {
        const set = classByteSet(t.ranges, t.negated, opts.caseInsensitive);
        if (!set) throw new Error('invalid glob class range');
        return this.bytes(set, next);
      }
      case 'alt': {
        const starts = t.branches.filter((b) => !emitsNothing(b)).map((b) => this.seq(b, opts, next));
        return starts.length === 0 ? next : starts.reduceRight((acc, s) => this.split(s, acc));
      }
    }
  }
}

const MAX_DFA_STATES = 1024; // bounds memory at 1 MiB of transitions per automaton

/** Lazily determinised view of an NFA; transitions are computed on first use and cached. */
export class LazyDfa {
  private readonly mark: Uint32Array;
  private gen = 0;
  private sets: Int32Array[] = [];
  private accepts: number[] = [];
  /** Flat transition table: `table[state * 256 + byte]`, -1 = not computed yet. */
  private table = new Int32Array(0);
  private index = new Map<string, number>();
  private startState = 0;

  constructor(
    private readonly nfa: Nfa,
    private readonly start: number,
  ) {
    this.mark = new Uint32Array(nfa.kind.length);
    this.reset();
  }

  private reset(): void {
    this.sets = [];
    this.accepts = [];
    this.table = new Int32Array(256 * 2).fill(-1);
    this.index.clear();
    this.intern(new Int32Array(0)); // state 0 = dead
    this.startState = this.intern(this.closure([this.start]));
  }

  // ε-closure keeping only consuming and accepting NFA states, sorted for a canonical key.
  private closure(seeds: number[]): Int32Array {
    const { kind, out1, out2 } = this.nfa;
    if (++this.gen === 0xffffffff) {
      this.mark.fill(0);
      this.gen = 1;
    }
    const out: number[] = [];
    const stack = seeds.slice();
    while (stack.length) {
      const s = stack.pop()!;
      if (s < 0 || this.mark[s] === this.gen) continue;
      this.mark[s] = this.gen;
      if (kind[s] === SPLIT) {
        stack.push(out2[s]!, out1[s]!);
      } else out.push(s);
    }
    return Int32Array.from(out).sort();
  }

  private intern(set: Int32Array): number {
    const key = set.join(',');
    const found = this.index.get(key);
    if (found !== undefined) return found;
    const id = this.sets.length;
    let accept = -1;
    for (const s of set) {
      if (this.nfa.kind[s] === MATCH) {
        const tag = this.nfa.out1[s]!;
        if (accept < 0 || tag < accept) accept = tag;
      }
    }
    this.sets.push(set);
    this.accepts.push(accept);
    if ((id + 1) * 256 > this.table.length) {
      const grown = new Int32Array(this.table.length * 2).fill(-1);
      grown.set(this.table);
      this.table = grown;
    }
    this.index.set(key, id);
    return id;
  }

  private step(state: number, byte: number): number {
    const { kind, out1, sets } = this.nfa;
    const seeds: number[] = [];
    for (const s of this.sets[state]!) {
      if (kind[s] === BYTES && sets[s]![byte]) seeds.push(out1[s]!);
    }
    const next = this.closure(seeds);
    if (this.sets.length >= MAX_DFA_STATES && !this.index.has(next.join(','))) {
      this.reset(); // bounded memory: start over, keep going from the new numbering
      return this.intern(next);
    }
    const id = this.intern(next);
    this.table[state * 256 + byte] = id;
    return id;
  }

  private feed(state: number, byte: number): number {
    const t = this.table[state * 256 + byte]!;
    return t >= 0 ? t : this.step(state, byte);
  }

  /** Whole-input match over the UTF-8 bytes of `input`: lowest matching tag, or -1. */
  run(input: string): number {
    let s = this.startState;
    const n = input.length;
    for (let i = 0; i < n; i++) {
      let c = input.charCodeAt(i);
      if (c < 0x80) {
        const t = this.table[s * 256 + c]!;
        s = t >= 0 ? t : this.step(s, c);
      } else {
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
          const d = input.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
          }
        }
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate, as TextEncoder does
        for (const b of utf8Bytes(c)) s = this.feed(s, b);
      }
      if (s === 0) return -1;
    }
    return this.accepts[s]!;
  }
}
