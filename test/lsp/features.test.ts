// Hover, definition, references, rename, document symbols and folding over the real server (stdio).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentSymbol, FoldingRange, Hover, Location, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';
import { LspSession } from './harness';

const TEXT = [
  'default_permissions = "work"', //                                     0
  '[permissions.base]', //                                                1
  'description = "Shared parent"', //                                     2
  '[permissions.base.network.mitm.actions.from_parent]', //               3
  'strip_request_headers = ["cookie"]', //                                4
  '[permissions.work]', //                                                5
  'extends = "base"', //                                                  6
  '[permissions.work.network]', //                                        7
  'enabled = true', //                                                    8
  'mode = "limited"', //                                                  9
  '[permissions.work.network.domains]', //                               10
  '"*.example.com" = "allow"', //                                        11
  '"**.github.com" = "deny"', //                                         12
  '[permissions.work.network.mitm.hooks.gh_write]', //                   13
  'host = "api.github.com"', //                                          14
  'methods = ["POST", "PUT"]', //                                        15
  'path_prefixes = ["/repos/acme/", "pattern:/orgs/*/x"]', //            16
  'query = { ref = ["literal:main"] }', //                               17
  'headers = { x-trace = [] }', //                                       18
  'action = ["use_bot_token", "from_parent"]', //                        19
  '[permissions.work.network.mitm.actions.use_bot_token]', //            20
  'strip_request_headers = ["authorization"]', //                        21
  '[[permissions.work.network.mitm.actions.use_bot_token.inject_request_headers]]', // 22
  'name = "authorization"', //                                           23
  'secret_env_var = "BOT_TOKEN"', //                                     24
  'prefix = "Bearer "', //                                               25
  'allowed = [', //                                                      26 (unknown key, multi-line array)
  '  "a",', //                                                           27
  ']', //                                                                28
  '',
].join('\n');
const LINES = TEXT.split('\n');
const col = (line: number, needle: string, delta = 1) => LINES[line]!.indexOf(needle) + delta;
const pos = (line: number, character: number) => ({ line, character });

