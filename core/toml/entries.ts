// Key/values, arrays and inline tables for the TOML index (builder.ts reads the statements).
// Containers are read with an explicit stack of frames, never by recursion, so no document can
// exhaust the call stack; nesting deeper than MAX_NESTING is skipped with one problem.
import * as lexer from './lexer';
import type { KeySegment, Range } from './lexer';
import type { PathSegment } from './context';
import * as store from './store';

/** `code` marks problems that are reported as diagnostics of their own (the TOML syntax error comes from smol-toml). */
export interface SyntaxProblem { message: string; range: Range; code?: 'toml-nesting' }

// Bound once: CommonJS transpilation (tsx in tests) turns each cross-module reference into a getter call.
const {
  COMMA, CR, DQ, EQ, HASH, LBRACE, LBRACK, LF, RBRACE, RBRACK, SQ,
  LineMap, isKeyStart, lineEndAt, looksLikeHeaderLine, looksLikeKeyAssign, scanBare, scanKey, scanString, skipWs,
} = lexer;
const {
  F_KE, F_KIND, F_KS, F_NSEG, F_PATH, F_RE, F_RS, F_SEG, F_VE, F_VKIND, F_VS, IntList, K_ARRAY_TABLE, K_INLINE, K_ITEM, Paths, STRIDE,
} = store;

export function displayPath(path: readonly PathSegment[]): string {
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s))).join('.');
}

/** Arrays / inline tables nested deeper than this are skipped with one problem (no real policy comes close). */
const MAX_NESTING = 32;

const V_STRING = 0, V_ARRAY = 5, V_INLINE = 6, V_INVALID = 7;
/** Returned instead of an end offset: a container was opened (PENDING) or reading goes on (CONTINUE). */
const PENDING = -1, CONTINUE = -2;

/** A key/value whose value is still being read (its container is open). */
interface PendingKey { row: number; id: number; mids: number[]; segs: KeySegment[]; start: number; keyEnd: number; dup: boolean; inline: boolean }

/** An open array (V_ARRAY) or inline table (V_INLINE). */
interface Frame {
  kind: number;
  start: number;     // offset of `[` / `{`
  id: number;        // its path id
  row: number;       // the row whose value it is
  at: number;        // where reading goes on
  lastEnd: number;   // end of the last complete element (the extent if it is unterminated)
  idx: number;       // array: index of the next element
  item: number;      // array: row of the element being read...
  itemId: number;    // ...its path id...
  itemStart: number; // ...and start
  before: number;    // inline table: start of the entry being read
  key: PendingKey | undefined; // inline table: the entry whose value is open
}
/** A string without escapes or line breaks: its elements are read in one go (plainArray). */
const PLAIN_STRING = /"[^"\\\r\n]*"|'[^'\r\n]*'/y;

/** End of the one-line string without escapes at `i` (a quote), or -1 if it is not one (scanString reads it). */
function plainStringEnd(t: string, i: number): number {
  const q = t.charCodeAt(i);
  if (t.charCodeAt(i + 1) === q && t.charCodeAt(i + 2) === q) return -1; // a multi-line string
  PLAIN_STRING.lastIndex = i;
  return PLAIN_STRING.test(t) ? PLAIN_STRING.lastIndex : -1;
}
const SCALAR_CODES: Record<string, number> = { integer: 1, float: 2, boolean: 3, datetime: 4, invalid: V_INVALID };

/** Reads values into rows; Builder (builder.ts) drives it statement by statement. */
export abstract class EntryReader {
  readonly lm: lexer.LineMap;
  readonly problems: SyntaxProblem[] = [];
  readonly paths: store.Paths;
  readonly rows: store.IntList = new IntList(4096);   // node rows (STRIDE ints each), document order
  readonly segs = new IntList(1024);   // key segment (start, end) pairs, referenced by rows
  readonly strs: string[] = [];        // decoded string value by row
  /**
   * Set when the document uses a construct where smol-toml's rules are stricter than this pass
   * checks (plain values then come from smol-toml, see tree.ts): dotted keys through a table a
   * header created, or `[[x]]` where `x` already exists in any form.
   */
  unsure = false;
  protected lastContentEnd = 0;
  protected stop = false; // set by a container that hit a line that must start a new statement...
  protected stopAt = 0;   // ...at this offset (start of that line)
  private quiet = 0;    // > 0 inside the value of a duplicate key: its children would only repeat the problem
  private readonly frames: Frame[] = []; // arrays / inline tables open around the current value
  private readonly elems = new IntList(64); // plainArray: (start, end) of each element

