// Line-aware text edits that leave everything around them (comments, spacing) untouched.
import type { Range, TextEdit } from 'vscode-languageserver/node';
import type { LoadedDocument } from '../../core/toml/load';
import type { TomlNode } from '../../core/toml/positions';

export function lineText(doc: LoadedDocument, line: number): string {
  const start = doc.index.offsetAt({ line, character: 0 });
  let end = start;
  while (end < doc.text.length && doc.text[end] !== '\n' && doc.text[end] !== '\r') end++;
  return doc.text.slice(start, end);
}

export function lineCount(doc: LoadedDocument): number {
  return doc.index.positionAt(doc.text.length).line + 1;
}

/** Deletes whole lines `first..last` (with their line break). */
function deleteLines(doc: LoadedDocument, first: number, last: number): TextEdit {
  const end = last + 1 < lineCount(doc) ? { line: last + 1, character: 0 } : { line: last, character: lineText(doc, last).length };
  const start = last + 1 >= lineCount(doc) && first > 0 ? { line: first - 1, character: lineText(doc, first - 1).length } : { line: first, character: 0 };
  return { range: { start, end }, newText: '' };
}

/** Deletes a statement: its whole lines when it stands alone on them (a trailing comment on its
 *  last line goes with it), else just its own range. */
export function deleteNode(doc: LoadedDocument, node: TomlNode): TextEdit {
  const r = node.headerRange && node.kind !== 'key-value' ? node.headerRange : node.range;
  const head = lineText(doc, r.start.line).slice(0, r.start.character);
  const tail = lineText(doc, r.end.line).slice(r.end.character);
  if (/^\s*$/.test(head) && /^\s*(#.*)?$/.test(tail)) return deleteLines(doc, r.start.line, r.end.line);
  return { range: r, newText: '' };
}

/** Inserts whole lines after line `line` (text without a trailing newline). */
export function insertLinesAfter(doc: LoadedDocument, line: number, text: string): TextEdit {
  if (line + 1 < lineCount(doc)) return { range: at(line + 1, 0), newText: text + '\n' };
  const len = lineText(doc, line).length;
  return { range: at(line, len), newText: (len || line > 0 ? '\n' : '') + text };
}

export function at(line: number, character: number): Range {
  return { start: { line, character }, end: { line, character } };
}

