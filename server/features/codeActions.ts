// Quick fixes for the analysis' own diagnostics (code + path + data, never a message parse):
// legacy lists → maps, missing action, removed `mitm.enabled`, empty action, closest known key or
// value, the old `none` permission → `deny`, split methods, and the managed `default_permissions`.
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver/node';
import { rangeOf, type LoadedDocument } from '../../core/toml/load';
import type { DocumentDiagnostic } from '../../core/validate/documents';
import type { DocumentAnalysis, FeatureRegistration } from '../context';
import { legacyListFixes, targetOfLegacy } from './legacyFix';
import { keyText } from './model';
import { segmentRange, stringContentRange } from './references';
import { at, deleteNode, insertLinesAfter, lineCount } from './textEdits';
import { actionsPath, hookOf, hookPath, profileOf } from '../../core/model/keyPaths';
import { nodesUnder } from './subtree';

const NOOP_STRIP = 'strip_request_headers = ["proxy-authorization"]';

interface Fix { title: string; edits: TextEdit[]; preferred?: boolean }

const overlaps = (a: Range, b: Range) =>
  !(a.end.line < b.start.line || (a.end.line === b.start.line && a.end.character < b.start.character) ||
    b.end.line < a.start.line || (b.end.line === a.start.line && b.end.character < a.start.character));

function diagRange(doc: LoadedDocument, d: DocumentDiagnostic): Range {
  return d.range ?? rangeOf(doc.index, d.path, d.target);
}

/** Replace the key segment spelling `path[last]` everywhere it is written (headers and keys). */
function renameKeyFix(doc: LoadedDocument, d: DocumentDiagnostic, suggestion: string): Fix | undefined {
  const i = d.path.length - 1;
  const edits: TextEdit[] = [];
  for (const node of doc.index.getAll(d.path)) {
    const r = segmentRange(node, i);
    if (r && !edits.some((e) => e.range.start.line === r.start.line && e.range.start.character === r.start.character)) edits.push({ range: r, newText: keyText(suggestion) });
  }
  return edits.length ? { title: `Change to \`${suggestion}\``, edits, preferred: true } : undefined;
}

function replaceValueFix(doc: LoadedDocument, d: DocumentDiagnostic, value: string, title = `Change to \`${value}\``): Fix | undefined {
  const node = doc.index.get(d.path);
  const r = node && stringContentRange(node);
  return r ? { title, edits: [{ range: r, newText: value }], preferred: true } : undefined;
}

/** "Did you mean `x`?" from the diagnostic's closest known name (edit distance), offered first. */
function didYouMeanFix(doc: LoadedDocument, d: DocumentDiagnostic): Fix | undefined {
  const s = d.data?.suggestion;
  return typeof s === 'string' ? replaceValueFix(doc, d, s, `Did you mean \`${s}\`?`) : undefined;
}

function missingActionFix(doc: LoadedDocument, d: DocumentDiagnostic): Fix | undefined {
  const name = d.data?.action;
  if (typeof name !== 'string') return undefined;
  // Decision: the action is created in the profile whose hook references it (not a parent).
  const hookRef = hookOf(d.path);
  const profile = profileOf(d.path);
  if (profile === undefined) return undefined;
  const base = actionsPath(profile);
  const header = `[permissions.${keyText(profile)}.network.mitm.actions.${keyText(name)}]`;
  const text = `\n${header}\n${NOOP_STRIP}`;
  // After the profile's last action table, else after the hook's own table, else at the end.
  const anchors = nodesUnder(doc.index, [base]).filter((n) => n.path.length > base.length);
  const hook = hookRef ? doc.index.getAll(hookPath(hookRef.profile, hookRef.name)).find((n) => n.kind === 'table') : undefined;
  const line = anchors.length ? Math.max(...anchors.map((n) => n.range.end.line)) : hook ? hook.range.end.line : lineCount(doc) - 1;
  // Not preferred when a close existing name is offered first (a typo is likelier than a new action).
  return { title: `Create action \`${name}\` in profile \`${profile}\``, edits: [insertLinesAfter(doc, line, text)], preferred: typeof d.data?.suggestion !== 'string' };
}

function removeMitmEnabledFix(doc: LoadedDocument, d: DocumentDiagnostic): Fix | undefined {
  const node = doc.index.get(d.path);
  if (!node) return undefined;
  const edits = [deleteNode(doc, node)];
  const mitmPath = d.path.slice(0, -1);
  const mitm = doc.index.get(mitmPath);
  if (mitm?.kind === 'table') {
    // The header goes too when `enabled` was its only key and no sub-table lives under it.
    const others = nodesUnder(doc.index, [mitmPath]).filter((n) => n !== node && n !== mitm && n.path.length > mitmPath.length);
    if (!others.length) edits.unshift(deleteNode(doc, mitm));
  }
  return { title: 'Remove `mitm.enabled` (MITM turns on by itself)', edits, preferred: true };
}

