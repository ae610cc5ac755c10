// Completion: keys valid at the cursor and not yet written, header segments, enum and boolean
// values, profile and action names, HTTP methods and header names, matcher prefixes, environment
// variable names (never values), and whole hook/action tables as snippets.
import {
  CompletionItemKind, CompletionItemTag, InsertTextFormat, MarkupKind,
  type CompletionItem, type CompletionList, type Range,
} from 'vscode-languageserver/node';
import type { z } from 'zod';
import { actionsPath, inMitm, inNetwork, isProfileSelector, mitmPlace, profileOf } from '../../core/model/keyPaths';
import { metaOf, shapeOf, type ValueSource } from '../../core/model/meta';
import { BUILTIN_PROFILES, builtinDocs } from '../../core/model/profile';
import { availableProfiles } from '../../core/lower/resolve';
import type { CursorContext, PathSegment } from '../../core/toml/positions';
import type { DocumentAnalysis, FeatureRegistration, ServerContext } from '../context';
import { mergedNetwork, resolveInput } from './describe';
import { elementOf, enumDoc, enumValues, isBooleanSchema, keyDoc, keyText, schemaFor, typeLabel } from './model';
import { parentOf } from './references';
import { snippetItems } from './snippets';
import {
  COMMON_HEADERS, HTTP_METHODS, MATCHER_PREFIXES, NEW_ACTION_LABEL, NEW_HOOK_LABEL, newActionSnippet, newHookSnippet,
} from './vocabulary';
import { table } from '../../core/toml/values';

const MAX_ITEMS = 200;

const md = (value: string) => ({ kind: MarkupKind.Markdown, value });
const snippetEscape = (s: string) => s.replace(/[$}\\]/g, (c) => '\\' + c);

interface Spot { a: DocumentAnalysis; c: CursorContext; text: string; offset: number; env: () => string[] }


/** Child names already written at `path`. */
function present(a: DocumentAnalysis, path: readonly PathSegment[]): Set<string> {
  // A document that parses has them as its value's keys: no node built per key (a 1 MB document
  // may have 100,000 at its root).
  let value: unknown = a.doc.value;
  for (const s of path) value = table(value)?.[s] ?? (Array.isArray(value) && typeof s === 'number' ? value[s] : undefined);
  const written = table(value);
  if (written) return new Set(Object.keys(written));
  const out = new Set<string>();
  for (const n of a.doc.index.childrenOf(path)) {
    const seg = n.path[path.length];
    if (typeof seg === 'string') out.add(seg);
  }
  return out;
}

function isTableLike(schema: z.ZodType): boolean {
  const sh = shapeOf(schema);
  if (sh.kind === 'object' || sh.kind === 'record') return true;
  return sh.kind === 'array' && shapeOf(sh.element).kind === 'object';
}

/** `key = <value>` snippet body for a key of this schema. */
function valueSnippet(schema: z.ZodType): string {
  const values = enumValues(schema);
  if (values.length) return `"\${1|${values.map((v) => v.replace(/[,|]/g, '')).join(',')}|}"`;
  if (isBooleanSchema(schema)) return '${1|true,false|}';
  const sh = shapeOf(schema);
  if (sh.kind === 'array') return shapeOf(sh.element).kind === 'object' ? '[{ $1 }]' : '[$1]';
  if (sh.kind === 'object' || sh.kind === 'record') return '{ $1 }';
  if (sh.kind === 'scalar' && (sh.type === 'integer' || sh.type === 'number')) return '${1:0}';
  return '"$1"';
}

function keyItem(name: string, schema: z.ZodType, range: Range, withValue: boolean): CompletionItem {
  const meta = metaOf(schema);
  const label = keyText(name);
  const item: CompletionItem = {
    label, kind: isTableLike(schema) ? CompletionItemKind.Module : CompletionItemKind.Property,
    detail: typeLabel(schema) + (meta.defaultText ? ` (default ${meta.defaultText})` : ''),
    documentation: md(keyDoc(schema)),
    textEdit: { range, newText: withValue ? `${label} = ${valueSnippet(schema)}` : label },
    insertTextFormat: withValue ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    sortText: (meta.deprecated ? '9' : '1') + name,
  };
  if (meta.deprecated) item.tags = [CompletionItemTag.Deprecated];
  return item;
}

function tableSnippets(spot: Spot, profile: string, range: Range): CompletionItem[] {
  const p = snippetEscape(keyText(profile));
  return [
    { label: NEW_HOOK_LABEL, kind: CompletionItemKind.Snippet, detail: 'MITM hook table', insertTextFormat: InsertTextFormat.Snippet,
      documentation: md('A hook: which decrypted requests to one host it matches, and the actions applied. The first matching hook wins; unmatched requests to a hooked host are blocked.'),
      textEdit: { range, newText: newHookSnippet(p) }, sortText: '0hook', filterText: spot.c.inHeader ? spot.c.prefix : 'hook' },
    { label: NEW_ACTION_LABEL, kind: CompletionItemKind.Snippet, detail: 'MITM action table', insertTextFormat: InsertTextFormat.Snippet,
      documentation: md('An action that strips a header and injects one whose value comes from an environment variable of the proxy process.'),
      textEdit: { range, newText: newActionSnippet(p) }, sortText: '0action', filterText: spot.c.inHeader ? spot.c.prefix : 'action' },
  ];
}