  /** `plain`: false reads plain strings and arrays with the general reader too (the differential test's reference). */
  constructor(readonly t: string, private readonly plain = true) {
    this.lm = new LineMap(t);
    this.paths = new Paths(t.length >> 5); // about one path per 20-40 characters in a policy (the benchmark: 20)
  }

  protected problem(message: string, start: number, end: number, code?: SyntaxProblem['code']): void {
    this.problems.push({ message, range: this.lm.range(start, Math.max(start, end)), ...(code ? { code } : {}) });
  }

  protected newRow(kind: number, pathId: number): number {
    const o = this.rows.reserve(STRIDE), a = this.rows.a;
    a[o + F_KIND] = kind;
    a[o + F_PATH] = pathId;
    for (let f = F_PATH + 1; f < STRIDE; f++) a[o + f] = -1;
    return o / STRIDE;
  }
  protected set(row: number, field: number, v: number): void { this.rows.a[row * STRIDE + field] = v; }
  private kindOf(row: number): number { return this.rows.a[row * STRIDE + F_KIND]!; }
  protected setKey(row: number, start: number, end: number, segs: readonly KeySegment[]): void {
    const n = segs.length, at = this.segs.reserve(2 * n), sa = this.segs.a, a = this.rows.a, o = row * STRIDE;
    a[o + F_KS] = start;
    a[o + F_KE] = end;
    a[o + F_SEG] = at;
    a[o + F_NSEG] = n;
    for (let s = 0; s < n; s++) {
      sa[at + 2 * s] = segs[s]!.start;
      sa[at + 2 * s + 1] = segs[s]!.end;
    }
  }


  /** Skips whitespace/comments/newlines inside an array or inline table, stopping at a line that must be a new statement. */
  private fill(i: number, inArray: boolean): number {
    const t = this.t;
    for (;;) {
      i = skipWs(t, i);
      const c = t.charCodeAt(i);
      if (c === HASH) i = lineEndAt(t, i);
      else if (c === LF || c === CR) {
        i += c === CR && t.charCodeAt(i + 1) === LF ? 2 : 1;
        // A header, or `key =` (column 0 in inline tables, which may hold keys), cannot continue the value.
        if (looksLikeHeaderLine(t, i) || looksLikeKeyAssign(t, inArray ? skipWs(t, i) : i)) {
          this.stop = true;
          this.stopAt = i;
          return i;
        }
      } else return i;
    }
  }

  /** Skips a bad token up to the next delimiter (`,` `]` `}` or line break). */
  private skipJunk(i: number): number {
    const t = this.t;
    for (let c = t.charCodeAt(i); i < t.length; c = t.charCodeAt(++i)) {
      if (c === LF || c === CR || c === COMMA || c === RBRACE || c === RBRACK) break;
    }
    return i;
  }

  /** Registers `row` as the definition of path `id`, flagging redefinitions TOML forbids. */
  protected define(id: number, row: number, start: number, end: number): void {
    const P = this.paths, isTable = this.kindOf(row) <= K_ARRAY_TABLE;
    const clash = P.first[id]! >= 0 && (!isTable || P.explicit[id]! >= 0 || P.dotted[id] === 1);
    P.add(id, row, true, false);
    if (!clash || this.quiet) return;
    const path = P.pathOf(id), last = path[path.length - 1];
    this.problem(isTable ? `duplicate table \`[${displayPath(path)}]\`` : `duplicate key \`${typeof last === 'number' ? displayPath(path) : last}\``, start, end);
  }

