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
    if (this.n === this.a.length) this.grow();
    this.a[this.n] = v;
    return this.n++;
  }
  /**
   * Apart from push, and rarely called, so TurboFan does not inline the array allocation and copy
   * into each of the ~30 places push is inlined into (#8 lsp-jit: compile work on the cold open).
   */
  private grow(): void {
    const b = new Int32Array(this.a.length * 2);
    b.set(this.a);
    this.a = b;
  }
  /** Drops the spare capacity (up to half the list) once the list is complete. */
  trim(): void {
    if (this.a.length > this.n) this.a = this.a.slice(0, this.n);
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
 *
 * All in typed arrays, no object per path: a hostile 1 MB document has ~500,000 paths, and a Map
 * of children per path cost ~150 bytes each. (parent, segment) -> id is one open-addressing hash
 * table; children are a linked list (first/next sibling) in first-seen order.
 */
export class Paths {
  private readonly parent = new IntList();
  private readonly seg: PathSegment[] = [''];
  private readonly firstKid = new IntList();
  private readonly lastKid = new IntList();
  private readonly nextSib = new IntList();
  private slots = new Int32Array(1024).fill(-1); // path ids by hash of (parent, segment)
  readonly first = new IntList();
  readonly explicit = new IntList();
  readonly dotted = new IntList(); // 1 if a dotted key created this table
  private readonly more = new Map<number, number[]>();

  constructor() {
    this.push(-1);
  }
  private push(parent: number): void {
    this.parent.push(parent);
    this.firstKid.push(-1);
    this.lastKid.push(-1);
    this.nextSib.push(-1);
    this.first.push(-1);
    this.explicit.push(-1);
    this.dotted.push(0);
  }
  /** Slot of (parent, seg) in `slots`: the id there, or an empty slot (-1) where it would go. */
  private slot(parent: number, seg: PathSegment): number {
    const slots = this.slots, mask = slots.length - 1;
    let i = hash(parent, seg) & mask;
    for (let id = slots[i]!; id >= 0; id = slots[i]!) {
      if (this.parent.a[id] === parent && this.seg[id] === seg) return i;
      i = (i + 1) & mask;
    }
    return i;
  }
  child(parent: number, seg: PathSegment): number {
    const i = this.slot(parent, seg);
    const found = this.slots[i]!;
    if (found >= 0) return found;
    const id = this.seg.length;
    this.seg.push(seg);
    this.push(parent);
    const last = this.lastKid.a[parent]!;
    if (last < 0) this.firstKid.a[parent] = id; else this.nextSib.a[last] = id;
    this.lastKid.a[parent] = id;
    if (id * 2 >= this.slots.length) this.grow(); // load factor <= 1/2
    else this.slots[i] = id;
    return id;
  }
  /** The document is indexed: drop spare capacity. */
  trim(): void {
    for (const l of [this.parent, this.firstKid, this.lastKid, this.nextSib, this.first, this.explicit, this.dotted]) l.trim();
  }
  private grow(): void {
    const n = this.seg.length;
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    for (let id = 1; id < n; id++) this.slots[this.slot(this.parent.a[id]!, this.seg[id]!)] = id;
  }
  get size(): number { return this.seg.length; }
  parentOf(id: number): number { return this.parent.a[id]!; }
  segmentOf(id: number): PathSegment { return this.seg[id]!; }
  find(path: readonly PathSegment[], len = path.length): number {
    let id = 0;
    for (let k = 0; k < len && id >= 0; k++) id = this.slots[this.slot(id, path[k]!)]!;
    return id;
  }
  *childIds(id: number): Iterable<number> {
    if (id < 0 || id >= this.seg.length) return;
    for (let k = this.firstKid.a[id]!; k >= 0; k = this.nextSib.a[k]!) yield k;
  }
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

/** Hash of (parent id, segment): numbers (array indices) and strings (keys) hash apart. */
function hash(parent: number, seg: PathSegment): number {
  let h = Math.imul(parent, 0x9e3779b1);
  if (typeof seg === 'number') return (h ^ Math.imul(seg + 1, 0x85ebca6b)) >>> 0;
  h ^= 0x27d4eb2f;
  for (let i = 0; i < seg.length; i++) h = Math.imul(h ^ seg.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
