// Low-level TOML lexing helpers shared by the position index (positions.ts) and the cursor
// context analysis (context.ts). Everything works on UTF-16 offsets into the original text
// and never throws: malformed input yields `terminated: false` / `error` / kind 'invalid'.

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

export const TAB = 9, LF = 10, CR = 13, SPACE = 32, DQ = 34, HASH = 35, SQ = 39, COMMA = 44,
  DOT = 46, EQ = 61, LBRACK = 91, BSLASH = 92, RBRACK = 93, LBRACE = 123, RBRACE = 125;

export function isBareKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}
// Characters that can appear in an unquoted value: numbers, booleans, dates, inf/nan.
function isBareValueChar(c: number): boolean {
  return isBareKeyChar(c) || c === 43 || c === DOT || c === 58;
}
export function isKeyStart(c: number): boolean { return isBareKeyChar(c) || c === DQ || c === SQ; }
export function skipWs(t: string, i: number): number {
  let c = t.charCodeAt(i);
  while (c === SPACE || c === TAB) c = t.charCodeAt(++i);
  return i;
}
/** Offset of the line break (or EOF) ending the line that contains `i`. */
export function lineEndAt(t: string, i: number): number {
  for (let c = t.charCodeAt(i); i < t.length && c !== LF && c !== CR; c = t.charCodeAt(++i));
  return i;
}

/** Line table for offset <-> LSP position. A leading BOM occupies no column. */
export class LineMap {
  readonly starts: number[] = [0];
  private readonly bom: number;
  /** Whether the text has any CR (else every line break is a lone LF). */
  readonly hasCr: boolean;
  private hint = 0;
  constructor(private readonly text: string) {
    this.bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    this.hasCr = text.indexOf('\r') >= 0;
    if (!this.hasCr) { // the usual case: indexOf is native even before the JIT has warmed up
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
      return;
    }
    // LSP treats \n, \r\n and a lone \r as line breaks; so do we.
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === LF) this.starts.push(i + 1);
      else if (c === CR) {
        if (text.charCodeAt(i + 1) === LF) i++;
        this.starts.push(i + 1);
      }
    }
  }
  lineOf(offset: number): number {
    const s = this.starts;
    const h = this.hint; // scans are mostly monotonic: try the last line first
    if (s[h]! <= offset && (h + 1 >= s.length || s[h + 1]! > offset)) return h;
    if (h + 2 < s.length && s[h + 1]! <= offset && s[h + 2]! > offset) return (this.hint = h + 1);
    let lo = 0, hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    return (this.hint = lo);
  }
  positionAt(offset: number): Position {
    offset = Math.max(0, Math.min(offset, this.text.length));
    const t = this.text;
    if (t.charCodeAt(offset) === LF && t.charCodeAt(offset - 1) === CR) offset--; // not between \r and \n
    const line = this.lineOf(offset);
    const skip = line === 0 ? this.bom : 0;
    return { line, character: Math.max(0, offset - this.starts[line]! - skip) };
  }
  range(start: number, end: number): Range { return { start: this.positionAt(start), end: this.positionAt(end) }; }
  /** Offset of the end of the line's content (before its line break). */
  lineContentEnd(line: number): number {
    const next = this.starts[line + 1];
    if (next === undefined) return this.text.length;
    let e = next - 1;
    if (this.text.charCodeAt(e) === LF && this.text.charCodeAt(e - 1) === CR) e--;
    return e;
  }
  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.starts.length) return this.text.length;
    const start = this.starts[pos.line]! + (pos.line === 0 ? this.bom : 0);
    return Math.min(start + Math.max(0, pos.character), this.lineContentEnd(pos.line));
  }
}

interface LexError { message: string; start: number; end: number }
export interface KeySegment { text: string; start: number; end: number; quoted: boolean }
/** Every result has all three fields (one object shape, #8 lsp-jit). */
export interface KeyScan { segments: KeySegment[]; end: number; error: LexError | undefined }

