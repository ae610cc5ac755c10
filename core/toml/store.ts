// Compact storage behind the TOML index. Indexing runs on every keystroke in the language server,
// and per-node objects (ranges, positions, paths) dominated its cost through GC; so nodes are rows
// of an Int32 table, paths are interned integer ids, and TomlNode objects are built on demand.
import type { PathSegment } from './context';

/** Growable Int32 array. */
export class IntList {
  a: Int32Array;
  n = 0;
  constructor(capacity = 256) { this.a = new Int32Array(capacity); }
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
}

// Node row layout: text offsets (-1 = absent) and codes.
export const F_KIND = 0, F_PATH = 1, F_KS = 2, F_KE = 3, F_SEG = 4, F_NSEG = 5, F_VS = 6, F_VE = 7,
  F_HS = 8, F_HE = 9, F_RS = 10, F_RE = 11, F_VKIND = 12, STRIDE = 13;
export const KINDS = ['table', 'array-table', 'key-value', 'array-item', 'inline-entry'] as const;
export const VALUE_KINDS = ['string', 'integer', 'float', 'boolean', 'datetime', 'array', 'inline-table', 'invalid'] as const;
export const K_TABLE = 0, K_ARRAY_TABLE = 1, K_KEY_VALUE = 2, K_ITEM = 3, K_INLINE = 4;

/**
 * Interned paths (id 0 = root; ids record parent and last segment, children in first-seen order)
 * and, per path, the node rows defining it: `explicit` = first node whose own path it is,
 * `first`/`more` = all nodes, including those creating it implicitly (header/dotted-key prefixes).
 */
export class Paths {
  private readonly kids: (Map<PathSegment, number> | undefined)[] = [undefined];
  private readonly parent = new IntList();
  private readonly seg: PathSegment[] = [''];
  readonly first = new IntList();
  readonly explicit = new IntList();
  readonly dotted = new IntList(); // 1 if a dotted key created this table
  private readonly more = new Map<number, number[]>();

  constructor() {
    this.parent.push(-1);
    this.first.push(-1);
    this.explicit.push(-1);
    this.dotted.push(0);
  }
  child(parent: number, seg: PathSegment): number {
    let m = this.kids[parent];
    if (!m) this.kids[parent] = m = new Map();
    let id = m.get(seg);
    if (id === undefined) {
      m.set(seg, (id = this.seg.length));
      this.kids.push(undefined);
      this.seg.push(seg);
      this.parent.push(parent);
      this.first.push(-1);
      this.explicit.push(-1);
      this.dotted.push(0);
    }
    return id;
  }
  find(path: readonly PathSegment[], len = path.length): number {
    let id = 0;
    for (let k = 0; k < len && id >= 0; k++) id = this.kids[id]?.get(path[k]!) ?? -1;
    return id;
  }
  childIds(id: number): Iterable<number> { return this.kids[id]?.values() ?? []; }
  pathOf(id: number): PathSegment[] {
    const out: PathSegment[] = [];
    for (; id > 0; id = this.parent.a[id]!) out.push(this.seg[id]!);
    return out.reverse();
  }
  depth(id: number): number {
    let d = 0;
    for (; id > 0; id = this.parent.a[id]!) d++;
    return d;
  }
  add(id: number, row: number, explicit: boolean, dotted: boolean): void {
    if (this.first.a[id]! < 0) this.first.a[id] = row;
    else {
      const m = this.more.get(id);
      if (m) m.push(row); else this.more.set(id, [row]);
    }
    if (explicit && this.explicit.a[id]! < 0) this.explicit.a[id] = row;
    if (dotted) this.dotted.a[id] = 1;
  }
  /** The defining row: the explicit node, else the first implicit one; -1 if none. */
  primary(id: number): number {
    if (id < 0) return -1;
    const e = this.explicit.a[id]!;
    return e >= 0 ? e : this.first.a[id]!;
  }
  rows(id: number): number[] {
    if (id < 0 || this.first.a[id]! < 0) return [];
    return [this.first.a[id]!, ...(this.more.get(id) ?? [])];
  }
}
