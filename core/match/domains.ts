// Domain allow/deny patterns (reference §1.2-§1.3, §2 step 2), upstream `normalize_pattern`,
// `expand_domain_pattern` and globset semantics, precompiled for O(labels) lookups.
import { unscopedIpLiteral } from './address';
import { LazyDfa, Nfa } from './automaton';
import { literalOf, parseGlob } from './glob';
import type { GlobToken } from './globToken';
import { asciiLower, normalizeHost, rustTrim } from './host';

type DomainPatternKind = 'exact' | 'subdomains' | 'apexAndSubdomains' | 'global' | 'glob';

export type ParsedDomainPattern =
  | {
      readonly ok: true;
      readonly kind: DomainPatternKind;
      /** The pattern as upstream normalises it: wildcard prefix + `normalizeHost(rest)`. */
      readonly normalized: string;
      /** The host part after the prefix. */
      readonly base: string;
    }
  | { readonly ok: false; readonly error: string };

export interface DomainEntry<T> {
  readonly pattern: string;
  readonly value: T;
}

export interface DomainMatch<T> extends DomainEntry<T> {
  /** Position of the entry in the list given to the constructor. */
  readonly index: number;
}

type Shape = 'exact' | 'subdomains' | 'apexAndSubdomains';

interface Expansion {
  readonly normalized: string;
  readonly shape: Shape;
  readonly base: string;
  /** Globs upstream compiles for this pattern (case-insensitive, `/` separator). */
  readonly candidates: readonly string[];
}

/** Upstream `normalize_pattern`. */
export function normalizeDomainPattern(raw: string): string {
  const p = rustTrim(raw);
  if (p === '*') return '*';
  const prefix = p.startsWith('**.') ? '**.' : p.startsWith('*.') ? '*.' : '';
  return prefix + normalizeHost(p.slice(prefix.length));
}

// Upstream `DomainPattern::parse` on the normalised text, then `expand_domain_pattern`. Note a
// bare prefix (`*.`) degrades to an exact empty host, i.e. a pattern that matches nothing.
const WILDCARD_PREFIXES = [['**.', 'apexAndSubdomains'], ['*.', 'subdomains']] as const;

function expand(raw: string): Expansion {
  const normalized = normalizeDomainPattern(raw);
  const input = rustTrim(normalized);
  let shape: Shape = 'exact';
  let base = input;
  for (const [prefix, s] of WILDCARD_PREFIXES) {
    if (input.startsWith(prefix)) {
      base = rustTrim(input.slice(prefix.length));
      shape = base === '' ? 'exact' : s;
      break;
    }
  }
  const sub = `?*.${base}`;
  const candidates = shape === 'exact' ? [base] : shape === 'subdomains' ? [sub] : [base, sub];
  return { normalized, shape, base, candidates };
}

/** True when the pattern expands to the match-everything glob (`*`, `[*]`, `**.[*]`, `**.*`). */
export function isGlobalWildcard(raw: string): boolean {
  return expand(raw).candidates.includes('*');
}

