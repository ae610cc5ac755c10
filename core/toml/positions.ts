// Error-tolerant key -> range index for TOML documents (smol-toml gives values but no positions).
// One linear pass (builder.ts) records tables, keys, array elements and inline-table entries;
// lookups are by interned path id (O(path length)) or binary search by offset, and TomlNode objects
// are built on first access. Never throws on malformed input: problems are collected instead.
import { Builder, type SyntaxProblem } from './builder';
import type { Position, Range } from './lexer';
import { computeContext, type CursorContext, type PathSegment } from './context';
import * as store from './store';
import { plainValues } from './tree';

export type { Position, Range } from './lexer';
export type { CursorContext, PathSegment } from './context';

const { F_HE, F_HS, F_KE, F_KIND, F_KS, F_NSEG, F_PATH, F_RE, F_RS, F_SEG, F_VE, F_VKIND, F_VS, KINDS, STRIDE, VALUE_KINDS } = store;

type NodeKind = 'table' | 'array-table' | 'key-value' | 'array-item' | 'inline-entry';
type ValueKind = 'string' | 'integer' | 'float' | 'boolean' | 'datetime' | 'array' | 'inline-table' | 'invalid';
export interface TomlNode {
  path: PathSegment[];
  kind: NodeKind;
  keyRange?: Range;
  keySegmentRanges?: Range[];
  valueRange?: Range;
  headerRange?: Range;
  range: Range;
  valueKind?: ValueKind;
  stringValue?: string;
}
export interface TomlIndex {
  readonly nodes: readonly TomlNode[];
  /** Nodes that have a key (tables, key/values, inline entries): `nodes` without array items, which may be most of a document. */
  readonly keyed: readonly TomlNode[];
  readonly problems: readonly SyntaxProblem[];
  get(path: readonly PathSegment[]): TomlNode | undefined;
  getAll(path: readonly PathSegment[]): TomlNode[];
  nearest(path: readonly PathSegment[]): TomlNode | undefined;
  childrenOf(path: readonly PathSegment[]): TomlNode[];
  nodeAt(pos: Position): TomlNode | undefined;
  context(pos: Position): CursorContext;
  offsetAt(pos: Position): number;
  positionAt(offset: number): Position;
}

/** A row's extents that are nodeAt spans, in the order the pass meets them. */
const SPAN_FIELDS = [[F_HS, F_HE], [F_KS, F_KE], [F_VS, F_VE]] as const;

class Index implements TomlIndex {
  readonly problems: readonly SyntaxProblem[];
  private readonly cache: (TomlNode | undefined)[] = [];
  private all: readonly TomlNode[] | undefined;
  private parent: Int32Array | undefined;
  private spans: Int32Array | undefined;

  constructor(private readonly b: Builder) { this.problems = b.problems; }

  get nodes(): readonly TomlNode[] {
    if (!this.all) {
      const out: TomlNode[] = [];
      for (let r = 0, n = this.b.rows.n / STRIDE; r < n; r++) out.push(this.node(r));
      this.all = out;
    }
    return this.all;
  }

  get keyed(): readonly TomlNode[] {
    if (this.all) return this.all.filter((n) => n.kind !== 'array-item');
    const out: TomlNode[] = [], a = this.b.rows.a;
    for (let r = 0, n = this.b.rows.n / STRIDE; r < n; r++) if (a[r * STRIDE + F_KIND] !== store.K_ITEM) out.push(this.node(r));
    return out;
  }

  /** Builds (once) the TomlNode for a row. */
  private node(row: number): TomlNode {
    const cached = this.cache[row];
    if (cached) return cached;
    const { rows: { a }, segs, lm, paths } = this.b, o = row * STRIDE;
    const node: TomlNode = { path: paths.pathOf(a[o + F_PATH]!), kind: KINDS[a[o + F_KIND]!]!, range: lm.range(a[o + F_RS]!, a[o + F_RE]!) };
    if (a[o + F_KS]! >= 0) {
      node.keyRange = lm.range(a[o + F_KS]!, a[o + F_KE]!);
      node.keySegmentRanges = [];
      for (let q = 0, s = a[o + F_SEG]!; q < a[o + F_NSEG]!; q++, s += 2) node.keySegmentRanges.push(lm.range(segs.a[s]!, segs.a[s + 1]!));
    }
    if (a[o + F_VS]! >= 0) node.valueRange = lm.range(a[o + F_VS]!, a[o + F_VE]!);
    if (a[o + F_HS]! >= 0) node.headerRange = lm.range(a[o + F_HS]!, a[o + F_HE]!);
    if (a[o + F_VKIND]! >= 0) node.valueKind = VALUE_KINDS[a[o + F_VKIND]!];
    const str = this.b.strs[row];
    if (str !== undefined) node.stringValue = str;
    return (this.cache[row] = node);
  }
  private primaryNode(id: number): TomlNode | undefined {
    const row = this.b.paths.primary(id);
    return row >= 0 ? this.node(row) : undefined;
  }

