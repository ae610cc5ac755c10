// Semantic highlighting of the policy's own names: profiles (`namespace`), hooks (`function`),
// actions (`method`) where they are defined and where they are referenced, and the matcher prefixes
// `pattern:` / `literal:` inside hook matcher strings (`keyword`). Standard token types, so every
// theme colours them without extra contributions.
import type { Range, SemanticTokens } from 'vscode-languageserver/node';
import type { TomlNode } from '../../core/toml/positions';
import type { DocumentAnalysis, FeatureRegistration } from '../context';
import { segmentRange, stringContentRange } from './references';
import { nodesUnder } from './subtree';
import { parseMatcherSpec } from '../../core/match/hooks';
import { hookActionRef, hookOf, isProfileSelector, mitmPlace, profileOf } from '../../core/model/keyPaths';

const TOKEN_TYPES = ['namespace', 'function', 'method', 'keyword'] as const;
type TokenType = (typeof TOKEN_TYPES)[number];
export const SEMANTIC_LEGEND = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [] as string[] };

interface Token { range: Range; type: TokenType }

const MATCHER_KEYS = new Set(['path_prefixes', 'query', 'headers']);

function tokensOf(node: TomlNode): Token[] {
  const out: Token[] = [];
  const p = node.path;
  const seg = (i: number, type: TokenType) => {
    const r = segmentRange(node, i);
    if (r) out.push({ range: r, type });
  };
  if (profileOf(p) !== undefined) seg(1, 'namespace');
  const place = mitmPlace(p);
  if (place?.name !== undefined) seg(5, place.kind === 'hooks' ? 'function' : 'method');
  const str = stringContentRange(node);
  if (!str || node.stringValue === undefined) return out;
  const hook = hookOf(p);
  if (isProfileSelector(p)) out.push({ range: str, type: 'namespace' });
  else if (hookActionRef(p)) out.push({ range: str, type: 'method' });
  else if (hook && MATCHER_KEYS.has(String(hook.rest[0]))) {
    const m = parseMatcherSpec(node.stringValue);
    const len = m.form === 'plain' ? 0 : m.form.length + 1;
    if (len) out.push({ range: { start: str.start, end: { line: str.start.line, character: str.start.character + len } }, type: 'keyword' });
  }
  return out;
}

/** LSP's relative encoding: line delta, start delta, length, type index, modifiers. */
function semanticTokens(a: DocumentAnalysis): SemanticTokens {
  const tokens = nodesUnder(a.doc.index, [['permissions'], ['default_permissions']]).flatMap(tokensOf).filter((t) => t.range.start.line === t.range.end.line);
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