/** The text a glob can only match when it has no glob syntax at all (no parse needed), else null. */
const GLOB_SYNTAX = /[*?[{}\\]/;
const plainText = (candidate: string): string | null => (GLOB_SYNTAX.test(candidate) ? null : candidate);

function candidateTokens(candidate: string): readonly GlobToken[] | string {
  const parsed = parseGlob(candidate);
  return parsed.ok ? parsed.tokens : `invalid glob pattern: ${candidate}: ${parsed.error}`;
}

/** Classify and validate one allow/deny entry (for diagnostics and the UI). */
export function parseDomainPattern(raw: string): ParsedDomainPattern {
  // Decision: empty entries (and a bare `*.`/`**.`, which upstream silently turns into a
  // pattern matching nothing) are reported as errors so config diagnostics can flag them.
  if (rustTrim(raw) === '') return { ok: false, error: 'domain pattern must not be empty' };
  const e = expand(raw);
  if (e.base === '') return { ok: false, error: `domain pattern "${rustTrim(raw)}" has an empty host` };
  for (const c of e.candidates) {
    const tokens = plainText(c) === null ? candidateTokens(c) : undefined;
    if (typeof tokens === 'string') return { ok: false, error: tokens };
  }
  if (e.candidates.includes('*')) return { ok: true, kind: 'global', normalized: e.normalized, base: e.base };
  const baseTokens = plainText(e.base) === null ? candidateTokens(e.base) : undefined;
  const literal = baseTokens === undefined || (typeof baseTokens !== 'string' && literalOf(baseTokens) !== null);
  return { ok: true, kind: literal ? e.shape : 'glob', normalized: e.normalized, base: e.base };
}

// `?*.` + literal tokens: "one or more bytes, then this literal suffix" (which starts with `.`).
function subdomainSuffix(tokens: readonly GlobToken[]): string | null {
  if (tokens.length < 3 || tokens[0]!.t !== 'any' || tokens[1]!.t !== 'star') return null;
  const rest = literalOf(tokens.slice(2));
  return rest !== null && rest.startsWith('.') ? rest : null;
}

/**
 * A compiled allow or deny list. `match` returns the value of the entry that matched,
 * preferring an exact host, then the longest `*.x`/`**.x` suffix, then other globs in
 * insertion order, then a global wildcard. Whether anything matches is exactly upstream's
 * `GlobSet::is_match`. Throws on an invalid glob (upstream fails the whole list).
 */
export class DomainSet<T> {
  private readonly entries: ReadonlyArray<DomainEntry<T>>;
  private readonly exact = new Map<string, number>();
  private readonly suffix = new Map<string, number>();
  private readonly explicit = new Map<string, number>();
  private readonly dfa: LazyDfa | null = null;
  private readonly globalIndex: number = -1;

  constructor(entries: ReadonlyArray<DomainEntry<T>>) {
    this.entries = entries.slice();
    const nfa = new Nfa();
    const starts: number[] = [];
    for (let i = 0; i < entries.length; i++) {
      const pattern = entries[i]!.pattern;
      const e = expand(pattern);
      this.addExplicit(pattern, i);
      if (e.candidates.includes('*')) {
        if (this.globalIndex < 0) this.globalIndex = i;
        continue;
      }
      for (const c of new Set(e.candidates)) {
        const plain = plainText(c);
        if (plain !== null) {
          setFirst(this.exact, asciiLower(plain), i);
          continue;
        }
        const tokens = candidateTokens(c);
        if (typeof tokens === 'string') throw new Error(tokens);
        const lit = literalOf(tokens);
        const suf = lit === null ? subdomainSuffix(tokens) : null;
        // Decision: among entries naming the same host or suffix, the first one listed wins.
        if (lit !== null) setFirst(this.exact, asciiLower(lit), i);
        else if (suf !== null) setFirst(this.suffix, asciiLower(suf), i);
        else starts.push(nfa.addGlob(tokens, { pathMode: false, caseInsensitive: true }, i));
      }
    }
    if (starts.length) {
      const start = starts.reduceRight((acc, s) => nfa.split(s, acc));
      this.dfa = new LazyDfa(nfa, start);
    }
  }

  // Upstream `is_explicit_local_allowlisted`: raw trimmed entry without `*`/`?`, host-normalised.
  private addExplicit(pattern: string, i: number): void {
    const p = rustTrim(pattern);
    if (p.includes('*') || p.includes('?')) return;
    setFirst(this.explicit, normalizeHost(p), i);
  }

  get size(): number {
    return this.entries.length;
  }

  private indexOf(host: string): number {
    const key = asciiLower(host);
    const e = this.exact.get(key);
    if (e !== undefined) return e;
    if (this.suffix.size) {
      // `?*` needs at least one byte before the dot; leftmost dot = longest suffix.
      for (let d = key.indexOf('.', 1); d >= 0; d = key.indexOf('.', d + 1)) {
        const s = this.suffix.get(key.slice(d));
        if (s !== undefined) return s;
      }
    }
    if (this.dfa) {
      const g = this.dfa.run(key);
      if (g >= 0) return g;
    }
    return this.globalIndex;
  }

  private result(i: number): DomainMatch<T> | undefined {
    const e = i >= 0 ? this.entries[i] : undefined;
    return e ? { pattern: e.pattern, value: e.value, index: i } : undefined;
  }

  /** Value of the best entry matching an already normalised host, or undefined. */
  match(host: string): T | undefined {
    const i = this.indexOf(host);
    return i >= 0 ? this.entries[i]!.value : undefined;
  }

  matchEntry(host: string): DomainMatch<T> | undefined {
    return this.result(this.indexOf(host));
  }

  /** Upstream `globset_matches_host_or_unscoped`: retry `ip%zone` hosts without the zone. */
  matchWithZoneFallback(host: string): T | undefined {
    return this.matchEntryWithZoneFallback(host)?.value;
  }

  matchEntryWithZoneFallback(host: string): DomainMatch<T> | undefined {
    let i = this.indexOf(host);
    if (i < 0) {
      const ip = unscopedIpLiteral(host);
      if (ip !== null) i = this.indexOf(ip);
    }
    return this.result(i);
  }

  /**
   * Local-literal exception (§2 step 2): a non-wildcard entry (no `*` or `?` anywhere) whose
   * normalised text equals the host or, for `ip%zone`, the zone-less IP.
   */
  exactEntryNames(host: string): T | undefined {
    return this.exactEntry(host)?.value;
  }

  exactEntry(host: string): DomainMatch<T> | undefined {
    let i = this.explicit.get(host);
    if (i === undefined) {
      const ip = unscopedIpLiteral(host);
      if (ip !== null) i = this.explicit.get(ip);
    }
    return this.result(i ?? -1);
  }
}

function setFirst(map: Map<string, number>, key: string, i: number): void {
  if (!map.has(key)) map.set(key, i);
}

/** Non-throwing constructor: the set, or upstream-style "invalid glob pattern: …" error. */
export function compileDomainSet<T>(
  entries: ReadonlyArray<DomainEntry<T>>,
): { readonly ok: true; readonly set: DomainSet<T> } | { readonly ok: false; readonly error: string } {
  try {
    return { ok: true, set: new DomainSet(entries) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
