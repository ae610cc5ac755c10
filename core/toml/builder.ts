// The scanning pass of the TOML index: one linear, error-tolerant pass over the text that records
// nodes as rows (see store.ts), nodeAt spans, top-level statements (for context()) and problems.
// Recovery: a bad statement is skipped to its line end; an unterminated array / inline table ends
// before a line that must start a new statement (a header, or `key =`).
import * as lexer from './lexer';
import type { KeySegment, Range } from './lexer';
import type { PathSegment, Statements } from './context';
import * as store from './store';

/** `code` marks problems that are reported as diagnostics of their own (the TOML syntax error comes from smol-toml). */
export interface SyntaxProblem { message: string; range: Range; code?: 'toml-nesting' }

// Bound once: CommonJS transpilation (tsx in tests) turns each cross-module reference into a getter call.
const {
  COMMA, CR, DQ, EQ, HASH, LBRACE, LBRACK, LF, RBRACE, RBRACK, SQ,
  LineMap, isKeyStart, lineEndAt, looksLikeHeaderLine, looksLikeKeyAssign, scanBare, scanKey, scanString, skipWs,
} = lexer;
const {
  F_HE, F_HS, F_KE, F_KIND, F_KS, F_NSEG, F_RE, F_RS, F_SEG, F_VE, F_VKIND, F_VS, IntList,
  K_ARRAY_TABLE, K_INLINE, K_ITEM, K_KEY_VALUE, K_TABLE, Paths, STRIDE,
} = store;

function displayPath(path: readonly PathSegment[]): string {
  return path.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s))).join('.');
}

/** Arrays / inline tables nested deeper than this are skipped with one problem (no real policy comes close). */
const MAX_NESTING = 32;

const V_STRING = 0, V_ARRAY = 5, V_INLINE = 6, V_INVALID = 7;
const SCALAR_CODES: Record<string, number> = { integer: 1, float: 2, boolean: 3, datetime: 4, invalid: V_INVALID };

export class Builder implements Statements {
  readonly lm: lexer.LineMap;
  readonly problems: SyntaxProblem[] = [];
  readonly paths: store.Paths = new Paths();
  readonly rows: store.IntList = new IntList(4096);   // node rows (STRIDE ints each), document order
  readonly segs = new IntList(1024);   // key segment (start, end) pairs, referenced by rows
  readonly strs: string[] = [];        // decoded string value by row
  // nodeAt spans (key/value/header extents) in start order, and the row owning each
  readonly spanStart = new IntList(4096);
  readonly spanEnd = new IntList(4096);
  readonly spanRow = new IntList(4096);
  // top-level statements for context(): start, extent end, table path id in effect, is-header
  private readonly stStart = new IntList();
  private readonly stEnd = new IntList();
  private readonly stTable = new IntList();
  private readonly stHeader = new IntList();
  private readonly arrays = new Map<number, number>(); // array-of-tables path id -> element count
  private tableId = 0;
  private tableRow = -1;
  private lastContentEnd = 0;
  private stop = false; // set by a container that hit a line that must start a new statement...
  private stopAt = 0;   // ...at this offset (start of that line)
  private quiet = 0;    // > 0 inside the value of a duplicate key: its children would only repeat the problem
  private depth = 0;    // arrays / inline tables open around the current value

  constructor(readonly t: string) { this.lm = new LineMap(t); }

  get count(): number { return this.stStart.n; }
  start(k: number): number { return this.stStart.a[k]!; }
  end(k: number): number { return this.stEnd.a[k]!; }
  header(k: number): boolean { return this.stHeader.a[k] === 1; }
  table(k: number): PathSegment[] { return this.paths.pathOf(this.stTable.a[k]!); }