let n = 0;
describe('hover, navigation, symbols, folding', () => {
  let lsp: LspSession;
  let uri = '';
  before(async () => {
    lsp = await LspSession.start({ env: { BOT_TOKEN: 'canary-bot-token-value-91' } });
    uri = `file:///tmp/cnp-lsp-features/${n++}/.codex/config.toml`;
    await lsp.open(uri, TEXT);
  });
  after(() => lsp.stop());

  const hover = async (line: number, character: number) =>
    (await lsp.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(line, character) }))?.contents as { value: string } | undefined;

  it('hovers keys, header segments and values with the model’s docs', async () => {
    const mode = await hover(9, 1);
    assert.match(mode!.value, /\*\*mode\*\*/);
    assert.match(mode!.value, /Default: `"full"`/);
    const value = await hover(9, col(9, 'limited'));
    assert.match(value!.value, /"limited"/);
    assert.match(value!.value, /`limited`: only GET, HEAD, OPTIONS/);
    const seg = await hover(7, col(7, 'network'));
    assert.match(seg!.value, /\*\*network\*\*/);
    assert.match(seg!.value, /Network policy of this permission profile/);
    const removed = await lsp.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(26, 2) });
    assert.equal(removed, null, 'unknown keys have no docs');
  });

  it('summarises a hook on its header and host, without secret values', async () => {
    for (const p of [pos(13, col(13, 'gh_write')), pos(14, 1)]) {
      const h = (await hover(p.line, p.character))!.value;
      assert.match(h, /MITM hook `gh_write`/);
      assert.match(h, /`POST` or `PUT` requests to `api\.github\.com`/);
      assert.match(h, /path starts with `\/repos\/acme\/`/);
      assert.match(h, /whole path matches glob `\/orgs\/\*\/x`/);
      assert.match(h, /query parameter `ref`.*is exactly `main`/);
      assert.match(h, /header `x-trace` must be present/);
      assert.match(h, /injects `authorization` from environment variable `BOT_TOKEN`/);
      assert.match(h, /strips `cookie`/, "the parent's action is resolved");
      assert.match(h, /first match wins; requests to `api\.github\.com` matching no hook are blocked/);
      assert.match(h, /limited mode only GET\/HEAD\/OPTIONS pass/);
      assert.ok(!h.includes('canary-bot-token-value-91') && !h.includes('Bearer'), 'no secret or prefix value');
    }
  });

  it('a hover on an undefined action speaks about that problem and suggests the closest name', async () => {
    const u = `file:///tmp/cnp-lsp-features/${n++}/.codex/config.toml`;
    const text = TEXT.replace('action = ["use_bot_token", "from_parent"]', 'action = ["use_bot_tokn", "from_parent"]');
    await lsp.open(u, text);
    const line = 19;
    const h = (await lsp.request<Hover | null>('textDocument/hover', { textDocument: { uri: u }, position: pos(line, text.split('\n')[line]!.indexOf('use_bot_tokn') + 2) }))?.contents as { value: string };
    assert.match(h.value, /^\*\*Undefined MITM action `use_bot_tokn`\*\*/);
    assert.match(h.value, /Did you mean `use_bot_token`\?/);
    assert.doesNotMatch(h.value, /Strip runs before inject/, 'no strip/inject ordering talk on an undefined name');
  });

  it('semantic tokens mark profile, hook and action names and matcher prefixes', async () => {
    const res = await lsp.request<{ data: number[] }>('textDocument/semanticTokens/full', { textDocument: { uri } });
    const types = ['namespace', 'function', 'method', 'keyword'];
    const got: string[] = [];
    let line = 0, char = 0;
    for (let i = 0; i < res.data.length; i += 5) {
      const [dl, dc, len, type] = res.data.slice(i, i + 4) as [number, number, number, number];
      line += dl;
      char = dl ? dc : char + dc;
      got.push(`${types[type]}:${LINES[line]!.slice(char, char + len)}`);
    }
    for (const want of ['namespace:work', 'namespace:base', 'function:gh_write', 'method:use_bot_token', 'method:from_parent', 'keyword:pattern:', 'keyword:literal:']) {
      assert.ok(got.includes(want), `${want} in ${got.join(' ')}`);
    }
    assert.ok(!got.some((g) => g.includes('Bearer') || g.includes('BOT_TOKEN')), 'only names, never values');
  });

  it('explains host patterns, actions and profiles', async () => {
    const sub = (await hover(11, 3))!.value;
    assert.match(sub, /any subdomain of `example\.com`/);
    assert.match(sub, /\*\*not\*\* the apex/);
    assert.match(sub, /allow/);
    const apex = (await hover(12, 3))!.value;
    assert.match(apex, /`github\.com` itself and any subdomain/);
    assert.match(apex, /\*\*deny\*\*/);
    const action = (await hover(19, col(19, 'from_parent')))!.value;
    assert.match(action, /MITM action `from_parent`\*\*: strips `cookie`/);
    const actionHeader = (await hover(20, col(20, 'use_bot_token')))!.value;
    assert.match(actionHeader, /strips `authorization`; injects `authorization` from environment variable `BOT_TOKEN`/);
    const profile = (await hover(0, col(0, 'work')))!.value;
    assert.match(profile, /Permission profile `work`/);
    assert.match(profile, /Extends: `work` → `base`/);
    const base = (await hover(1, col(1, 'base')))!.value;
    assert.match(base, /Shared parent/);
  });

  it('goes to definitions and finds references of actions and profiles', async () => {
    const defs = await lsp.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: pos(19, col(19, 'from_parent')) });
    assert.deepEqual(defs.map((d) => d.range.start), [pos(3, col(3, 'from_parent', 0))]);
    const prof = await lsp.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: pos(6, col(6, 'base')) });
    assert.deepEqual(prof.map((d) => d.range.start.line), [1, 3]);
    const refs = await lsp.request<Location[]>('textDocument/references', { textDocument: { uri }, position: pos(20, col(20, 'use_bot_token')), context: { includeDeclaration: false } });
    assert.deepEqual(refs.map((r) => r.range.start), [pos(19, col(19, 'use_bot_token', 0))]);
    const none = await lsp.request<Location[] | null>('textDocument/definition', { textDocument: { uri }, position: pos(9, 1) });
    assert.equal(none, null);
  });

  it('goes to a managed profile defined in the sibling requirements.toml', async () => {
    const dir = `file:///tmp/cnp-lsp-features/${n++}/.codex`;
    await lsp.open(`${dir}/requirements.toml`, '# managed\n[permissions.managed]\ndescription = "From IT"\n');
    await lsp.open(`${dir}/config.toml`, 'default_permissions = "managed"\n');
    const defs = await lsp.request<Location[]>('textDocument/definition', { textDocument: { uri: `${dir}/config.toml` }, position: pos(0, 24) });
    assert.deepEqual(defs, [{ uri: `${dir}/requirements.toml`, range: { start: pos(1, 13), end: pos(1, 20) } }]);
    const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: `${dir}/config.toml` }, position: pos(0, 24) });
    assert.match((h.contents as { value: string }).value, /managed, requirements\.toml[\s\S]*From IT/);
  });

  it('renames a profile and an action everywhere, refusing bad names and built-ins', async () => {
    const edit = await lsp.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: pos(0, col(0, 'work')), newName: 'team' });
    const renamed = apply(TEXT, edit.changes![uri]!);
    assert.equal(renamed.match(/team/g)?.length, 7, renamed); // default_permissions + 6 headers
    assert.ok(!/\bwork\b/.test(renamed));
    const doc = loadDocument(renamed, '/x/.codex/config.toml', 'config');
    assert.deepEqual(validateDocuments(doc, undefined).filter((d) => d.code.startsWith('profile') || d.code === 'mitm-undefined-action'), []);

    const act = await lsp.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: pos(19, col(19, 'use_bot_token')), newName: 'bot' });
    const text2 = apply(TEXT, act.changes![uri]!);
    assert.equal(act.changes![uri]!.length, 3, 'use + table header + array-of-tables header');
    assert.ok(text2.includes('action = ["bot", "from_parent"]') && text2.includes('[[permissions.work.network.mitm.actions.bot.inject_request_headers]]'));

    await assert.rejects(lsp.request('textDocument/rename', { textDocument: { uri }, position: pos(6, col(6, 'base')), newName: 'bad name' }), /not a valid profile name/);
    const prep = await lsp.request<{ range: Range; placeholder: string } | null>('textDocument/prepareRename', { textDocument: { uri }, position: pos(6, col(6, 'base')) });
    assert.equal(prep?.placeholder, 'base');
    assert.equal(await lsp.request('textDocument/prepareRename', { textDocument: { uri }, position: pos(9, 1) }), null);
    const builtinUri = `file:///tmp/cnp-lsp-features/${n++}/.codex/config.toml`;
    await lsp.open(builtinUri, 'default_permissions = ":workspace"\n');
    assert.equal(await lsp.request('textDocument/prepareRename', { textDocument: { uri: builtinUri }, position: pos(0, 25) }), null);
  });

  it('outlines profiles → network → domains / hooks / actions', async () => {
    const syms = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    const find = (list: DocumentSymbol[] | undefined, name: string) => list?.find((s) => s.name === name);
    const perms = find(syms, 'permissions');
    const work = find(perms?.children, 'work');
    const net = find(work?.children, 'network');
    assert.deepEqual(net?.children?.map((c) => c.name), ['enabled', 'mode', 'domains', 'mitm']);
    const mitm = find(net?.children, 'mitm');
    assert.deepEqual(mitm?.children?.map((c) => c.name), ['hooks', 'actions']);
    assert.deepEqual(find(mitm?.children, 'hooks')?.children?.map((c) => c.name), ['gh_write']);
    assert.deepEqual(find(net?.children, 'domains')?.children?.map((c) => c.name), ['*.example.com', '**.github.com']);
    assert.equal(work?.range.start.line, 5);
    assert.ok(work!.range.end.line >= 28, 'a profile spans its sub-tables');
    const within = (outer: Range, inner: Range) => outer.start.line <= inner.start.line && outer.end.line >= inner.end.line;
    const check = (s: DocumentSymbol) => s.children?.forEach((c) => { assert.ok(within(s.range, c.range), `${c.name} inside ${s.name}`); check(c); });
    syms.forEach(check);
  });

  it('folds tables and multi-line arrays', async () => {
    const folds = await lsp.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
    const has = (s: number, e: number) => folds.some((f) => f.startLine === s && f.endLine === e);
    assert.ok(has(7, 9), 'network table');
    assert.ok(has(13, 19), 'hook table');
    assert.ok(has(26, 28), 'multi-line array');
    assert.ok(!folds.some((f) => f.startLine === f.endLine));
  });
});