/** Range of the whole header line being typed (to replace it with a snippet). */
function headerLineRange(spot: Spot): Range {
  const line = spot.c.prefixRange.start.line;
  const lineStart = spot.text.lastIndexOf('\n', spot.offset - 1) + 1;
  let end = spot.text.indexOf('\n', spot.offset);
  if (end < 0) end = spot.text.length;
  const lineText = spot.text.slice(lineStart, end).replace(/\r$/, '');
  const startChar = Math.max(0, lineText.indexOf('['));
  return { start: { line, character: startChar }, end: { line, character: lineText.length } };
}

function headerItems(spot: Spot): CompletionItem[] {
  const { a, c } = spot;
  const parent = c.keyPath;
  const schema = schemaFor(a.kind, parent);
  if (!schema) return [];
  const sh = shapeOf(schema);
  const out: CompletionItem[] = [];
  if (sh.kind === 'object') {
    for (const [name, child] of Object.entries(sh.shape)) {
      if (!metaOf(child).removed && isTableLike(child)) out.push(keyItem(name, child, c.prefixRange, false));
    }
  } else if (sh.kind === 'record') {
    const label = metaOf(schema).keyLabel ?? 'name';
    for (const name of present(a, parent)) {
      out.push({ label: keyText(name), kind: CompletionItemKind.Reference, detail: `existing ${label}`, textEdit: { range: c.prefixRange, newText: keyText(name) } });
    }
    const place = mitmPlace(parent);
    if (place && place.name === undefined) {
      const items = tableSnippets(spot, place.profile, headerLineRange(spot));
      out.push(...items.filter((i) => (place.kind === 'hooks') === (i.label === NEW_HOOK_LABEL)));
    }
  }
  return out;
}

function keyItems(spot: Spot): CompletionItem[] {
  const { a, c } = spot;
  const inline = c.valuePath !== undefined;
  const base = [...(c.valuePath ?? c.tablePath), ...c.keyPath];
  const schema = schemaFor(a.kind, base);
  const out: CompletionItem[] = [];
  if (!schema) return out;
  const sh = shapeOf(schema);
  const have = present(a, base);
  if (sh.kind === 'object') {
    for (const [name, child] of Object.entries(sh.shape)) {
      if (have.has(name) || metaOf(child).removed) continue;
      out.push(keyItem(name, child, c.prefixRange, true));
    }
  } else if (sh.kind === 'record' && metaOf(schema).keySource === 'headerName') {
    for (const h of COMMON_HEADERS) {
      if (!have.has(h)) out.push({ label: h, kind: CompletionItemKind.Field, detail: 'header name', insertTextFormat: InsertTextFormat.Snippet, textEdit: { range: c.prefixRange, newText: `${keyText(h)} = [$1]` } });
    }
  } else if (sh.kind === 'record' && base.length === 1 && base[0] === 'permissions') {
    for (const name of have) out.push({ label: keyText(name), kind: CompletionItemKind.Reference, detail: 'existing profile', textEdit: { range: c.prefixRange, newText: keyText(name) } });
  }
  // Whole hook/action tables from a network table body (or its mitm tables).
  const net = inNetwork(base);
  const mitm = net && inMitm(net.rest);
  if (!inline && c.keyPath.length === 0 && net && (net.rest.length === 0 || (mitm && mitm.length <= 1))) {
    out.push(...tableSnippets(spot, net.profile, c.prefixRange));
  }
  return out;
}

function valueItem(spot: Spot, value: string, kind: CompletionItemKind, detail: string, doc?: string, raw = false): CompletionItem {
  const { c, text, offset } = spot;
  let newText = raw || c.inString ? value : JSON.stringify(value);
  if (!c.inString && text[offset - 1] === '=') newText = ' ' + newText;
  const item: CompletionItem = { label: value, kind, detail, textEdit: { range: c.prefixRange, newText } };
  if (!c.inString && !raw) item.filterText = JSON.stringify(value);
  if (doc) item.documentation = md(doc);
  return item;
}

function profileItems(spot: Spot, exclude: (n: string) => boolean): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const [name, layer] of availableProfiles(resolveInput(spot.a))) {
    if (exclude(name)) continue;
    const d = table(layer.body)?.description;
    out.push(valueItem(spot, name, CompletionItemKind.Reference, layer.doc.kind === 'requirements' ? 'managed profile' : 'profile', typeof d === 'string' ? d : undefined));
  }
  for (const b of BUILTIN_PROFILES) if (!exclude(b)) out.push(valueItem(spot, b, CompletionItemKind.Constant, 'built-in profile', builtinDocs[b]));
  return out;
}

