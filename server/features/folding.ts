// Folding: each table (header to its last line), multi-line values of keys (arrays, inline tables,
// strings), and runs of comment lines; at most the client's `rangeLimit`, the largest kept.
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver/node';
import type { LoadedDocument } from '../../core/toml/load';
import type { FeatureRegistration } from '../context';

/** Decision (#11): when the client names no `rangeLimit`, this many (VS Code's own default). */
const DEFAULT_LIMIT = 5000;

function foldingRanges(doc: LoadedDocument, limit: number): FoldingRange[] {
  const out: FoldingRange[] = [];
  const seen = new Set<string>();
  const add = (startLine: number, endLine: number, kind?: FoldingRangeKind) => {
    const key = `${startLine}:${endLine}`;
    if (endLine > startLine && !seen.has(key)) {
      seen.add(key);
      out.push({ startLine, endLine, ...(kind ? { kind } : {}) });
    }
  };
  // Keyed nodes only: array elements (most of a document of nested arrays) fold with their key.
  for (const node of doc.index.keyed) {
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
  const kept = out.length <= limit ? out : [...out].sort((a, b) => b.endLine - b.startLine - (a.endLine - a.startLine)).slice(0, Math.max(0, limit));
  return kept.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}

export const register: FeatureRegistration = (ctx) => {
  ctx.connection.onFoldingRanges((params) => ctx.safe<FoldingRange[] | null>('foldingRange', null, () => {
    const a = ctx.analysis(params.textDocument.uri);
    return a ? foldingRanges(a.doc, ctx.capabilities().textDocument?.foldingRange?.rangeLimit ?? DEFAULT_LIMIT) : null;
  }));
};