  get(path: readonly PathSegment[]): TomlNode | undefined { return this.primaryNode(this.b.paths.find(path)); }
  getAll(path: readonly PathSegment[]): TomlNode[] { return this.b.paths.rows(this.b.paths.find(path)).map((r) => this.node(r)); }
  nearest(path: readonly PathSegment[]): TomlNode | undefined {
    for (let n = path.length; n > 0; n--) {
      const node = this.primaryNode(this.b.paths.find(path, n));
      if (node) return node;
    }
    return undefined;
  }
  childrenOf(path: readonly PathSegment[]): TomlNode[] {
    const out: TomlNode[] = [];
    const id = this.b.paths.find(path);
    if (id < 0) return out;
    for (const k of this.b.paths.childIds(id)) {
      const node = this.primaryNode(k);
      if (node) out.push(node);
    }
    return out;
  }
  /**
   * nodeAt's spans, (start, end, row) of span k at 3k, in start order. Derived on first use from the
   * rows, which hold every header, key and value extent in document order (a row's header, then its
   * key, then its value), rather than recorded by the pass (#8 cold: less work on every load).
   */
  private spanTable(): Int32Array {
    if (this.spans) return this.spans;
    const a = this.b.rows.a, rows = this.b.rows.n / STRIDE, out = new Int32Array(rows * 6); // two spans a row at most
    let n = 0;
    for (let o = 0, r = 0; r < rows; r++, o += STRIDE) {
      for (const [s, e] of SPAN_FIELDS) {
        if (a[o + s]! < 0) continue;
        out[n++] = a[o + s]!;
        out[n++] = a[o + e]!;
        out[n++] = r;
      }
    }
    return (this.spans = out.slice(0, n));
  }
  nodeAt(pos: Position): TomlNode | undefined {
    const off = this.offsetAt(pos);
    const sp = this.spanTable(), n = sp.length / 3;
    if (!this.parent) {
      // Spans are properly nested and in start order: a stack pass gives each its enclosing span.
      const parent = (this.parent = new Int32Array(n)), stack: number[] = [];
      for (let k = 0; k < n; k++) {
        while (stack.length && sp[3 * stack[stack.length - 1]! + 1]! < sp[3 * k]!) stack.pop();
        parent[k] = stack.length ? stack[stack.length - 1]! : -1;
        stack.push(k);
      }
    }
    let lo = 0, hi = n - 1, k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sp[3 * mid]! <= off) { k = mid; lo = mid + 1; } else hi = mid - 1;
    }
    while (k >= 0 && sp[3 * k + 1]! < off) k = this.parent[k]!;
    return k >= 0 ? this.node(sp[3 * k + 2]!) : undefined;
  }
  context(pos: Position): CursorContext { return computeContext(this.b.t, this.b.lm, this.b, pos); }
  offsetAt(pos: Position): number { return this.b.lm.offsetAt(pos); }
  positionAt(offset: number): Position { return this.b.lm.positionAt(offset); }
}

export function indexToml(text: string): TomlIndex {
  const b = new Builder(text);
  b.run();
  return new Index(b);
}

/**
 * The index and, from the same pass, the plain values when it is certain of them (tree.ts), else
 * undefined. `plain` false: without the one-go reading of plain strings and string arrays (for the
 * test that both readings agree).
 */
export function indexWithValues(text: string, plain = true): { index: TomlIndex; value: Record<string, unknown> | undefined } {
  const b = new Builder(text, plain);
  b.run();
  return { index: new Index(b), value: plainValues(b) };
}
