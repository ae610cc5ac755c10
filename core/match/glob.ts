// Glob parser mirroring Rust `globset` 0.4.18 (the version in codex-rs/Cargo.lock): nested `{}`
// allowed, `**` only recursive as a whole component, classes, backslash escapes (on, as on Unix).
// Shared by domain patterns and MITM hook matchers.
import { classByteSet, emitsNothing, LazyDfa, Nfa, utf8Bytes } from './automaton';
import type { GlobToken } from './globToken';

export interface GlobOptions {
  /** `/` separates segments: `*`, `?` stay within one (globset `literal_separator(true)`). */
  readonly pathMode: boolean;
  /** ASCII case-insensitive (globset `case_insensitive`). */
  readonly caseInsensitive: boolean;
}

export interface CompiledGlob {
  readonly glob: string;
  /** Whole-string match (anchored at both ends). */
  test(candidate: string): boolean;
}

export type GlobParse = { readonly ok: true; readonly tokens: readonly GlobToken[] } | { readonly ok: false; readonly error: string };

const SLASH = 0x2f;
const STAR_C = 0x2a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const DASH = 0x2d;
const STAR: GlobToken = { t: 'star' };

/** globset's `Error` display: "error parsing glob '<glob>': <kind>". */
function globError(glob: string, kind: string): GlobParse {
  return { ok: false, error: `error parsing glob '${glob}': ${kind}` };
}

const UNCLOSED_CLASS = "unclosed character class; missing ']'";
const UNOPENED_ALT = "unopened alternate group; missing '{' (maybe escape '}' with '[}]'?)";
const UNCLOSED_ALT = "unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)";
const DANGLING = "dangling '\\'";
const badRange = (a: number, b: number): string => `invalid range; '${String.fromCodePoint(a)}' > '${String.fromCodePoint(b)}'`;

/** The same state machine as globset's parser (prev/cur chars, alternation branch stack). */
class Parser {
  private pos = 0;
  private prev: number | undefined;
  private cur: number | undefined;
  readonly branches: GlobToken[][] = [[]];
  readonly altStack: number[] = [];
  constructor(private readonly chars: readonly number[]) {}

  bump(): number | undefined {
    this.prev = this.cur;
    this.cur = this.pos < this.chars.length ? this.chars[this.pos++] : undefined;
    return this.cur;
  }
  private peek(): number | undefined {
    return this.chars[this.pos];
  }
  private top(): GlobToken[] {
    return this.branches[this.branches.length - 1]!;
  }
  push(tok: GlobToken): void {
    this.top().push(tok);
  }
  private stars(): void {
    this.push(STAR);
    this.push(STAR);
  }

  // globset `parse_star`: `**` is recursive only as a whole path component, else two `*`.
  parseStar(): void {
    const before = this.prev;
    if (this.peek() !== STAR_C) return this.push(STAR);
    this.bump();
    if (this.top().length === 0) {
      const next = this.peek();
      if (next !== undefined && next !== SLASH) return this.stars();
      this.push({ t: 'rprefix' });
      this.bump();
      return;
    }
    if (before !== SLASH && (this.branches.length <= 1 || (before !== COMMA && before !== LBRACE))) return this.stars();
    let isSuffix: boolean;
    const next = this.peek();
    if (next === undefined) {
      this.bump();
      isSuffix = true;
    } else if ((next === COMMA || next === RBRACE) && this.branches.length >= 2) {
      isSuffix = true;
    } else if (next === SLASH) {
      this.bump();
      isSuffix = false;
    } else return this.stars();
    const popped = this.top().pop()!; // the separator literal (or an earlier recursive token)
    if (popped.t === 'rprefix' || popped.t === 'rsuffix') this.push(popped);
    else this.push({ t: isSuffix ? 'rsuffix' : 'rzom' });
  }

  // globset `parse_class`: leading `]`/`-` are literal, `a-c-e` extends the last range.
  parseClass(): string | null {
    const ranges: Array<[number, number]> = [];
    let negated = false;
    if (this.peek() === 0x21 /* ! */ || this.peek() === 0x5e /* ^ */) {
      this.bump();
      negated = true;
    }
    let first = true;
    let inRange = false;
    for (;;) {
      const c = this.bump();
      if (c === undefined) return UNCLOSED_CLASS;
      if (c === 0x5d /* ] */ && !first) break;
      if (c === DASH && !first && !inRange) inRange = true;
      else if (inRange) {
        const r = ranges[ranges.length - 1]!;
        r[1] = c;
        if (r[1] < r[0]) return badRange(r[0], r[1]);
        inRange = false;
      } else ranges.push([c, c]);
      first = false;
    }
    if (inRange) ranges.push([DASH, DASH]);
    this.push({ t: 'class', negated, ranges });
    return null;
  }
}

