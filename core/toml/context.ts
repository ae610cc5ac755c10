// Cursor context for completion: what is being typed at a position of a possibly broken document.
// The index records every top-level statement (header / key-value, including unterminated ones and
// their recovery extent); we re-lex only the statement around the cursor, up to the cursor.
import {
  COMMA, DOT, DQ, EQ, HASH, LBRACE, LBRACK, LF, CR, RBRACE, RBRACK, SQ,
  isBareKeyChar, lineEndAt, scanBare, scanString, skipWs, type LineMap, type Position, type Range,
} from './lexer';

export type PathSegment = string | number;

export interface CursorContext {
  /** Table in effect (nearest header above, array tables resolved to their index); [] inside a header. */
  tablePath: PathSegment[];
  /** Key segments typed before the cursor; in a header: header segments; in an inline table: relative to valuePath. */
  keyPath: string[];
  inKey: boolean;
  inHeader: boolean;
  inValue: boolean;
  /** Value: path of the key whose value holds the cursor (array elements: the array's path, see arrayIndex).
   *  Key position inside an inline table: the inline table's path. */
  valuePath?: PathSegment[];
  inString: boolean;
  prefix: string;
  prefixRange: Range;
  /** Index of the element being typed when the innermost container is an array. */
  arrayIndex?: number;
}

/** Top-level statements in document order: first char, end of extent (line end, or recovery point),
 *  whether it is a header, and the table path in effect after it. */
export interface Statements {
  readonly count: number;
  start(k: number): number;
  end(k: number): number;
  header(k: number): boolean;
  table(k: number): PathSegment[];
}

interface Frame { kind: 'array' | 'inline'; path: PathSegment[]; index: number }

export function computeContext(t: string, lm: LineMap, stmts: Statements, pos: Position): CursorContext {
  const cur = lm.offsetAt(pos);
  let lo = 0, hi = stmts.count - 1, k = -1; // last statement starting strictly before the cursor
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (stmts.start(mid) < cur) { k = mid; lo = mid + 1; } else hi = mid - 1;
  }
  const base: CursorContext = {
    tablePath: k >= 0 ? stmts.table(k) : [], keyPath: [], inKey: false, inHeader: false, inValue: false, inString: false,
    prefix: '', prefixRange: lm.range(cur, cur),
  };
  if (k >= 0 && cur <= stmts.end(k)) {
    const start = stmts.start(k);
    return stmts.header(k) ? lexHeader(t, lm, start, cur, base) : lexKeyValue(t, lm, start, cur, base);
  }
  // Between statements: a key can start here if only whitespace precedes the cursor on its line.
  const ls = lm.offsetAt({ line: lm.lineOf(cur), character: 0 });
  return skipWs(t, ls) >= cur ? { ...base, inKey: true } : base;
}

function withPrefix(lm: LineMap, ctx: CursorContext, start: number, cur: number, t: string): CursorContext {
  ctx.prefix = t.slice(start, cur);
  ctx.prefixRange = lm.range(start, cur);
  return ctx;
}

function lexHeader(t: string, lm: LineMap, start: number, cur: number, base: CursorContext): CursorContext {
  let i = start + (t.charCodeAt(start + 1) === LBRACK ? 2 : 1);
  const segs: string[] = [];
  const inKey = (start: number, inString: boolean): CursorContext =>
    withPrefix(lm, { ...base, tablePath: [], inHeader: true, inKey: true, inString, keyPath: segs }, start, cur, t);
  for (;;) {
    i = skipWs(t, i);
    if (i >= cur) return inKey(cur, false);
    const c = t.charCodeAt(i);
    if (c === DQ || c === SQ) {
      const s = scanString(t, i);
      if (!s.terminated || s.end > cur) return inKey(Math.min(i + 1, cur), true);
      segs.push(s.value);
      i = s.end;
    } else if (isBareKeyChar(c)) {
      let j = i + 1;
      while (isBareKeyChar(t.charCodeAt(j))) j++;
      if (j >= cur) return inKey(i, false);
      segs.push(t.slice(i, j));
      i = j;
    } else return base; // after `]`, in a trailing comment, or junk
    i = skipWs(t, i);
    if (i >= cur) return { ...base, tablePath: [], inHeader: true, keyPath: segs };
    if (t.charCodeAt(i) !== DOT) return base;
    i++;
  }
}

