// Quick fix: legacy `allowed_domains` / `denied_domains` / `allow_unix_sockets` lists become the
// `domains` / `unix_sockets` maps Codex reads today (config profiles and requirements
// `[experimental_network]`). Allowed entries first, then denied ones, so a host in both ends up
// `deny`, as Codex's own legacy mapping does.
import type { Position, TextEdit } from 'vscode-languageserver/node';
import type { LoadedDocument } from '../../core/toml/load';
import type { PathSegment, TomlNode } from '../../core/toml/positions';
import { deleteNode, insertLinesAfter, lineText } from './textEdits';

export interface LegacyFix { title: string; edits: TextEdit[]; preferred: boolean }

const LEGACY: Record<'domains' | 'unix_sockets', [string, 'allow' | 'deny'][]> = {
  domains: [['allowed_domains', 'allow'], ['denied_domains', 'deny']],
  unix_sockets: [['allow_unix_sockets', 'allow']],
};

export function targetOfLegacy(key: string): 'domains' | 'unix_sockets' | undefined {
  if (key === 'allowed_domains' || key === 'denied_domains') return 'domains';
  if (key === 'allow_unix_sockets') return 'unix_sockets';
  return undefined;
}

const samePos = (a: Position, b: Position) => a.line === b.line && a.character === b.character;

/** Puts `insert` into a deletion that ends exactly where it goes (touching edits confuse some clients). */
function merge(deletions: TextEdit[], insert: TextEdit): TextEdit[] {
  const host = deletions.find((d) => samePos(d.range.end, insert.range.start) && d.newText === '');
  if (!host) return [...deletions, insert];
  return deletions.map((d) => (d === host ? { range: d.range, newText: insert.newText } : d));
}

export function legacyListFixes(doc: LoadedDocument, parent: PathSegment[], target: 'domains' | 'unix_sockets'): LegacyFix[] {
  const index = doc.index;
  const legacy: TomlNode[] = [];
  const entries = new Map<string, 'allow' | 'deny'>();
  for (const [key, permission] of LEGACY[target]) {
    const node = index.get([...parent, key]);
    if (!node || (node.kind !== 'key-value' && node.kind !== 'inline-entry')) continue;
    legacy.push(node);
    for (const item of index.childrenOf([...parent, key])) {
      if (item.kind !== 'array-item' || item.stringValue === undefined) continue;
      entries.delete(item.stringValue); // re-insert so the later (stronger) permission keeps its place
      entries.set(item.stringValue, permission);
    }
  }
  if (!legacy.length) return [];
  const lines = [...entries].map(([k, v]) => `${JSON.stringify(k)} = "${v}"`);
  const deletions = legacy.map((n) => deleteNode(doc, n));
  const existing = index.get([...parent, target]);
  const what = `${legacy.map((n) => `\`${n.path[n.path.length - 1]}\``).join(' and ')} to the \`${target}\` table`;

  if (existing?.kind === 'table') {
    const insert = insertLinesAfter(doc, existing.range.end.line, lines.join('\n'));
    return [{ title: `Move ${what}`, edits: merge(deletions, insert), preferred: true }];
  }
  if (existing?.valueKind === 'inline-table' && existing.valueRange) {
    const close = { line: existing.valueRange.end.line, character: existing.valueRange.end.character - 1 };
    const body = doc.text.slice(index.offsetAt(existing.valueRange.start) + 1, index.offsetAt(close));
    const empty = body.trim() === '';
    const newText = (empty ? ' ' : body.trimEnd().endsWith(',') ? ' ' : ', ') + lines.join(', ') + ' ';
    const start = empty ? { line: existing.valueRange.start.line, character: existing.valueRange.start.character + 1 } : close;
    return [{ title: `Move ${what}`, edits: [...deletions, { range: { start, end: close }, newText }], preferred: true }];
  }
  if (existing) return []; // written as dotted keys: too varied to merge into safely

  const fixes: LegacyFix[] = [];
  const owner = index.get(parent);
  const direct = legacy.every((n) => n.kind === 'key-value' && n.keySegmentRanges?.length === 1);
  if (owner?.kind === 'table' && owner.keyRange && direct) {
    const header = lineText(doc, owner.keyRange.start.line).slice(owner.keyRange.start.character, owner.keyRange.end.character);
    const table = [`[${header}.${target}]`, ...lines].join('\n');
    const insert = insertLinesAfter(doc, owner.range.end.line, table);
    fixes.push({ title: `Convert ${what} (new table)`, edits: merge(deletions, insert), preferred: true });
  }
  // Inline form: replace the first legacy key in place, keeping any dotted prefix it was written with.
  const first = legacy[0]!;
  const segs = first.keySegmentRanges ?? [];
  const keyStart = first.keyRange!.start;
  const lastSeg = segs[segs.length - 1]!;
  const prefix = doc.text.slice(index.offsetAt(keyStart), index.offsetAt(lastSeg.start));
  const inline = `${prefix}${target} = { ${lines.join(', ')} }`;
  const rest = legacy.slice(1).map((n) => deleteNode(doc, n));
  fixes.push({ title: `Convert ${what} (inline table)`, edits: [{ range: first.range, newText: inline }, ...rest], preferred: fixes.length === 0 });
  return fixes;
}