/** Parse a glob into tokens (backslash escapes on, as on Unix and in upstream's hook matchers). */
export function parseGlob(glob: string): GlobParse {
  const chars: number[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob.codePointAt(i)!;
    chars.push(c);
    if (c > 0xffff) i++;
  }
  const p = new Parser(chars);
  for (let c = p.bump(); c !== undefined; c = p.bump()) {
    if (c === 0x3f /* ? */) p.push({ t: 'any' });
    else if (c === STAR_C) p.parseStar();
    else if (c === 0x5b /* [ */) {
      const err = p.parseClass();
      if (err) return globError(glob, err);
    } else if (c === LBRACE) {
      p.altStack.push(p.branches.length);
      p.branches.push([]);
    } else if (c === RBRACE) {
      const start = p.altStack.pop();
      if (start === undefined) return globError(glob, UNOPENED_ALT);
      p.push({ t: 'alt', branches: p.branches.splice(start) });
    } else if (c === COMMA) {
      if (p.altStack.length === 0) p.push({ t: 'lit', cp: c });
      else p.branches.push([]);
    } else if (c === 0x5c /* \ */) {
      const esc = p.bump();
      if (esc === undefined) return globError(glob, DANGLING);
      p.push({ t: 'lit', cp: esc });
    } else p.push({ t: 'lit', cp: c });
  }
  if (p.branches.length > 1) return globError(glob, UNCLOSED_ALT);
  return { ok: true, tokens: p.branches[0]! };
}

/** The literal text when every token is a literal (the glob can only match that string). */
export function literalOf(tokens: readonly GlobToken[]): string | null {
  let s = '';
  for (const t of tokens) {
    if (t.t !== 'lit') return null;
    s += String.fromCodePoint(t.cp);
  }
  return s;
}

// Only these characters can make a glob invalid; without the second, a valid glob is literal text.
const CAN_FAIL = /[[{}\\]/;
const WILDCARD = /[*?]/;

/**
 * Compile one glob. Empty pattern → "glob pattern must not be empty"; syntax errors use
 * globset's wording ("error parsing glob '…': …").
 */
export function compileGlob(pattern: string, opts: GlobOptions): CompiledGlob | { readonly error: string } {
  if (pattern.length === 0) return { error: 'glob pattern must not be empty' };
  // Only `[`, `{`, `}` and `\\` can make a glob invalid: without them the parse waits for the first
  // match (#8: validation compiles every hook's globs only for their errors).
  const canFail = CAN_FAIL.test(pattern);
  const parsed = canFail ? parseGlob(pattern) : undefined;
  if (parsed && !parsed.ok) return { error: parsed.error };
  const literal = parsed ? literalOf(parsed.tokens) : WILDCARD.test(pattern) ? null : pattern;
  if (literal !== null && !opts.caseInsensitive) {
    return { glob: pattern, test: (s: string) => s === literal };
  }
  // Built on first use (the automaton was a third of validation's glob work).
  let dfa: LazyDfa | undefined;
  const build = (): LazyDfa => {
    const p = parsed ?? parseGlob(pattern);
    if (!p.ok) throw new Error(p.error); // unreachable: no character that can fail
    const nfa = new Nfa();
    return new LazyDfa(nfa, nfa.addGlob(p.tokens, opts, 0));
  };
  return { glob: pattern, test: (s: string) => (dfa ??= build()).run(s) === 0 };
}

/**
 * globset's regex translation as a JS RegExp source over "byte strings" (one char per UTF-8
 * byte, e.g. `Buffer.from(s).toString('latin1')`). Used as an independent oracle in tests.
 */
export function globRegExpSource(tokens: readonly GlobToken[], opts: GlobOptions): string {
  const byteClass = (set: Uint8Array): string => {
    let out = '';
    for (let b = 0; b < 256; b++) if (set[b]) out += `\\x${b.toString(16).padStart(2, '0')}`;
    return out === '' ? '(?!)' : `[${out}]`;
  };
  const one = opts.pathMode ? '[^/]' : '[^]';
  const emit = (toks: readonly GlobToken[]): string => {
    let re = '';
    for (const t of toks) {
      switch (t.t) {
        case 'lit':
          for (const b of utf8Bytes(t.cp)) {
            const set = new Uint8Array(256);
            set[b] = 1;
            if (opts.caseInsensitive && ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a))) set[b ^ 0x20] = 1;
            re += byteClass(set);
          }
          break;
        case 'any':
          re += one;
          break;
        case 'star':
          re += `${one}*`;
          break;
        case 'rprefix':
          re += '(?:/?|[^]*/)';
          break;
        case 'rsuffix':
          re += '/[^]*';
          break;
        case 'rzom':
          re += '(?:/|/[^]*/)';
          break;
        case 'class':
          re += byteClass(classByteSet(t.ranges, t.negated, opts.caseInsensitive) ?? new Uint8Array(256));
          break;
        case 'alt': {
          const parts = t.branches.filter((b) => !emitsNothing(b)).map(emit);
          if (parts.length) re += `(?:${parts.join('|')})`;
        }
      }
    }
    return re;
  };
  if (tokens.length === 1 && tokens[0]!.t === 'rprefix') return '^[^]*$';
  return `^${emit(tokens)}$`;
}