/** Scans a (possibly dotted) key starting at `i`. `end` is the end of the last segment. */
export function scanKey(t: string, i: number): KeyScan {
  const segments: KeySegment[] = [];
  for (;;) {
    const c = t.charCodeAt(i);
    if (c === DQ || c === SQ) {
      const s = scanString(t, i);
      if (s.multiline) {
        return { segments, end: i, error: { message: 'multi-line strings cannot be keys', start: i, end: s.end } };
      }
      segments.push({ text: s.value, start: i, end: s.end, quoted: true });
      if (!s.terminated) return { segments, end: s.end, error: { message: 'unterminated quoted key', start: i, end: s.end } };
      if (s.errors) return { segments, end: s.end, error: s.errors[0]! }; // a bad escape in a quoted key
      i = s.end;
    } else if (isBareKeyChar(c)) {
      let j = i + 1;
      while (isBareKeyChar(t.charCodeAt(j))) j++;
      segments.push({ text: t.slice(i, j), start: i, end: j, quoted: false });
      i = j;
    } else {
      const message = segments.length ? 'expected a key after `.`' : 'expected a key';
      return { segments, end: i, error: { message, start: i, end: Math.min(i + 1, lineEndAt(t, i)) } };
    }
    const j = skipWs(t, i);
    if (t.charCodeAt(j) !== DOT) return { segments, end: i, error: undefined };
    i = skipWs(t, j + 1);
  }
}

export interface StringScan {
  end: number;            // offset after the closing delimiter (or where the unterminated string stops)
  contentStart: number;   // offset after the opening delimiter
  contentEnd: number;     // offset of the closing delimiter
  value: string;          // decoded value
  terminated: boolean;
  multiline: boolean;
  errors: LexError[] | undefined;
}

/** Scans a basic/literal, single-/multi-line string starting at the quote at `i`. */
export function scanString(t: string, i: number): StringScan {
  const q = t.charCodeAt(i);
  const literal = q === SQ;
  const multiline = t.charCodeAt(i + 1) === q && t.charCodeAt(i + 2) === q;
  let errors: LexError[] | undefined; // allocated on the first problem: most strings have none
  let contentStart: number, contentEnd: number, end: number, terminated = false, escapes = false;
  if (!multiline) {
    contentStart = i + 1;
    let j = contentStart;
    for (; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === q) { terminated = true; break; }
      if (c === LF || c === CR) break;
      if (c === BSLASH && !literal) {
        escapes = true;
        const d = t.charCodeAt(j + 1);
        if (d !== LF && d !== CR) j++; // skip the escaped char (it may be a quote)
      }
    }
    contentEnd = j;
    end = terminated ? j + 1 : j;
  } else {
    contentStart = i + 3;
    let j = contentStart;
    contentEnd = end = -1;
    for (; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === BSLASH && !literal) { escapes = true; j++; continue; }
      if (c === q && t.charCodeAt(j + 1) === q && t.charCodeAt(j + 2) === q) {
        let r = 3; // up to two quotes may directly precede the closing delimiter
        while (t.charCodeAt(j + r) === q) r++;
        if (r > 5) (errors ??= []).push({ message: 'too many quotes at the end of a multi-line string', start: j, end: j + r });
        contentEnd = j + r - 3; end = j + r; terminated = true;
        break;
      }
    }
    if (!terminated) {
      // Recover: stop before the next line that looks like a table header, so the rest still indexes.
      contentEnd = end = t.length;
      for (let ls = nextLineStart(t, i); ls < t.length; ls = nextLineStart(t, ls)) {
        if (looksLikeHeaderLine(t, ls)) {
          end = contentEnd = ls - (t.charCodeAt(ls - 2) === CR ? 2 : 1);
          break;
        }
      }
    }
  }
  let vs = contentStart;
  if (multiline) { // a newline right after the opening delimiter is trimmed
    if (t.charCodeAt(vs) === LF) vs++;
    else if (t.charCodeAt(vs) === CR && t.charCodeAt(vs + 1) === LF) vs += 2;
    vs = Math.min(vs, contentEnd);
  }
  const value = escapes ? decodeBasic(t, vs, contentEnd, multiline, (errors ??= [])) : t.slice(vs, contentEnd);
  // One object shape for every result (errors present or not): its readers stay monomorphic (#8 lsp-jit).
  return { end, contentStart, contentEnd, value, terminated, multiline, errors: errors?.length ? errors : undefined };
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' };
const HEX_LEN: Record<string, number> = { x: 2, u: 4, U: 8 };