function emptyActionFix(doc: LoadedDocument, d: DocumentDiagnostic): Fix | undefined {
  const node = doc.index.get(d.path);
  if (!node) return undefined;
  const title = 'Add a no-op operation (strip `proxy-authorization`)';
  if (node.kind === 'table' && node.headerRange) return { title, edits: [insertLinesAfter(doc, node.headerRange.end.line, NOOP_STRIP)], preferred: true };
  if (node.valueKind === 'inline-table' && node.valueRange) {
    const open = node.valueRange.start;
    const inner = doc.text.slice(doc.index.offsetAt(open) + 1, doc.index.offsetAt(node.valueRange.end) - 1);
    if (!inner.trim()) return { title, edits: [{ range: node.valueRange, newText: `{ ${NOOP_STRIP} }` }], preferred: true };
    return { title, edits: [{ range: { start: { line: open.line, character: open.character + 1 }, end: { line: open.line, character: open.character + 1 } }, newText: ` ${NOOP_STRIP},` }], preferred: true };
  }
  return undefined;
}

function fixesFor(a: DocumentAnalysis, d: DocumentDiagnostic): Fix[] {
  const doc = a.doc;
  const data = d.data ?? {};
  switch (d.code) {
    case 'legacy-network-list':
    case 'requirements-network-mixed': {
      const key = d.path[d.path.length - 1];
      const target = typeof key === 'string' ? targetOfLegacy(key) : undefined;
      return target ? legacyListFixes(doc, d.path.slice(0, -1), target) : [];
    }
    case 'mitm-undefined-action': return [didYouMeanFix(doc, d), missingActionFix(doc, d)].filter((f): f is Fix => !!f);
    case 'profile-undefined':
    case 'profile-extends-undefined':
    case 'profile-extends-unsupported':
    case 'profile-unknown-builtin': return [didYouMeanFix(doc, d)].filter((f): f is Fix => !!f);
    case 'mitm-enabled-removed': return [removeMitmEnabledFix(doc, d)].filter((f): f is Fix => !!f);
    case 'mitm-action-no-operation': return [emptyActionFix(doc, d)].filter((f): f is Fix => !!f);
    case 'unknown-key':
      return typeof data.suggestion === 'string' ? [renameKeyFix(doc, d, data.suggestion)].filter((f): f is Fix => !!f) : [];
    case 'invalid-value': {
      const values = Array.isArray(data.values) ? data.values : [];
      const actual = doc.index.get(d.path)?.stringValue;
      // Decision: the transitional `none` permission is offered as `deny` (what it meant).
      const value = actual === 'none' && values.includes('deny') ? 'deny' : typeof data.suggestion === 'string' ? data.suggestion : undefined;
      return value ? [replaceValueFix(doc, d, value)].filter((f): f is Fix => !!f) : [];
    }
    case 'mitm-method-invalid': return [splitMethodsFix(doc, d)].filter((f): f is Fix => !!f);
    case 'requirements-default-missing':
    case 'requirements-default-without-allowlist':
      return typeof data.insert === 'string' ? [{ title: `Add \`${data.insert}\``, edits: [{ range: at(0, 0), newText: `${data.insert}\n` }], preferred: true }] : [];
    default: return [];
  }
}

/** `methods = ["GET POST"]` → `methods = ["GET", "POST"]`. */
function splitMethodsFix(doc: LoadedDocument, d: DocumentDiagnostic): Fix | undefined {
  const split = Array.isArray(d.data?.split) ? (d.data.split as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const range = doc.index.get(d.path)?.valueRange;
  if (!range || split.length < 2) return undefined;
  return { title: `Split into ${split.map((m) => `"${m}"`).join(', ')}`, edits: [{ range, newText: split.map((m) => JSON.stringify(m)).join(', ') }], preferred: true };
}

function codeActionsFor(a: DocumentAnalysis, uri: string, range: Range, lspDiagnostics: readonly Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of a.diagnostics) {
    if (d.file !== a.kind) continue;
    const r = diagRange(a.doc, d);
    if (!overlaps(r, range)) continue;
    const fixes = fixesFor(a, d);
    if (!fixes.length) continue;
    const matching = lspDiagnostics.filter((x) => x.code === d.code && overlaps(x.range, r));
    for (const f of fixes) {
      out.push({
        title: f.title, kind: CodeActionKind.QuickFix, edit: { changes: { [uri]: f.edits } },
        ...(matching.length ? { diagnostics: matching } : {}), ...(f.preferred ? { isPreferred: true } : {}),
      });
    }
  }
  // One diagnostic per legacy key yields the same conversion twice: keep the first of each.
  const key = (x: CodeAction) => x.title + JSON.stringify(x.edit);
  return out.filter((x, i) => out.findIndex((y) => key(y) === key(x)) === i);
}

export const register: FeatureRegistration = (ctx) => {
  ctx.connection.onCodeAction((params) => ctx.safe<CodeAction[] | null>('codeAction', null, () => {
    const a = ctx.analysis(params.textDocument.uri);
    if (!a) return null;
    if (params.context.only && !params.context.only.some((k) => k === CodeActionKind.QuickFix || k === CodeActionKind.Empty)) return [];
    return codeActionsFor(a, params.textDocument.uri, params.range, params.context.diagnostics);
  }));
};
