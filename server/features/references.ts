// Where actions and permission profiles are defined and used in one document: the shared ground of
// go-to-definition, references, rename and hover. Works on the position index alone, so it also
// answers while the document does not parse.
import type { LoadedDocument } from '../../core/toml/load';
import type { Position, Range, TomlIndex, TomlNode } from '../../core/toml/positions';
import { actionOf, actionPath, hookActionRef, isProfileSelector } from '../../core/model/keyPaths';
import { nodesUnder } from './subtree';

export type SymbolKind = 'action' | 'profile';

export interface Occurrence {
  kind: SymbolKind;
  name: string;
  /** For actions: the profile whose `mitm.actions` defines (or would define) it. */
  owner?: string;
  role: 'definition' | 'reference';
  /** `key`: a key or header segment (range includes quotes); `string`: a string's content (no quotes). */
  form: 'key' | 'string';
  range: Range;
}

/** Range of the key segment of `node` that spells `node.path[pathIndex]`. */
export function segmentRange(node: TomlNode, pathIndex: number): Range | undefined {
  const segs = node.keySegmentRanges;
  if (!segs || pathIndex >= node.path.length || typeof node.path[pathIndex] !== 'string') return undefined;
  if (node.kind === 'table' || node.kind === 'array-table') {
    let k = 0; // headers: one segment per string element (numbers are array-of-tables indexes)
    for (let i = 0; i < pathIndex; i++) if (typeof node.path[i] === 'string') k++;
    return segs[k];
  }
  const offset = node.path.length - segs.length;
  return pathIndex >= offset ? segs[pathIndex - offset] : undefined;
}

/** Content range of a one-line quoted string value (inside the quotes). */
export function stringContentRange(node: TomlNode): Range | undefined {
  const r = node.valueRange;
  if (!r || node.valueKind !== 'string' || r.start.line !== r.end.line || r.end.character - r.start.character < 2) return undefined;
  return { start: { line: r.start.line, character: r.start.character + 1 }, end: { line: r.end.line, character: r.end.character - 1 } };
}

export function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}



/** Parent of a profile (its `extends` value), read from the index. */
export function parentOf(index: TomlIndex, profile: string): string | undefined {
  return index.get(['permissions', profile, 'extends'])?.stringValue;
}

/** The profile in `profile`'s extends chain (itself first) that defines action `name`, if any. */
function actionOwner(index: TomlIndex, profile: string, name: string): string | undefined {
  const seen = new Set<string>();
  for (let p: string | undefined = profile; p !== undefined && !seen.has(p); p = parentOf(index, p)) {
    seen.add(p);
    if (index.get(actionPath(p, name))) return p;
  }
  return undefined;
}

// A document version is immutable: its occurrences are found once (a walk over every node,
// seconds on a 1 MB file) and shared by definition, references, rename and highlights.
const memo = new WeakMap<LoadedDocument, Occurrence[]>();

/** Every action and profile occurrence of a document. */
export function occurrences(doc: LoadedDocument): Occurrence[] {
  let found = memo.get(doc);
  if (!found) memo.set(doc, (found = findOccurrences(doc)));
  return found;
}

function findOccurrences(doc: LoadedDocument): Occurrence[] {
  const out: Occurrence[] = [];
  const index = doc.index;
  const seen = new Set<string>(); // one occurrence per kind and range (a Set: linear in the profile count)
  const push = (o: Occurrence) => {
    const key = `${o.kind}:${o.range.start.line}:${o.range.start.character}:${o.range.end.line}:${o.range.end.character}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(o);
    }
  };
  // Profiles, actions and their references all live under these keys.
  for (const node of nodesUnder(index, [['permissions'], ['default_permissions'], ['allowed_permission_profiles']])) {
    const p = node.path;
    if (p[0] === 'permissions' && typeof p[1] === 'string' && !(doc.kind === 'requirements' && p[1] === 'filesystem')) {
      const r = segmentRange(node, 1);
      if (r) push({ kind: 'profile', name: p[1], role: 'definition', form: 'key', range: r });
    }
    const action = actionOf(p);
    if (action) {
      const r = segmentRange(node, 5);
      if (r) push({ kind: 'action', name: action.name, owner: action.profile, role: 'definition', form: 'key', range: r });
    }
    const ref = hookActionRef(p);
    if (ref && node.stringValue !== undefined) {
      const r = stringContentRange(node);
      if (r) push({ kind: 'action', name: node.stringValue, owner: actionOwner(index, ref.profile, node.stringValue) ?? ref.profile, role: 'reference', form: 'string', range: r });
    }
    if (isProfileSelector(p) && node.stringValue !== undefined) {
      const r = stringContentRange(node);
      if (r) push({ kind: 'profile', name: node.stringValue, role: 'reference', form: 'string', range: r });
    }
    if (doc.kind === 'requirements' && p.length === 2 && p[0] === 'allowed_permission_profiles' && typeof p[1] === 'string') {
      const r = segmentRange(node, 1);
      if (r) push({ kind: 'profile', name: p[1], role: 'reference', form: 'key', range: r });
    }
  }
  return out;
}

export function occurrenceAt(all: readonly Occurrence[], pos: Position): Occurrence | undefined {
  return all.find((o) => contains(o.range, pos));
}

/** Every occurrence of the same symbol as `o` (definitions and references). */
export function sameSymbol(all: readonly Occurrence[], o: Occurrence): Occurrence[] {
  return all.filter((x) => x.kind === o.kind && x.name === o.name && (o.kind !== 'action' || x.owner === o.owner));
}

/** Names Codex and TOML both accept without quoting; rename only produces these. */
export function isValidSymbolName(kind: SymbolKind, name: string): boolean {
  // Decision: renames produce bare-key names only (letters, digits, `_`, `-`), so every
  // occurrence (header segment, dotted key, string value) can be rewritten without quoting.
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return false;
  return kind === 'action' || !name.startsWith(':');
}