function apply(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (p: { line: number; character: number }) => starts[p.line]! + p.character;
  return [...edits].sort((a, b) => off(b.range.start) - off(a.range.start)).reduce((t, e) => t.slice(0, off(e.range.start)) + e.newText + t.slice(off(e.range.end)), text);
}

describe('snippets and grammar injection', () => {
  /** Expands a VS Code snippet body with each placeholder's default (choices: the first). */
  function expand(body: string): string {
    let out = body;
    for (let prev = ''; prev !== out; ) {
      prev = out;
      out = out.replace(/\$\{\d+\|([^,|}]*)[^}]*\|\}/g, '$1').replace(/\$\{\d+:([^${}]*)\}/g, '$1');
    }
    return out.replace(/\$\d+/g, '');
  }
  const snippets = JSON.parse(readFileSync(join(__dirname, '..', '..', 'snippets', 'codex-toml.json'), 'utf8')) as Record<string, { body: string[]; prefix: string[] }>;

  it('every snippet expands to TOML the model accepts', () => {
    const structural = new Set(['toml-syntax', 'unknown-key', 'invalid-type', 'invalid-value', 'mitm-hook-missing-field', 'mitm-action-no-operation', 'mitm-secret-source']);
    assert.equal(Object.keys(snippets).length, 5);
    for (const [name, s] of Object.entries(snippets)) {
      const kind = /requirements|managed lifecycle/i.test(name) ? 'requirements' : 'config';
      const text = expand(s.body.join('\n'));
      assert.ok(!text.includes('$'), `${name}: unexpanded placeholder in\n${text}`);
      const doc = loadDocument(text, `/x/.codex/${kind}.toml`, kind);
      assert.equal(doc.syntaxError, undefined, `${name}:\n${text}`);
      const bad = validateDocuments(kind === 'config' ? doc : undefined, kind === 'requirements' ? doc : undefined).filter((d) => structural.has(d.code));
      assert.deepEqual(bad.map((d) => d.message), [], name);
    }
  });

  it('the injection grammar marks matcher prefixes and host wildcards only after a quote', () => {
    const g = JSON.parse(readFileSync(join(__dirname, '..', '..', 'syntaxes', 'codex-netpolicy.injection.tmLanguage.json'), 'utf8')) as {
      scopeName: string; injectionSelector: string; repository: Record<string, { match?: string; begin?: string }>;
    };
    assert.equal(g.scopeName, 'codex-netpolicy.injection');
    assert.match(g.injectionSelector, /^L:source\.toml/);
    const re = (k: string) => new RegExp(g.repository[k]!.match ?? g.repository[k]!.begin!);
    assert.ok(re('pattern-matcher').test('"pattern:/repos/*/x"'));
    assert.ok(!re('pattern-matcher').test('pattern: in prose'));
    assert.ok(re('literal-matcher').test("'literal:main'"));
    assert.ok(re('host-wildcard').test('"*.example.com" = "allow"'));
    assert.equal(re('host-wildcard').exec('"**.github.com"')?.[1], '**');
    assert.ok(!re('host-wildcard').test('a *.b'));
    assert.ok(re('host-global').test('"*" = "allow"'));
    assert.ok(!re('host-global').test('"*.x"'));
  });
});
