// Semantic highlighting of the policy's own names: profiles (`namespace`), hooks (`function`),
// actions (`method`) where they are defined and where they are referenced, and the matcher prefixes
// `pattern:` / `literal:` inside hook matcher strings (`keyword`). Standard token types, so every
// theme colours them without extra contributions.
import type { Range, SemanticTokens } from 'vscode-languageserver/node';
import type { PathSegment, TomlNode } from '../../core/toml/positions';
import type { DocumentAnalysis, FeatureRegistration } from '../context';
import { segmentRange, stringContentRange } from './references';

const TOKEN_TYPES = ['namespace', 'function', 'method', 'keyword'] as const;
type TokenType = (typeof TOKEN_TYPES)[number];
export const SEMANTIC_LEGEND = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [] as string[] };

interface Token { range: Range; type: TokenType }

const isMitm = (p: readonly PathSegment[]) => p[0] === 'permissions' && p[2] === 'network' && p[3] === 'mitm';
const MATCHER_KEYS = new Set(['path_prefixes', 'query', 'headers']);

function tokensOf(node: TomlNode): Token[] {
  const out: Token[] = [];
  const p = node.path;
  const seg = (i: number, type: TokenType) => {
    const r = segmentRange(node, i);
    if (r) out.push({ range: r, type });
  };
  if (p[0] === 'permissions' && typeof p[1] === 'string') seg(1, 'namespace');
  if (isMitm(p) && p.length >= 6 && (p[4] === 'hooks' || p[4] === 'actions')) seg(5, p[4] === 'hooks' ? 'function' : 'method');
  const str = stringContentRange(node);
  if (!str || node.stringValue === undefined) return out;
  const last = p[p.length - 1];
  if ((p.length === 1 && p[0] === 'default_permissions') || (p.length === 3 && p[0] === 'permissions' && p[2] === 'extends')) out.push({ range: str, type: 'namespace' });
  else if (isMitm(p) && p[4] === 'hooks' && p[6] === 'action' && typeof last === 'number') out.push({ range: str, type: 'method' });
  else if (isMitm(p) && p[4] === 'hooks' && MATCHER_KEYS.has(String(p[6]))) {
    const m = /^(pattern|literal):/.exec(node.stringValue);
    if (m) out.push({ range: { start: str.start, end: { line: str.start.line, character: str.start.character + m[0].length } }, type: 'keyword' });
  }
  return out;
}

/** LSP's relative encoding: line delta, start delta, length, type index, modifiers. */
function semanticTokens(a: DocumentAnalysis): SemanticTokens {
  const tokens = a.doc.index.nodes.flatMap(tokensOf).filter((t) => t.range.start.line === t.range.end.line);
  tokens.sort((x, y) => x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character);
  const data: number[] = [];
  let line = 0, char = 0, lastKey = '';
  for (const t of tokens) {
    const key = `${t.range.start.line}:${t.range.start.character}`;
    if (key === lastKey) continue; // a header segment shared by several nodes
    lastKey = key;
    const dl = t.range.start.line - line;
    data.push(dl, dl === 0 ? t.range.start.character - char : t.range.start.character, t.range.end.character - t.range.start.character, TOKEN_TYPES.indexOf(t.type), 0);
    line = t.range.start.line;
    char = t.range.start.character;
  }
  return { data };
}

export const register: FeatureRegistration = (ctx) => {
  ctx.connection.languages.semanticTokens.on((params) => ctx.safe<SemanticTokens>('semanticTokens', { data: [] }, () => {
    const a = ctx.analysis(params.textDocument.uri);
    return a ? semanticTokens(a) : { data: [] };
  }));
};