  run(): void {
    const t = this.t, n = t.length;
    let i = t.charCodeAt(0) === 0xfeff ? 1 : 0;
    for (;;) {
      i = this.skipTrivia(i);
      if (i >= n) break;
      const start = i, c = t.charCodeAt(i), header = c === LBRACK;
      this.stop = false;
      if (header) i = this.parseHeader(i);
      else if (isKeyStart(c)) i = this.keyValue(i, this.tableId, K_KEY_VALUE, false);
      else {
        this.problem('expected a key or a table header', i, i + 1);
        i = lineEndAt(t, i);
      }
      let end: number;
      if (this.stop) { // the statement's extent ends at the line break before the recovery line
        i = this.stopAt;
        end = i - (t.charCodeAt(i - 2) === CR ? 2 : 1);
      } else end = i = this.endOfLine(i);
      this.stStart.push(start);
      this.stEnd.push(Math.max(end, start + 1));
      this.stTable.push(this.tableId);
      this.stHeader.push(header ? 1 : 0);
      if (i <= start) i = start + 1; // guarantee progress
    }
    this.finishTable();
    // Kept as long as the document is open: without the spare capacity of the growable lists.
    for (const l of [this.rows, this.segs, this.spanStart, this.spanEnd, this.spanRow, this.stStart, this.stEnd, this.stTable, this.stHeader]) l.trim();
    this.paths.trim();
  }

  private problem(message: string, start: number, end: number, code?: SyntaxProblem['code']): void {
    this.problems.push({ message, range: this.lm.range(start, Math.max(start, end)), ...(code ? { code } : {}) });
  }

  private newRow(kind: number, pathId: number): number {
    const rows = this.rows, row = rows.n / STRIDE;
    rows.push(kind);
    rows.push(pathId);
    for (let f = 2; f < STRIDE; f++) rows.push(-1);
    return row;
  }
  private set(row: number, field: number, v: number): void { this.rows.a[row * STRIDE + field] = v; }
  private kindOf(row: number): number { return this.rows.a[row * STRIDE + F_KIND]!; }
  private setKey(row: number, start: number, end: number, segs: readonly KeySegment[]): void {
    this.set(row, F_KS, start);
    this.set(row, F_KE, end);
    this.set(row, F_SEG, this.segs.n);
    this.set(row, F_NSEG, segs.length);
    for (const s of segs) { this.segs.push(s.start); this.segs.push(s.end); }
  }
  private span(start: number, end: number, row: number): number {
    this.spanStart.push(start);
    this.spanEnd.push(end);
    return this.spanRow.push(row);
  }

  private skipTrivia(i: number): number {
    const t = this.t;
    for (;;) {
      i = skipWs(t, i);
      const c = t.charCodeAt(i);
      if (c === LF || c === CR) i++;
      else if (c === HASH) i = lineEndAt(t, i);
      else return i;
    }
  }