function actionItems(spot: Spot, profile: string): CompletionItem[] {
  const names = new Map<string, string>();
  const net = mergedNetwork(spot.a, profile);
  for (const n of Object.keys(table(table(net?.mitm)?.actions) ?? {})) names.set(n, 'action');
  // Also from the index, so a document that does not parse still completes.
  const index = spot.a.doc.index, seen = new Set<string>();
  for (let p: string | undefined = profile; p !== undefined && !seen.has(p); p = parentOf(index, p)) {
    seen.add(p);
    for (const n of present(spot.a, actionsPath(p))) if (!names.has(n)) names.set(n, p === profile ? 'action' : `action from \`${p}\``);
  }
  return [...names].map(([n, d]) => valueItem(spot, n, CompletionItemKind.Function, d));
}

function valueItems(spot: Spot, env: () => string[]): CompletionItem[] {
  const { a, c } = spot;
  const vp = c.valuePath ?? [];
  let schema = schemaFor(a.kind, vp);
  if (schema && c.arrayIndex !== undefined) schema = elementOf(schema);
  if (a.kind === 'policytest') {
    const test = policyTestValueItems(spot, vp);
    if (test) return test;
  }
  if (!schema) return [];
  const source = metaOf(schemaFor(a.kind, vp) ?? schema).valueSource ?? metaOf(schema).valueSource;
  if (source) return sourceItems(spot, source, vp, env);
  const out: CompletionItem[] = [];
  const doc = enumDoc(schema);
  for (const v of enumValues(schema)) out.push(valueItem(spot, v, CompletionItemKind.EnumMember, typeLabel(schema), doc));
  if (!c.inString && isBooleanSchema(schema)) {
    for (const v of ['true', 'false']) out.push(valueItem(spot, v, CompletionItemKind.Value, 'boolean', undefined, true));
  }
  return out;
}

/** Values named by the field's metadata (`valueSource`), wherever the field is. */
function sourceItems(spot: Spot, source: ValueSource, vp: readonly PathSegment[], env: () => string[]): CompletionItem[] {
  switch (source) {
    case 'profile': {
      // A profile may not extend itself or `:danger-full-access`.
      const own = isProfileSelector(vp) ? profileOf(vp) : undefined;
      return profileItems(spot, (n) => own !== undefined && (n === own || n === ':danger-full-access'));
    }
    case 'action': {
      const own = profileOf(vp);
      return own === undefined ? [] : actionItems(spot, own);
    }
    case 'httpMethod':
      return HTTP_METHODS.map((m) => valueItem(spot, m, CompletionItemKind.EnumMember, 'HTTP method'));
    case 'headerName':
      return COMMON_HEADERS.map((h) => valueItem(spot, h, CompletionItemKind.Field, 'header name'));
    case 'envVar':
      return env().sort().map((n) => valueItem(spot, n, CompletionItemKind.Variable, 'environment variable (set in the editor)'));
    case 'pathMatcher':
    case 'valueMatcher':
      return MATCHER_PREFIXES.map((m) => valueItem(spot, m.label, CompletionItemKind.Keyword, source === 'pathMatcher' ? 'path matcher' : 'value matcher', m.doc));
  }
}

/** Test files: hooks and profiles of the policy under test, header names. */
function policyTestValueItems(spot: Spot, vp: readonly PathSegment[]): CompletionItem[] | undefined {
  const run = spot.a.policyTest;
  if (vp.length === 3 && vp[0] === 'case' && vp[2] === 'hook') {
    return (run?.loaded?.effective?.hooks ?? []).map((h) => valueItem(spot, h.name, CompletionItemKind.Function, `hook on ${h.host}`));
  }
  if (vp.length === 3 && vp[0] === 'case' && (vp[2] === 'strip' || vp[2] === 'inject')) return COMMON_HEADERS.map((h) => valueItem(spot, h, CompletionItemKind.Field, 'header name'));
  if (vp.length === 1 && vp[0] === 'profile') {
    const names = run?.loaded ? [...availableProfiles(run.loaded.documents).keys()] : [];
    return [...names, ...BUILTIN_PROFILES].map((n) => valueItem(spot, n, CompletionItemKind.Reference, 'profile'));
  }
  return undefined;
}

function complete(a: DocumentAnalysis, text: string, pos: { line: number; character: number }, env: () => string[]): CompletionItem[] {
  const c = a.doc.index.context(pos);
  const spot: Spot = { a, c, text, offset: a.doc.index.offsetAt(pos), env };
  const items = c.inHeader ? headerItems(spot) : c.inKey ? keyItems(spot) : c.inValue ? valueItems(spot, env) : [];
  if (c.inKey && c.valuePath === undefined) {
    const lineStart = text.lastIndexOf('\n', spot.offset - 1) + 1;
    items.push(...snippetItems(a.kind, text.slice(lineStart, spot.offset), c.prefixRange));
  }
  return items.slice(0, MAX_ITEMS);
}

export const register: FeatureRegistration = (ctx: ServerContext) => {
  ctx.connection.onCompletion((params) => ctx.safe<CompletionList | null>('completion', null, () => {
    const a = ctx.analysis(params.textDocument.uri);
    if (!a) return null;
    const items = complete(a, a.doc.text, params.position, () => ctx.envNames());
    return { isIncomplete: items.length >= MAX_ITEMS, items };
  }));
};
