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
  /** Appends `k` ints (left as they are: the caller writes every one) and returns the offset of the first. */
  reserve(k: number): number {
    while (this.n + k > this.a.length) this.grow();
    const o = this.n;
    this.n += k;
    return o;
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
 * `first` + `more` = all nodes, including those creating it implicitly (header/dotted-key prefixes).
 *
 * All in typed arrays, no object per path: a hostile 1 MB document has ~500,000 paths, and a Map
 * of children per path cost ~150 bytes each. (parent, segment) -> id is one open-addressing hash
 * table; children are a linked list (first/next sibling) in first-seen order. The per-id arrays
 * share one capacity, grown together in one cold method, so a new id is plain stores (#8 cold:
 * seven inlined push-with-grow copies per call site were a large part of TurboFan's work).
 */
export class Paths {
  private cap = 256;
  private parent = new Int32Array(this.cap);
  private readonly seg: PathSegment[] = [''];
  private firstKid = new Int32Array(this.cap).fill(-1);
  private lastKid = new Int32Array(this.cap).fill(-1);
  private nextSib = new Int32Array(this.cap).fill(-1);
  private kids = new Int32Array(this.cap); // number of child paths
  private moreHead = new Int32Array(this.cap).fill(-1); // first link in `links` of rows after `first`...
  private moreTail = new Int32Array(this.cap).fill(-1); // ...and the last
  private slots: Int32Array; // path ids by hash of (parent, segment)
  first = new Int32Array(this.cap).fill(-1);
  explicit = new Int32Array(this.cap).fill(-1);
  dotted = new Int32Array(this.cap); // 1 if a dotted key created this table
  private readonly links = new IntList(1024); // (row, next link) pairs: the rows of a path after its first

  /**
   * `expected`: about how many paths the document will have. The hash table starts at twice that,
   * so an ordinary document never rehashes (a rehash loop over every path was one more function
   * for TurboFan to compile on a first document, #8 cold).
   */
  constructor(expected = 512) {
    let size = 1024;
    while (size < 2 * expected && size < 1 << 20) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.parent[0] = -1;
  }
  /** Slot of (parent, seg) in `slots`: the id there, or an empty slot (-1) where it would go. */
  private slot(parent: number, seg: PathSegment): number {
    const slots = this.slots, mask = slots.length - 1;
    let i = hash(parent, seg) & mask;
    for (let id = slots[i]!; id >= 0; id = slots[i]!) {
      if (this.parent[id] === parent && this.seg[id] === seg) return i;
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
    if (id === this.cap) this.growIds();
    this.parent[id] = parent;
    const last = this.lastKid[parent]!;
    if (last < 0) this.firstKid[parent] = id; else this.nextSib[last] = id;
    this.lastKid[parent] = id;
    this.kids[parent]!++;
    if (id * 2 >= this.slots.length) this.growSlots(); // load factor <= 1/2
    else this.slots[i] = id;
    return id;
  }
  private growIds(): void {
    const cap = this.cap * 2;
    const grown = (a: Int32Array<ArrayBuffer>, empty: number): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      if (empty) b.fill(empty, this.cap);
      b.set(a);
      return b;
    };
    this.parent = grown(this.parent, 0);
    this.firstKid = grown(this.firstKid, -1);
    this.lastKid = grown(this.lastKid, -1);
    this.nextSib = grown(this.nextSib, -1);
    this.kids = grown(this.kids, 0);
    this.moreHead = grown(this.moreHead, -1);
    this.moreTail = grown(this.moreTail, -1);
    this.first = grown(this.first, -1);
    this.explicit = grown(this.explicit, -1);
    this.dotted = grown(this.dotted, 0);
    this.cap = cap;
  }
  /** The document is indexed: drop spare capacity. */
  trim(): void {
    const n = this.seg.length;
    if (n === this.cap) return;
    this.parent = this.parent.slice(0, n);
    this.firstKid = this.firstKid.slice(0, n);
    this.lastKid = this.lastKid.slice(0, n);
    this.nextSib = this.nextSib.slice(0, n);
    this.kids = this.kids.slice(0, n);
    this.moreHead = this.moreHead.slice(0, n);
    this.moreTail = this.moreTail.slice(0, n);
    this.first = this.first.slice(0, n);
    this.explicit = this.explicit.slice(0, n);
    this.dotted = this.dotted.slice(0, n);
    this.cap = n;
    this.links.trim();
  }
  private growSlots(): void {
    const n = this.seg.length;
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    for (let id = 1; id < n; id++) this.slots[this.slot(this.parent[id]!, this.seg[id]!)] = id;
  }
  get size(): number { return this.seg.length; }
  parentOf(id: number): number { return this.parent[id]!; }
  segmentOf(id: number): PathSegment { return this.seg[id]!; }
  childCount(id: number): number { return this.kids[id]!; }
  find(path: readonly PathSegment[], len = path.length): number {
    let id = 0;
    for (let k = 0; k < len && id >= 0; k++) id = this.slots[this.slot(id, path[k]!)]!;
    return id;
  }
  *childIds(id: number): Iterable<number> {
    if (id < 0 || id >= this.seg.length) return;
    for (let k = this.firstKid[id]!; k >= 0; k = this.nextSib[k]!) yield k;
  }
  pathOf(id: number): PathSegment[] {
    const out: PathSegment[] = [];
    for (; id > 0; id = this.parent[id]!) out.push(this.seg[id]!);
    return out.reverse();
  }
  depth(id: number): number {
    let d = 0;
    for (; id > 0; id = this.parent[id]!) d++;
    return d;
  }
  add(id: number, row: number, explicit: boolean, dotted: boolean): void {
    if (this.first[id]! < 0) this.first[id] = row;
    else {
      const l = this.links, k = l.n;
      l.push(row);
      l.push(-1);
      const tail = this.moreTail[id]!;
      if (tail < 0) this.moreHead[id] = k; else l.a[tail + 1] = k;
      this.moreTail[id] = k;
    }
    if (explicit && this.explicit[id]! < 0) this.explicit[id] = row;
    if (dotted) this.dotted[id] = 1;
  }
  /** The defining row: the explicit node, else the first implicit one; -1 if none. */
  primary(id: number): number {
    if (id < 0) return -1;
    const e = this.explicit[id]!;
    return e >= 0 ? e : this.first[id]!;
  }
  rows(id: number): number[] {
    if (id < 0 || this.first[id]! < 0) return [];
    const out = [this.first[id]!], a = this.links.a;
    for (let k = this.moreHead[id]!; k >= 0; k = a[k + 1]!) out.push(a[k]!);
    return out;
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