  private endOfLine(i: number): number {
    const t = this.t;
    i = skipWs(t, i);
    const c = t.charCodeAt(i);
    if (i >= t.length || c === LF || c === CR) return i;
    const e = lineEndAt(t, i);
    if (c !== HASH) this.problem('expected end of line', i, e);
    return e;
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
  private define(id: number, row: number, start: number, end: number): void {
    const P = this.paths, isTable = this.kindOf(row) <= K_ARRAY_TABLE;
    const clash = P.first.a[id]! >= 0 && (!isTable || P.explicit.a[id]! >= 0 || P.dotted.a[id] === 1);
    P.add(id, row, true, false);
    if (!clash || this.quiet) return;
    const path = P.pathOf(id), last = path[path.length - 1];
    this.problem(isTable ? `duplicate table \`[${displayPath(path)}]\`` : `duplicate key \`${typeof last === 'number' ? displayPath(path) : last}\``, start, end);
  }

  /** Registers `row` as implicitly creating table `id` (a header or dotted-key prefix). */
  private extend(id: number, row: number, dotted: boolean, seg: KeySegment): void {
    const P = this.paths, x = P.explicit.a[id]!;
    P.add(id, row, false, dotted);
    // Dotted keys may not reopen any defined table; headers may only pass through tables.
    if (x >= 0 && (dotted || this.kindOf(x) > K_ARRAY_TABLE) && !this.quiet) {
      this.problem(`\`${displayPath(P.pathOf(id))}\` is already defined`, seg.start, seg.end);
    }
  }

  private finishTable(): void {
    if (this.tableRow >= 0) this.set(this.tableRow, F_RE, this.lastContentEnd);
  }

  private parseHeader(start: number): number {
    const t = this.t;
    const dbl = t.charCodeAt(start + 1) === LBRACK;
    const k = scanKey(t, skipWs(t, start + (dbl ? 2 : 1)));
    if (k.error) {
      this.problem(k.error.message, k.error.start, k.error.end);
      return lineEndAt(t, start);
    }
    let j = skipWs(t, k.end);
    if (t.charCodeAt(j) === RBRACK && (!dbl || t.charCodeAt(j + 1) === RBRACK)) j += dbl ? 2 : 1;
    else {
      this.problem(dbl ? 'expected `]]` to close the array-of-tables header' : 'expected `]` to close the table header', j, j + 1);
      j = k.end;
    }
    this.finishTable();
    const segs = k.segments, P = this.paths;
    // Resolve the path (a prefix that is an array of tables means its latest element), then register.
    const ids: number[] = [], segOf: number[] = [];
    let id = 0, newArray = false;
    for (let s = 0; s < segs.length; s++) {
      ids.push((id = P.child(id, segs[s]!.text)));
      segOf.push(s);
      const count = this.arrays.get(id);
      if (s < segs.length - 1) {
        if (count === undefined) continue;
        ids.push((id = P.child(id, count - 1)));
      } else if (dbl) {
        newArray = count === undefined;
        this.arrays.set(id, (count ?? 0) + 1);
        ids.push((id = P.child(id, count ?? 0)));
      } else {
        if (count !== undefined) this.problem(`\`${displayPath(P.pathOf(id))}\` is already an array of tables`, segs[s]!.start, segs[s]!.end);
        continue;
      }
      segOf.push(s);
    }
    const row = this.newRow(dbl ? K_ARRAY_TABLE : K_TABLE, id);
    this.setKey(row, segs[0]!.start, k.end, segs);
    this.set(row, F_HS, start);
    this.set(row, F_HE, j);
    this.set(row, F_RS, start);
    for (let p = 0; p < ids.length - 1; p++) {
      const seg = segs[segOf[p]!]!;
      if (dbl && p === ids.length - 2) { // the array itself
        if (newArray && P.explicit.a[ids[p]!]! >= 0) this.problem(`\`${displayPath(P.pathOf(ids[p]!))}\` is already defined`, seg.start, seg.end);
        P.add(ids[p]!, row, false, false);
      } else this.extend(ids[p]!, row, false, seg);
    }
    this.define(id, row, segs[0]!.start, k.end);
    this.span(start, j, row);
    this.span(segs[0]!.start, k.end, row);
    this.tableId = id;
    this.tableRow = row;
    this.lastContentEnd = j;
    return j;
  }

  private keyValue(i: number, baseId: number, kind: number, inline: boolean): number {
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
    this.span(i, k.end, row);
    const c = t.charCodeAt(j);
    if (j >= t.length || c === LF || c === CR || c === HASH || (inline && (c === COMMA || c === RBRACE))) {
      this.problem('expected a value after `=`', eq, eq + 1);
      j = eq + 1;
      this.set(row, F_VKIND, V_INVALID);
    } else {
      const dup = this.paths.first.a[id]! >= 0;
      if (dup) this.quiet++;
      j = this.value(j, id, row);
      if (dup) this.quiet--;
    }
    this.set(row, F_RE, j);
    for (let s = 0; s < mids.length; s++) this.extend(mids[s]!, row, true, segs[s]!);
    this.define(id, row, i, k.end);
    if (!inline) this.lastContentEnd = j;
    return j;
  }

  /** Parses the value at `i` into `row` (kind, range, string value); returns its end offset. */
  private value(i: number, id: number, row: number): number {
    const t = this.t;
    const c = t.charCodeAt(i);
    const sp = this.span(i, i, row);
    let end: number, kind: number;
    if (c === DQ || c === SQ) {
      const s = scanString(t, i);
      end = s.end;
      kind = V_STRING;
      this.strs[row] = s.value;
      if (!s.terminated) this.problem(s.multiline ? 'unterminated multi-line string' : 'unterminated string', i, s.end);
      if (s.errors) for (const e of s.errors) this.problem(e.message, e.start, e.end);
    } else if ((c === LBRACK || c === LBRACE) && this.depth >= MAX_NESTING) {
      kind = c === LBRACK ? V_ARRAY : V_INLINE;
      end = this.skipNested(i);
      this.problem(`nested more than ${MAX_NESTING} levels deep: the positions inside this value are not indexed`, i, i + 1, 'toml-nesting');
    } else if (c === LBRACK || c === LBRACE) {
      kind = c === LBRACK ? V_ARRAY : V_INLINE;
      this.depth++;
      end = c === LBRACK ? this.array(i, id) : this.inlineTable(i, id);
      this.depth--;
    } else {
      const b = scanBare(t, i);
      end = b.end;
      kind = SCALAR_CODES[b.kind]!;
      if (kind === V_INVALID) {
        if (end === i) end = this.skipJunk(i);
        this.problem(end > i ? `invalid value \`${t.slice(i, end)}\`` : 'expected a value', i, Math.max(end, i + 1));
      }
    }
    this.spanEnd.a[sp] = end;
    this.set(row, F_VS, i);
    this.set(row, F_VE, end);
    this.set(row, F_VKIND, kind);
    return end;
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

  private array(start: number, id: number): number {
    const t = this.t;
    let i = start + 1, idx = 0, lastEnd = i;
    for (;;) {
      i = this.fill(i, true);
      if (this.stop || i >= t.length) break;
      let c = t.charCodeAt(i);
      if (c === RBRACK) return i + 1;
      if (c === COMMA) {
        this.problem('expected a value before `,`', i, i + 1);
        lastEnd = ++i;
        continue;
      }
      if (c === RBRACE || c === EQ) { // cannot start a value: skip it
        this.problem(`unexpected \`${t[i]}\` in array`, i, i + 1);
        lastEnd = i = Math.max(i + 1, this.skipJunk(i));
        continue;
      }
      const itemId = this.paths.child(id, idx++);
      const row = this.newRow(K_ITEM, itemId), vs = i;
      lastEnd = i = this.value(i, itemId, row);
      this.set(row, F_RS, vs);
      this.set(row, F_RE, i);
      this.define(itemId, row, vs, vs + 1);
      if (this.stop) break;
      i = this.fill(i, true);
      if (this.stop || i >= t.length) break;
      c = t.charCodeAt(i);
      if (c === COMMA) lastEnd = ++i;
      else if (c === RBRACK) return i + 1;
      else this.problem('expected `,` or `]` in array', i, i + 1); // then read on as if a comma was there
    }
    this.problem('unterminated array: expected `]`', start, start + 1);
    return lastEnd;
  }

  private inlineTable(start: number, id: number): number {
    const t = this.t;
    let i = start + 1, lastEnd = i;
    for (;;) {
      i = this.fill(i, false);
      if (this.stop || i >= t.length) break;
      let c = t.charCodeAt(i);
      if (c === RBRACE) return i + 1;
      const before = i;
      if (!isKeyStart(c)) {
        this.problem(c === COMMA ? 'expected a key before `,`' : 'expected a key in inline table', i, i + 1);
        i = c === COMMA ? i + 1 : this.skipJunk(i);
      } else i = this.keyValue(i, id, K_INLINE, true);
      lastEnd = i = Math.max(i, before + 1);
      if (this.stop) break;
      i = this.fill(i, false);
      if (this.stop || i >= t.length) break;
      c = t.charCodeAt(i);
      if (c === COMMA) lastEnd = ++i; // a trailing comma before `}` is allowed (TOML 1.1, as smol-toml)
      else if (c === RBRACE) return i + 1;
      else this.problem('expected `,` or `}` in inline table', i, i + 1); // then read on as if a comma was there
    }
    this.problem('unterminated inline table: expected `}`', start, start + 1);
    return lastEnd;
  }
}
