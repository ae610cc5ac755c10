// Folding: each table (header to its last line), multi-line arrays, inline tables and strings,
// and runs of comment lines.
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver/node';
import type { LoadedDocument } from '../../core/toml/load';
import type { FeatureRegistration } from '../context';

function foldingRanges(doc: LoadedDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  const seen = new Set<string>();
  const add = (startLine: number, endLine: number, kind?: FoldingRangeKind) => {
    const key = `${startLine}:${endLine}`;
    if (endLine > startLine && !seen.has(key)) {
      seen.add(key);
      out.push({ startLine, endLine, ...(kind ? { kind } : {}) });
    }
  };
  for (const node of doc.index.nodes) {
    if (node.kind === 'table' || node.kind === 'array-table') add(node.range.start.line, node.range.end.line);
    else if (node.valueRange) add(node.valueRange.start.line, node.valueRange.end.line);
  }
  const lines = doc.text.split(/\r\n|\r|\n/);
  let start = -1;
  for (let i = 0; i <= lines.length; i++) {
    const isComment = i < lines.length && /^\s*#/.test(lines[i]!);
    if (isComment && start < 0) start = i;
    if (!isComment && start >= 0) {
      add(start, i - 1, FoldingRangeKind.Comment);
      start = -1;
    }
  }
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}

export const register: FeatureRegistration = (ctx) => {
  ctx.connection.onFoldingRanges((params) => ctx.safe<FoldingRange[] | null>('foldingRange', null, () => {
    const a = ctx.analysis(params.textDocument.uri);
    return a ? foldingRanges(a.doc) : null;
  }));
};