  /** Registers `row` as implicitly creating table `id` (a header or dotted-key prefix). */
  protected extend(id: number, row: number, dotted: boolean, seg: KeySegment): void {
    const P = this.paths, x = P.explicit[id]!, first = P.first[id]!;
    if (dotted && first >= 0 && this.kindOf(first) <= K_ARRAY_TABLE) this.unsure = true;
    P.add(id, row, false, dotted);
    // Dotted keys may not reopen any defined table; headers may only pass through tables.
    if (x >= 0 && (dotted || this.kindOf(x) > K_ARRAY_TABLE) && !this.quiet) {
      this.problem(`\`${displayPath(P.pathOf(id))}\` is already defined`, seg.start, seg.end);
    }
  }

  protected keyValue(i: number, baseId: number, kind: number, inline: boolean): number {
    const t = this.t;
    const k = scanKey(t, i);
    if (k.error) {
      this.problem(k.error.message, k.error.start, k.error.end);
      return inline ? this.skipJunk(k.end) : lineEndAt(t, k.end);
    }
    let j = skipWs(t, k.end);
    if (t.charCodeAt(j) !== EQ) {
      this.problem('expected `=` after the key', i, k.end);
      return inline ? this.skipJunk(j) : lineEndAt(t, j);
    }
    const eq = j;
    j = skipWs(t, j + 1);
    const segs = k.segments, n = segs.length;
    let id = baseId;
    const mids: number[] = [];
    for (let s = 0; s < n; s++) {
      id = this.paths.child(id, segs[s]!.text);
      if (s < n - 1) mids.push(id);
    }
    const row = this.newRow(kind, id);
    this.setKey(row, i, k.end, segs);
    this.set(row, F_RS, i);
    const c = t.charCodeAt(j);
    const kv: PendingKey = { row, id, mids, segs, start: i, keyEnd: k.end, dup: false, inline };
    if (j >= t.length || c === LF || c === CR || c === HASH || (inline && (c === COMMA || c === RBRACE))) {
      this.problem('expected a value after `=`', eq, eq + 1);
      this.set(row, F_VKIND, V_INVALID);
      return this.keyDone(kv, eq + 1);
    }
    kv.dup = this.paths.first[id]! >= 0;
    if (kv.dup) this.quiet++;
    if (!inline) return this.keyDone(kv, this.value(j, id, row));
    const end = this.beginValue(j, id, row);
    if (end !== PENDING) return this.keyDone(kv, end);
    this.frames[this.frames.length - 2]!.key = kv; // finished when the container just opened is
    return PENDING;
  }

  /** The rest of a key/value once its value ends at `end`. */
  private keyDone(kv: PendingKey, end: number): number {
    if (kv.dup) this.quiet--;
    this.set(kv.row, F_RE, end);
    for (let s = 0; s < kv.mids.length; s++) this.extend(kv.mids[s]!, kv.row, true, kv.segs[s]!);
    this.define(kv.id, kv.row, kv.start, kv.keyEnd);
    if (!kv.inline) this.lastContentEnd = end;
    return end;
  }

  /** Parses the value at `i` into `row` (kind, range, string value); returns its end offset. */
  private value(i: number, id: number, row: number): number {
    const end = this.beginValue(i, id, row);
    return end === PENDING ? this.drive() : end;
  }

