// Go to definition, find references and rename for MITM actions (hook `action` items ↔
// `[...mitm.actions.<name>]`) and permission profiles (`default_permissions` / `extends` ↔
// `[permissions.<name>...]`), within one document.
import { ResponseError, type Location, type Range, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import type { FeatureRegistration, ServerContext } from '../context';
import { pathToUri } from '../uri';
import { isValidSymbolName, occurrenceAt, occurrences, sameSymbol, type Occurrence } from './references';

function symbolAt(ctx: ServerContext, uri: string, pos: { line: number; character: number }): { all: Occurrence[]; at: Occurrence } | undefined {
  const a = ctx.analysis(uri);
  if (!a) return undefined;
  const all = occurrences(a.doc);
  const at = occurrenceAt(all, pos);
  return at ? { all, at } : undefined;
}

export const register: FeatureRegistration = (ctx) => {
  const c = ctx.connection;

  c.onDefinition((params) => ctx.safe<Location[] | null>('definition', null, () => {
    const s = symbolAt(ctx, params.textDocument.uri, params.position);
    if (!s) return null;
    const defs = sameSymbol(s.all, s.at).filter((o) => o.role === 'definition');
    if (defs.length) return defs.map((o) => ({ uri: params.textDocument.uri, range: o.range }));
    // A profile may live in the other file: a managed one in requirements.toml, or (from a
    // requirements document) one of the config it is checked against.
    const a = ctx.analysis(params.textDocument.uri);
    const other = a?.kind === 'config' ? a.requirements : a?.config;
    if (s.at.kind !== 'profile' || !other) return null;
    const there = occurrences(other).filter((o) => o.kind === 'profile' && o.name === s.at.name && o.role === 'definition');
    return there.length ? there.map((o) => ({ uri: pathToUri(other.file), range: o.range })) : null;
  }));

  c.onReferences((params) => ctx.safe<Location[] | null>('references', null, () => {
    const s = symbolAt(ctx, params.textDocument.uri, params.position);
    if (!s) return null;
    return sameSymbol(s.all, s.at)
      .filter((o) => params.context.includeDeclaration || o.role === 'reference')
      .map((o) => ({ uri: params.textDocument.uri, range: o.range }));
  }));

  c.onPrepareRename((params) => ctx.safe<{ range: Range; placeholder: string } | null>('prepareRename', null, () => {
    const s = symbolAt(ctx, params.textDocument.uri, params.position);
    // Built-in profiles (`:workspace`…) are not ours to rename.
    if (!s || (s.at.kind === 'profile' && s.at.name.startsWith(':'))) return null;
    return { range: s.at.range, placeholder: s.at.name };
  }));

  c.onRenameRequest((params) => ctx.safe<WorkspaceEdit | ResponseError<void> | null>('rename', null, () => {
    const s = symbolAt(ctx, params.textDocument.uri, params.position);
    if (!s || (s.at.kind === 'profile' && s.at.name.startsWith(':'))) return null;
    if (!isValidSymbolName(s.at.kind, params.newName)) {
      return new ResponseError<void>(-32602, `\`${params.newName}\` is not a valid ${s.at.kind} name: use letters, digits, \`_\` and \`-\`${s.at.kind === 'profile' ? ' (no leading `:`)' : ''}.`);
    }
    const edits: TextEdit[] = sameSymbol(s.all, s.at).map((o) => ({ range: o.range, newText: params.newName }));
    return { changes: { [params.textDocument.uri]: edits } };
  }));
};