function lexKeyValue(t: string, lm: LineMap, start: number, cur: number, base: CursorContext): CursorContext {
  const stack: Frame[] = [];
  let i = start;
  let mode: 'key' | 'value' | 'after' = 'key';
  let valuePath: PathSegment[] = [];
  // Skips whitespace, comments and (inside containers) newlines; -1 when the cursor is in a comment.
  const fill = (j: number, newlines: boolean): number => {
    for (;;) {
      j = skipWs(t, j);
      if (j >= cur) return j;
      const c = t.charCodeAt(j);
      if (c === HASH) {
        const e = lineEndAt(t, j);
        if (e >= cur) return -1;
        j = e;
      } else if (newlines && (c === LF || c === CR)) j++;
      else return j;
    }
  };
  const valueCtx = (start: number, inString: boolean): CursorContext => {
    const top = stack[stack.length - 1];
    const ctx: CursorContext = { ...base, inValue: true, inString, valuePath: top?.kind === 'array' ? top.path : valuePath };
    if (top?.kind === 'array') ctx.arrayIndex = top.index;
    return withPrefix(lm, ctx, start, cur, t);
  };
  for (let guard = 0; guard < 1e6; guard++) {
    const top = stack[stack.length - 1];
    if (mode === 'key') {
      i = top ? fill(i, true) : skipWs(t, i);
      if (i < 0) return base;
      const segs: string[] = [];
      const keyCtx = (start: number, inString: boolean): CursorContext => {
        const ctx: CursorContext = { ...base, inKey: true, inString, keyPath: segs };
        if (top) ctx.valuePath = top.path;
        return withPrefix(lm, ctx, start, cur, t);
      };
      if (i >= cur) return keyCtx(cur, false);
      if (top && t.charCodeAt(i) === RBRACE) { stack.pop(); i++; mode = 'after'; continue; }
      for (;;) {
        const c = t.charCodeAt(i);
        if (c === DQ || c === SQ) {
          const s = scanString(t, i);
          if (!s.terminated || s.end > cur) return keyCtx(Math.min(i + 1, cur), true);
          segs.push(s.value);
          i = s.end;
        } else if (isBareKeyChar(c)) {
          let j = i + 1;
          while (isBareKeyChar(t.charCodeAt(j))) j++;
          if (j >= cur) return keyCtx(i, false);
          segs.push(t.slice(i, j));
          i = j;
        } else return base;
        i = skipWs(t, i);
        if (i >= cur) return base; // between a complete key and `=`
        const d = t.charCodeAt(i);
        if (d === DOT) {
          i = skipWs(t, i + 1);
          if (i >= cur) return keyCtx(cur, false);
          continue;
        }
        if (d !== EQ) return base;
        i++;
        valuePath = [...(top ? top.path : base.tablePath), ...segs];
        mode = 'value';
        break;
      }
    } else if (mode === 'value') {
      const inArray = top?.kind === 'array';
      i = inArray ? fill(i, true) : skipWs(t, i);
      if (i < 0) return base;
      if (i >= cur) return valueCtx(cur, false);
      const c = t.charCodeAt(i);
      if (inArray && c === RBRACK) { stack.pop(); i++; mode = 'after'; continue; }
      const containerPath = inArray ? [...top.path, top.index] : valuePath;
      if (c === DQ || c === SQ) {
        const s = scanString(t, i);
        if (s.terminated ? cur <= s.contentEnd : cur <= s.end) {
          const lineStart = lm.starts[lm.lineOf(cur)]!;
          return valueCtx(Math.min(cur, Math.max(s.contentStart, lineStart)), true);
        }
        i = s.end;
        mode = 'after';
      } else if (c === LBRACK) {
        stack.push({ kind: 'array', path: containerPath, index: 0 });
        i++;
      } else if (c === LBRACE) {
        stack.push({ kind: 'inline', path: containerPath, index: 0 });
        i++;
        mode = 'key';
      } else {
        const b = scanBare(t, i);
        if (b.end === i) return base;
        if (b.end >= cur) return valueCtx(i, false);
        i = b.end;
        mode = 'after';
      }
    } else {
      if (!top) return base; // after a complete top-level value
      i = fill(i, true);
      if (i < 0 || i >= cur) return base;
      const c = t.charCodeAt(i);
      i++;
      if (c === COMMA) {
        if (top.kind === 'array') { top.index++; mode = 'value'; } else mode = 'key';
      } else if ((c === RBRACK && top.kind === 'array') || (c === RBRACE && top.kind === 'inline')) stack.pop();
      else return base;
    }
  }
  return base;
}