function decodeBasic(t: string, start: number, end: number, multiline: boolean, errors: LexError[]): string {
  let out = '', last = start;
  for (let j = start; j < end; j++) {
    if (t.charCodeAt(j) !== BSLASH) continue;
    out += t.slice(last, j);
    const e = t[j + 1] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    const hexLen = HEX_LEN[e];
    if (simple !== undefined) { out += simple; last = j + 2; j++; continue; }
    if (hexLen !== undefined) {
      const hex = t.slice(j + 2, j + 2 + hexLen);
      const cp = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === hexLen ? parseInt(hex, 16) : -1;
      if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        errors.push({ message: `invalid escape \`\\${e}${hex}\``, start: j, end: Math.min(j + 2 + hexLen, end) });
        out += t.slice(j, j + 2); last = j + 2; j++; continue;
      }
      out += String.fromCodePoint(cp); last = j + 2 + hexLen; j = last - 1; continue;
    }
    if (multiline) { // line-ending backslash: trim the newline and all following whitespace
      let k = skipWs(t, j + 1);
      const c = t.charCodeAt(k);
      if (c === LF || c === CR) {
        for (let d = t.charCodeAt(k); k < end && (d === SPACE || d === TAB || d === LF || d === CR); d = t.charCodeAt(++k));
        last = k; j = k - 1; continue;
      }
    }
    errors.push({ message: `invalid escape \`\\${e}\``, start: j, end: Math.min(j + 2, end) });
    out += t.slice(j, j + 2); last = j + 2; j++;
  }
  return out + t.slice(last, end);
}

export type ScalarKind = 'integer' | 'float' | 'boolean' | 'datetime' | 'invalid';
const INT_RE = /^[+-]?(?:0|[1-9](?:_?\d)*)$|^0x[\dA-Fa-f](?:_?[\dA-Fa-f])*$|^0o[0-7](?:_?[0-7])*$|^0b[01](?:_?[01])*$/;
const FLOAT_RE = /^[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?$|^[+-]?(?:inf|nan)$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?$|^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

function classifyScalar(tok: string): ScalarKind {
  if (tok === 'true' || tok === 'false') return 'boolean';
  const c = tok.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 105 || c === 110)) return 'invalid';
  if (INT_RE.test(tok)) return 'integer';
  if (FLOAT_RE.test(tok)) return 'float';
  if (DATE_RE.test(tok)) return 'datetime';
  return 'invalid';
}

/** Scans an unquoted value (number, boolean, date/time, or garbage up to a delimiter). */
export function scanBare(t: string, i: number): { end: number; kind: ScalarKind } {
  let j = i;
  while (j < t.length && isBareValueChar(t.charCodeAt(j))) j++;
  // `1979-05-27 07:32:00Z`: a space may separate date and time
  if (j - i === 10 && t.charCodeAt(j) === SPACE && t.charCodeAt(j + 3) === 58 && isDigit(t.charCodeAt(j + 1))
    && isDigit(t.charCodeAt(j + 2)) && /^\d{4}-\d{2}-\d{2}$/.test(t.slice(i, j))) {
    j++;
    while (j < t.length && isBareValueChar(t.charCodeAt(j))) j++;
  }
  return { end: j, kind: j > i ? classifyScalar(t.slice(i, j)) : 'invalid' };
}
function isDigit(c: number): boolean { return c >= 48 && c <= 57; }

/** Offset of the start of the line after the one containing `i` (t.length at EOF). */
function nextLineStart(t: string, i: number): number {
  const e = lineEndAt(t, i);
  if (e >= t.length) return t.length;
  return t.charCodeAt(e) === CR && t.charCodeAt(e + 1) === LF ? e + 2 : e + 1;
}

/**
 * Whether the line starting at `ls` is a table header (`[a.b]` / `[[a]]` at column 0), used to end
 * unterminated arrays/strings. `[1]`, `["x"]`, `[true]` are valid array elements, so at least one
 * bare segment must be something that cannot be a value.
 */
export function looksLikeHeaderLine(t: string, ls: number): boolean {
  if (t.charCodeAt(ls) !== LBRACK) return false;
  const dbl = t.charCodeAt(ls + 1) === LBRACK;
  const k = scanKey(t, skipWs(t, ls + (dbl ? 2 : 1)));
  if (k.error || !k.segments.length) return false;
  let i = skipWs(t, k.end);
  if (t.charCodeAt(i) !== RBRACK) return false;
  if (dbl && t.charCodeAt(++i) !== RBRACK) return false;
  i = skipWs(t, i + 1);
  const c = t.charCodeAt(i);
  if (!(i >= t.length || c === LF || c === CR || c === HASH)) return false;
  return k.segments.some((s) => !s.quoted && classifyScalar(s.text) === 'invalid');
}

/** Whether a `key =` assignment starts at `i`. */
export function looksLikeKeyAssign(t: string, i: number): boolean {
  if (!isKeyStart(t.charCodeAt(i))) return false;
  const k = scanKey(t, i);
  return !k.error && t.charCodeAt(skipWs(t, k.end)) === EQ;
}
