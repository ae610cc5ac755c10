// Plain values from the index pass (builder.ts), so a document is lexed once, not twice. Path ids
// mirror the value tree (parents before children, siblings in first-seen order), so one loop over
// them builds it. smol-toml stays the authority on syntax: whenever this pass is not certain that
// smol-toml would accept the document with the same values (any problem, a construct flagged
// `unsure`, control characters, dates, integers beyond 2^53, any shape it cannot place), it returns
// undefined and load.ts asks smol-toml instead. See docs/semantics.md, #8.
import type { Builder } from './builder';
import * as store from './store';

const { F_KIND, F_VE, F_VKIND, F_VS, K_ARRAY_TABLE, K_TABLE, STRIDE } = store;
const V_STRING = 0, V_INTEGER = 1, V_FLOAT = 2, V_BOOLEAN = 3, V_ARRAY = 5, V_INLINE = 6;

/** Characters smol-toml rejects wherever they appear (tab, LF and CRLF are the only controls TOML allows). */
const FORBIDDEN = /[\0-\x08\x0b-\x0c\x0e-\x1f\x7f]|\r(?!\n)/;

/** The document's values as smol-toml + toPlain give them, or undefined when not certain. */
export function plainValues(b: Builder): Record<string, unknown> | undefined {
  if (b.problems.length || b.unsure || FORBIDDEN.test(b.t)) return undefined;
  const P = b.paths, n = P.size, explicit = P.explicit, first = P.first;
  const placed = new Int32Array(n);
  const root: Record<string, unknown> = {};
  const vals: unknown[] = new Array<unknown>(n);
  vals[0] = root;
  for (let id = 1; id < n; id++) {
    const parentId = P.parentOf(id), parent = vals[parentId];
    if (parent === null || typeof parent !== 'object') return undefined;
    const row = explicit[id]!;
    let v: unknown;
    if (row >= 0) v = valueOf(b, row, P.childCount(id));
    else if (first[id]! >= 0) v = b.arrays.has(id) ? new Array<unknown>(P.childCount(id)) : {};
    if (v === undefined) return undefined;
    const seg = P.segmentOf(id);
    if (Array.isArray(parent)) {
      if (seg !== placed[parentId]++) return undefined;
      parent[seg] = v;
    } else if (typeof seg !== 'string') return undefined;
    else if (seg === '__proto__') Object.defineProperty(parent, seg, { value: v, enumerable: true, writable: true, configurable: true });
    else (parent as Record<string, unknown>)[seg] = v;
    vals[id] = v;
  }
  return root;
}

/** The value a defining row gives its path: a table, a container sized for its elements, or a scalar. */
function valueOf(b: Builder, row: number, size: number): unknown {
  const a = b.rows.a, o = row * STRIDE, kind = a[o + F_KIND]!;
  if (kind === K_TABLE || kind === K_ARRAY_TABLE) return {};
  const vk = a[o + F_VKIND]!;
  if (vk === V_STRING) return b.strs[row];
  if (vk === V_ARRAY) return new Array<unknown>(size); // exactly sized; every slot is filled
  if (vk === V_INLINE) return {};
  const tok = b.t.slice(a[o + F_VS]!, a[o + F_VE]!);
  if (vk === V_BOOLEAN) return tok === 'true';
  if (vk === V_INTEGER) return integer(tok);
  if (vk === V_FLOAT) return float(tok);
  return undefined; // dates (smol-toml's TomlDate -> ISO string) and anything else: not certain
}

/** smol-toml without integersAsBigInt: exact integers only (beyond 2^53 it rejects); `-0` is 0. */
function integer(tok: string): number | undefined {
  let s = tok.includes('_') ? tok.replaceAll('_', '') : tok, base = 10;
  if (s.length > 2 && s.charCodeAt(0) === 48) {
    const p = s.charCodeAt(1);
    base = p === 120 ? 16 : p === 111 ? 8 : p === 98 ? 2 : 10;
    if (base !== 10) s = s.slice(2);
  }
  const v = parseInt(s, base);
  if (!Number.isSafeInteger(v)) return undefined;
  return v === 0 ? 0 : v;
}

function float(tok: string): number {
  const c = tok.charCodeAt(0), sign = c === 45 ? -1 : 1, body = c === 43 || c === 45 ? tok.slice(1) : tok;
  if (body === 'inf') return sign * Infinity;
  if (body === 'nan') return NaN;
  return parseFloat(tok.includes('_') ? tok.replaceAll('_', '') : tok);
}
