// The scanning pass of the TOML index: one linear, error-tolerant pass over the text that records
// nodes as rows (see store.ts), top-level statements (for context()) and problems.
// Recovery: a bad statement is skipped to its line end; an unterminated array / inline table ends
// before a line that must start a new statement (a header, or `key =`). Values: entries.ts.
import * as lexer from './lexer';
import type { PathSegment, Statements } from './context';
import { EntryReader, displayPath } from './entries';
import * as store from './store';

export type { SyntaxProblem } from './entries';

// Bound once: CommonJS transpilation (tsx in tests) turns each cross-module reference into a getter call.
const { CR, HASH, LBRACK, LF, RBRACK, isKeyStart, lineEndAt, scanKey, skipWs } = lexer;
const { F_HE, F_HS, F_RE, F_RS, IntList, K_ARRAY_TABLE, K_KEY_VALUE, K_TABLE } = store;

/** Blank and comment lines, each ended by LF (used when the text has no CR). */
const TRIVIA_LINES = /(?:[ \t]*(?:#[^\n]*)?\n)*/y;

export class Builder extends EntryReader implements Statements {
  /** Top-level statements for context(): (start, extent end, table path id in effect, is-header) quadruples. */
  private readonly st = new IntList(1024);
  readonly arrays = new Map<number, number>(); // array-of-tables path id -> element count
  private tableId = 0;
  private tableRow = -1;

  get count(): number { return this.st.n / 4; }
  start(k: number): number { return this.st.a[4 * k]!; }
  end(k: number): number { return this.st.a[4 * k + 1]!; }
  header(k: number): boolean { return this.st.a[4 * k + 3] === 1; }
  table(k: number): PathSegment[] { return this.paths.pathOf(this.st.a[4 * k + 2]!); }

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
      const o = this.st.reserve(4), st = this.st.a;
      st[o] = start;
      st[o + 1] = Math.max(end, start + 1);
      st[o + 2] = this.tableId;
      st[o + 3] = header ? 1 : 0;
      if (i <= start) i = start + 1; // guarantee progress
    }
    this.finishTable();
    // Kept as long as the document is open: without the spare capacity of the growable lists.
    for (const l of [this.rows, this.segs, this.st]) l.trim();
    this.paths.trim();
  }

  private skipTrivia(i: number): number {
    const t = this.t;
    if (!this.lm.hasCr) { // whole blank and comment lines at once, natively: no loop hot enough to be compiled on its own
      TRIVIA_LINES.lastIndex = i;
      if (TRIVIA_LINES.test(t)) i = TRIVIA_LINES.lastIndex;
    }
    for (;;) {
      i = skipWs(t, i);
      const c = t.charCodeAt(i);
      if (c === LF || c === CR) i++;
      else if (c === HASH) i = this.commentEnd(i);
      else return i;
    }
  }

  /** lineEndAt for a comment; without any CR in the document, a native indexOf (cold runs are interpreted). */
  private commentEnd(i: number): number {
    if (!this.lm.hasCr) {
      const e = this.t.indexOf('\n', i);
      return e < 0 ? this.t.length : e;
    }
    return lineEndAt(this.t, i);
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
        if (newArray && P.first[id]! >= 0) this.unsure = true; // smol-toml: only a fresh key may become an array of tables
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
        if (newArray && P.explicit[ids[p]!]! >= 0) this.problem(`\`${displayPath(P.pathOf(ids[p]!))}\` is already defined`, seg.start, seg.end);
        P.add(ids[p]!, row, false, false);
      } else this.extend(ids[p]!, row, false, seg);
    }
    this.define(id, row, segs[0]!.start, k.end);
    this.tableId = id;
    this.tableRow = row;
    this.lastContentEnd = j;
    return j;
  }
}
