// Document outline: one symbol per path (tables, keys, array-of-table elements), nested by path,
// so profiles hold network, which holds domains, hooks and actions. Implicit tables (created by a
// deeper header or a dotted key) get a symbol spanning their children.
import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver/node';
import type { PathSegment, TomlNode } from '../../core/toml/positions';
import type { FeatureRegistration } from '../context';
import type { LoadedDocument } from '../../core/toml/load';
import { segmentRange } from './references';
import { mitmPlace, profileOf } from '../../core/model/keyPaths';

/** Decision (#11): the outline stops after this many symbols (a hostile document can have 100,000s). */
const MAX_SYMBOLS = 5000;

interface Sym extends DocumentSymbol { children: Sym[]; key: string }

const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character < b.character);
const union = (a: Range, b: Range): Range => ({ start: before(b.start, a.start) ? b.start : a.start, end: before(a.end, b.end) ? b.end : a.end });

function kindOf(path: readonly PathSegment[], node: TomlNode | undefined): SymbolKind {
  const n = path.length;
  if (profileOf(path) !== undefined && n === 2) return SymbolKind.Namespace;
  const place = mitmPlace(path);
  if (place?.name !== undefined && place.rest.length === 0) return place.kind === 'hooks' ? SymbolKind.Event : SymbolKind.Function;
  if (typeof path[n - 1] === 'number') return SymbolKind.Object;
  if (node?.kind === 'array-item') return SymbolKind.String;
  if (!node || node.kind === 'table' || node.valueKind === 'inline-table') return SymbolKind.Module;
  if (node.valueKind === 'array') return SymbolKind.Array;
  if (node.valueKind === 'boolean') return SymbolKind.Boolean;
  if (node.valueKind === 'integer' || node.valueKind === 'float') return SymbolKind.Number;
  return SymbolKind.Property;
}

function documentSymbols(doc: LoadedDocument): DocumentSymbol[] {
  const root: Sym[] = [];
  const byKey = new Map<string, Sym>();
  const ensure = (path: readonly PathSegment[], node: TomlNode, depth: number): Sym => {
    const key = JSON.stringify(path);
    let s = byKey.get(key);
    const own = depth === path.length - 1 ? node : undefined;
    const sel = segmentRange(node, depth) ?? node.keyRange ?? node.headerRange ?? node.range;
    const range = own ? node.range : sel;
    if (!s) {
      const seg = path[path.length - 1]!;
      s = { key, name: typeof seg === 'number' ? `[${seg}]` : seg, kind: kindOf(path, own), range, selectionRange: sel, children: [] };
      if (own?.stringValue !== undefined && own.kind !== 'array-item') s.detail = own.stringValue;
      byKey.set(key, s);
      (path.length > 1 ? ensure(path.slice(0, -1), node, depth - 1).children : root).push(s);
    } else if (own) {
      // An explicit definition met after an implicit one: take its kind and ranges.
      s.kind = kindOf(path, own);
      s.selectionRange = sel;
      s.range = union(s.range, range);
    }
    return s;
  };
  for (const node of doc.index.keyed) {
    if (node.path.length === 0) continue;
    if (byKey.size >= MAX_SYMBOLS) break;
    ensure(node.path, node, node.path.length - 1);
  }
  // Parents span their children (headers of sub-tables may come later in the file).
  const grow = (s: Sym): Range => {
    for (const c of s.children) s.range = union(s.range, grow(c));
    s.range = union(s.range, s.selectionRange);
    return s.range;
  };
  root.forEach(grow);
  const strip = (s: Sym): DocumentSymbol => {
    const { key: _key, children, ...rest } = s;
    return children.length ? { ...rest, children: children.map(strip) } : rest;
  };
  return root.map(strip);
}

export const register: FeatureRegistration = (ctx) => {
  ctx.connection.onDocumentSymbol((params) => ctx.safe<DocumentSymbol[] | null>('documentSymbol', null, () => {
    const a = ctx.analysis(params.textDocument.uri);
    return a ? documentSymbols(a.doc) : null;
  }));
};