  /**
   * A scalar, string, or too-deep container: parsed, returns its end. An array or inline table:
   * opens a frame for `drive` and returns PENDING. Containers never recurse, so no document can
   * exhaust the stack; their nesting is capped at MAX_NESTING (deeper ones are skipped).
   */
  private beginValue(i: number, id: number, row: number): number {
    const t = this.t;
    const c = t.charCodeAt(i);
    let end: number, kind: number;
    if ((c === DQ || c === SQ) && this.plain && (end = plainStringEnd(t, i)) >= 0) { // most values: natively, no scan object
      kind = V_STRING;
      this.strs[row] = t.slice(i + 1, end - 1);
    } else if (c === DQ || c === SQ) {
      const s = scanString(t, i);
      end = s.end;
      kind = V_STRING;
      this.strs[row] = s.value;
      if (!s.terminated) this.problem(s.multiline ? 'unterminated multi-line string' : 'unterminated string', i, s.end);
      if (s.errors) for (const e of s.errors) this.problem(e.message, e.start, e.end);
    } else if ((c === LBRACK || c === LBRACE) && this.frames.length >= MAX_NESTING) {
      kind = c === LBRACK ? V_ARRAY : V_INLINE;
      end = this.skipNested(i);
      this.problem(`nested more than ${MAX_NESTING} levels deep: the positions inside this value are not indexed`, i, i + 1, 'toml-nesting');
    } else if (c === LBRACK && this.plain && (end = this.plainArray(i, id)) >= 0) {
      kind = V_ARRAY;
    } else if (c === LBRACK || c === LBRACE) {
      this.frames.push({ kind: c === LBRACK ? V_ARRAY : V_INLINE, start: i, id, row, at: i + 1, lastEnd: i + 1, idx: 0, item: -1, itemId: -1, itemStart: -1, before: -1, key: undefined });
      return PENDING;
    } else {
      const b = scanBare(t, i);
      end = b.end;
      kind = SCALAR_CODES[b.kind]!;
      if (kind === V_INVALID) {
        if (end === i) end = this.skipJunk(i);
        this.problem(end > i ? `invalid value \`${t.slice(i, end)}\`` : 'expected a value', i, Math.max(end, i + 1));
      }
    }
    this.valueDone(row, i, end, kind);
    return end;
  }

  /**
   * A one-line array of strings without escapes, `["GET", "POST"]` (most arrays in a policy): its
   * elements written in one go, the same rows, spans and checks as arrayStep + itemDone give them,
   * without a frame, so the general reader's functions do not all become hot and compiled on a
   * first document (#8 cold). Returns the array's end, or -1 with nothing written for any other
   * array (the general reader reads it).
   */
  private plainArray(i: number, id: number): number {
    const t = this.t, el = this.elems;
    el.n = 0;
    let j = skipWs(t, i + 1);
    for (let c = t.charCodeAt(j); c !== RBRACK; c = t.charCodeAt(j)) {
      const end = c === DQ || c === SQ ? plainStringEnd(t, j) : -1;
      if (end < 0) return -1;
      el.push(j);
      el.push(end);
      j = skipWs(t, end);
      const d = t.charCodeAt(j);
      if (d === COMMA) j = skipWs(t, j + 1);
      else if (d !== RBRACK) return -1;
    }
    for (let k = 0; k < el.n; k += 2) {
      const start = el.a[k]!, end = el.a[k + 1]!;
      const itemId = this.paths.child(id, k >> 1), item = this.newRow(K_ITEM, itemId), o = item * STRIDE, a = this.rows.a;
      this.strs[item] = t.slice(start + 1, end - 1);
      a[o + F_VS] = a[o + F_RS] = start;
      a[o + F_VE] = a[o + F_RE] = end;
      a[o + F_VKIND] = V_STRING;
      this.define(itemId, item, start, start + 1);
    }
    return j + 1;
  }

  private valueDone(row: number, start: number, end: number, kind: number): void {
    this.set(row, F_VS, start);
    this.set(row, F_VE, end);
    this.set(row, F_VKIND, kind);
  }

  /** Runs the containers opened by `value` (an explicit stack, not recursion); returns the outermost one's end. */
  private drive(): number {
    const frames = this.frames, base = frames.length - 1;
    for (;;) {
      let f = frames[frames.length - 1]!;
      let end = f.kind === V_ARRAY ? this.arrayStep(f) : this.inlineStep(f);
      while (end >= 0) { // `f` ended at `end`: finish it, then go on in its parent
        frames.pop();
        this.valueDone(f.row, f.start, end, f.kind);
        if (frames.length === base) return end;
        f = frames[frames.length - 1]!;
        end = f.kind === V_ARRAY ? this.itemDone(f, end) : this.entryDone(f, end);
      }
    }
  }

  /** Skips a too-deep array / inline table without recursion: brackets counted, strings and comments honoured. */
  private skipNested(start: number): number {
    const t = this.t;
    let i = start, open = 0;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === DQ || c === SQ) i = scanString(t, i).end;
      else if (c === HASH) i = lineEndAt(t, i);
      else if (c === LF || c === CR) {
        i = this.fill(i, true);
        if (this.stop) return i;
      } else {
        if (c === LBRACK || c === LBRACE) open++;
        else if ((c === RBRACK || c === RBRACE) && --open === 0) return i + 1;
        i++;
      }
    }
    return i;
  }

  private unterminated(f: Frame): number {
    this.problem(f.kind === V_ARRAY ? 'unterminated array: expected `]`' : 'unterminated inline table: expected `}`', f.start, f.start + 1);
    return f.lastEnd;
  }

  /** Reads array elements until the array ends (its end) or an element opens a container (PENDING). */
  private arrayStep(f: Frame): number {
    const t = this.t;
    for (;;) {
      const i = this.fill(f.at, true);
      if (this.stop || i >= t.length) return this.unterminated(f);
      const c = t.charCodeAt(i);
      if (c === RBRACK) return i + 1;
      if (c === COMMA) {
        this.problem('expected a value before `,`', i, i + 1);
        f.lastEnd = f.at = i + 1;
        continue;
      }
      if (c === RBRACE || c === EQ) { // cannot start a value: skip it
        this.problem(`unexpected \`${t[i]}\` in array`, i, i + 1);
        f.lastEnd = f.at = Math.max(i + 1, this.skipJunk(i));
        continue;
      }
      f.itemId = this.paths.child(f.id, f.idx++);
      f.item = this.newRow(K_ITEM, f.itemId);
      f.itemStart = i;
      const end = this.beginValue(i, f.itemId, f.item);
      if (end === PENDING) return PENDING;
      const r = this.itemDone(f, end);
      if (r !== CONTINUE) return r;
    }
  }

  /** The element being read ended at `end`: the array's end, or CONTINUE with the next element. */
  private itemDone(f: Frame, end: number): number {
    f.lastEnd = end;
    this.set(f.item, F_RS, f.itemStart);
    this.set(f.item, F_RE, end);
    this.define(f.itemId, f.item, f.itemStart, f.itemStart + 1);
    return this.separator(f, end);
  }

  /** After an element ending at `end`: `,` (CONTINUE), the closing bracket (the container's end), or a problem. */
  private separator(f: Frame, end: number): number {
    const t = this.t, array = f.kind === V_ARRAY;
    if (this.stop) return this.unterminated(f);
    const i = this.fill(end, array);
    if (this.stop || i >= t.length) return this.unterminated(f);
    const c = t.charCodeAt(i);
    f.at = i;
    // A trailing comma before `}` is allowed (TOML 1.1, as smol-toml); after a missing comma, read on as if it was there.
    if (c === COMMA) f.lastEnd = f.at = i + 1;
    else if (c === (array ? RBRACK : RBRACE)) return i + 1;
    else this.problem(array ? 'expected `,` or `]` in array' : 'expected `,` or `}` in inline table', i, i + 1);
    return CONTINUE;
  }

  /** Reads inline-table entries until the table ends (its end) or a value opens a container (PENDING). */
  private inlineStep(f: Frame): number {
    const t = this.t;
    for (;;) {
      const i = this.fill(f.at, false);
      if (this.stop || i >= t.length) return this.unterminated(f);
      const c = t.charCodeAt(i);
      if (c === RBRACE) return i + 1;
      f.before = i;
      let end: number;
      if (!isKeyStart(c)) {
        this.problem(c === COMMA ? 'expected a key before `,`' : 'expected a key in inline table', i, i + 1);
        end = c === COMMA ? i + 1 : this.skipJunk(i);
      } else {
        end = this.keyValue(i, f.id, K_INLINE, true);
        if (end === PENDING) return PENDING;
      }
      const r = this.entryDone(f, end);
      if (r !== CONTINUE) return r;
    }
  }

  /** The entry being read ended at `end`: the table's end, or CONTINUE with the next entry. */
  private entryDone(f: Frame, end: number): number {
    if (f.key) {
      end = this.keyDone(f.key, end);
      f.key = undefined;
    }
    f.lastEnd = f.at = Math.max(end, f.before + 1);
    return this.separator(f, f.at);
  }
}
