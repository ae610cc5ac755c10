// Quick fixes over the real server (stdio JSON-RPC): each fix is applied to the text here, the
// result re-validated with the engine, and comments elsewhere must survive untouched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';
import type { Diagnostic } from 'vscode-languageserver/node';
import { LspSession } from './harness';

interface Edit { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }
interface Action { title: string; kind?: string; isPreferred?: boolean; edit?: { changes?: Record<string, Edit[]> }; diagnostics?: { code?: string }[] }

function applyEdits(text: string, edits: Edit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (p: Edit['range']['start']) => Math.min(text.length, (starts[p.line] ?? text.length) + p.character);
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, off(e.range.start)) + e.newText + out.slice(off(e.range.end));
  return out;
}

const comments = (t: string) => t.split('\n').filter((l) => l.includes('#')).map((l) => l.slice(l.indexOf('#')));
let n = 0;
const uriFor = (kind: 'config' | 'requirements') => `file:///tmp/cnp-lsp-fixes/${n++}/.codex/${kind}.toml`;

function codesAfter(text: string, kind: 'config' | 'requirements'): string[] {
  const doc = loadDocument(text, `/x/.codex/${kind}.toml`, kind);
  assert.equal(doc.syntaxError, undefined, `fixed text must parse:\n${text}`);
  return validateDocuments(kind === 'config' ? doc : undefined, kind === 'requirements' ? doc : undefined).map((d) => d.code);
}

describe('quick fixes', () => {
  let client: LspSession;
  before(async () => { client = await LspSession.start(); });
  after(() => client.stop());

  async function fixes(text: string, kind: 'config' | 'requirements' = 'config'): Promise<{ uri: string; actions: Action[]; diags: Diagnostic[] }> {
    const uri = uriFor(kind);
    const diags = await client.open(uri, text);
    const lines = text.split('\n').length;
    const actions = await client.request<Action[]>('textDocument/codeAction', {
      textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } }, context: { diagnostics: diags },
    });
    return { uri, actions, diags };
  }
  const apply = (text: string, uri: string, a: Action) => applyEdits(text, a.edit?.changes?.[uri] ?? []);

  it('did you mean: an undefined action or profile offers the closest defined name first, preferred', async () => {
    const text = [
      'default_permissions = "work"', '[permissions.work]', 'extends = ":workspace"', '[permissions.work.network]', 'enabled = true',
      '[permissions.work.network.mitm.hooks.gh]', 'host = "api.github.com"', 'action = ["strip_credentails"]',
      '[permissions.work.network.mitm.actions.strip_credentials]', 'strip_request_headers = ["authorization"]', '',
    ].join('\n');
    const { uri, actions } = await fixes(text);
    const forCode = (code: string) => actions.filter((a) => a.diagnostics?.some((d) => d.code === code));
    const action = forCode('mitm-undefined-action');
    assert.equal(action[0]?.title, 'Did you mean `strip_credentials`?', action.map((a) => a.title).join('\n'));
    assert.equal(action[0]?.isPreferred, true);
    assert.equal(action[1]?.title, 'Create action `strip_credentails` in profile `work`');
    assert.notEqual(action[1]?.isPreferred, true, 'creating a new action is not preferred over the near match');
    assert.match(apply(text, uri, action[0]!), /action = \["strip_credentials"\]/);
    const typo = text.replace('default_permissions = "work"', 'default_permissions = "wrok"');
    const p = await fixes(typo);
    const profile = p.actions.filter((a) => a.diagnostics?.some((d) => d.code === 'profile-undefined'));
    assert.equal(profile[0]?.title, 'Did you mean `work`?', p.actions.map((a) => a.title).join('\n'));
    assert.equal(profile[0]?.isPreferred, true);
    assert.match(apply(typo, p.uri, profile[0]!), /^default_permissions = "work"$/m);
    const ext = text.replace('extends = ":workspace"', 'extends = ":workspce"');
    const b = await fixes(ext);
    const builtin = b.actions.filter((a) => a.diagnostics?.some((d) => /^profile-(unknown-builtin|extends-undefined|extends-unsupported)$/.test(String(d.code))));
    assert.equal(builtin[0]?.title, 'Did you mean `:workspace`?', b.actions.map((a) => a.title).join('\n') + JSON.stringify(b.diags.map((d) => d.code)));
  });

  it('converts legacy domain lists of a profile into a new [domains] table', async () => {
    const text = [
      '# top comment', 'default_permissions = "w"', '[permissions.w.network]', 'enabled = true # keep me',
      'allowed_domains = ["a.com", "**.b.com"]', 'denied_domains = [', '  "a.com",', ']', '', '# tail comment', '[permissions.w.filesystem]', '":root" = "read"', '',
    ].join('\n');
    const { uri, actions, diags } = await fixes(text);
    assert.ok(diags.some((d) => d.code === 'legacy-network-list'));
    const table = actions.find((a) => a.title.includes('new table'));
    assert.ok(table, actions.map((a) => a.title).join('\n'));
    assert.equal(table.isPreferred, true);
    assert.equal(table.kind, 'quickfix');
    assert.equal(table.diagnostics?.[0]?.code, 'legacy-network-list', 'the fix names the diagnostic it resolves');
    const fixed = apply(text, uri, table);
    assert.ok(!codesAfter(fixed, 'config').includes('legacy-network-list'), fixed);
    assert.deepEqual(comments(fixed), comments(text));
    const doc = loadDocument(fixed, '/x/.codex/config.toml', 'config');
    const w = (doc.value?.permissions as Record<string, { network: { domains: Record<string, string> } }>).w;
    assert.deepEqual(w.network.domains, { 'a.com': 'deny', '**.b.com': 'allow' });
    const inline = actions.find((a) => a.title.includes('inline table'));
    assert.ok(inline);
    const fixed2 = apply(text, uri, inline);
    const doc2 = loadDocument(fixed2, '/x/.codex/config.toml', 'config');
    assert.deepEqual((doc2.value?.permissions as Record<string, { network: { domains: unknown } }>).w.network.domains, { 'a.com': 'deny', '**.b.com': 'allow' });
    assert.deepEqual(comments(fixed2), comments(text));
  });

  it('converts a legacy list on the last line of a file without a trailing newline', async () => {
    const text = '[permissions.w.network]\nenabled = true\nallowed_domains = ["a.com"]';
    const { uri, actions } = await fixes(text);
    const fix = actions.find((a) => a.title.includes('new table'));
    assert.ok(fix);
    assert.equal(apply(text, uri, fix), '[permissions.w.network]\nenabled = true\n[permissions.w.network.domains]\n"a.com" = "allow"');
  });

  it('converts legacy lists written as dotted keys inline, and unix sockets', async () => {
    const text = '[permissions.w]\nnetwork.enabled = true\nnetwork.allow_unix_sockets = ["/tmp/a.sock"] # why\n# keep\n';
    const { uri, actions } = await fixes(text);
    const fix = actions.find((a) => a.title.includes('unix_sockets'));
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    const fixed = apply(text, uri, fix);
    assert.match(fixed, /network\.unix_sockets = \{ "\/tmp\/a\.sock" = "allow" \} # why/);
    assert.ok(!codesAfter(fixed, 'config').includes('legacy-network-list'));
  });

  it('merges requirements legacy lists into an existing domains table', async () => {
    const text = '[experimental_network]\nallowed_domains = ["x.com"] # old\n# note\n[experimental_network.domains]\n"y.com" = "deny"\n';
    const { uri, actions, diags } = await fixes(text, 'requirements');
    assert.ok(diags.some((d) => d.code === 'requirements-network-mixed'));
    const fix = actions.find((a) => a.title.includes('`domains`'));
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    const fixed = apply(text, uri, fix);
    const codes = codesAfter(fixed, 'requirements');
    assert.ok(!codes.includes('requirements-network-mixed') && !codes.includes('legacy-network-list'), fixed);
    const doc = loadDocument(fixed, '/x/.codex/requirements.toml', 'requirements');
    assert.deepEqual((doc.value?.experimental_network as { domains: unknown }).domains, { 'y.com': 'deny', 'x.com': 'allow' });
    assert.ok(fixed.includes('# note'));
  });

  it('creates a missing action next to the profile’s actions', async () => {
    const text = [
      '[permissions.w.network]', 'enabled = true', '[permissions.w.network.mitm.hooks.h] # hook', 'host = "api.example.com"', 'methods = ["GET"]',
      'path_prefixes = ["/"]', 'action = ["absent"]', '# between', '[permissions.w.network.domains]', '"api.example.com" = "allow"', '',
    ].join('\n');
    const { uri, actions } = await fixes(text);
    const fix = actions.find((a) => a.title.includes('Create action `absent`'));
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    assert.equal(fix.isPreferred, true);
    const fixed = apply(text, uri, fix);
    assert.match(fixed, /\[permissions\.w\.network\.mitm\.actions\.absent\]\nstrip_request_headers = \["proxy-authorization"\]/);
    assert.ok(!codesAfter(fixed, 'config').includes('mitm-undefined-action'), fixed);
    assert.deepEqual(comments(fixed), comments(text));
  });

  it('removes mitm.enabled, and the [mitm] header when nothing else is left in it', async () => {
    const text = '[permissions.w.network]\nenabled = true\n# about mitm\n[permissions.w.network.mitm]\nenabled = true\n# after\n';
    const { uri, actions } = await fixes(text);
    const fix = actions.find((a) => a.title.includes('mitm.enabled'));
    assert.ok(fix);
    const fixed = apply(text, uri, fix);
    assert.equal(fixed, '[permissions.w.network]\nenabled = true\n# about mitm\n# after\n');
    assert.ok(!codesAfter(fixed, 'config').includes('mitm-enabled-removed'));

    const withHooks = '[permissions.w.network.mitm]\nenabled = true\nhooks = {}\n';
    const r = await fixes(withHooks);
    const f2 = r.actions.find((a) => a.title.includes('mitm.enabled'));
    assert.ok(f2);
    assert.equal(apply(withHooks, r.uri, f2), '[permissions.w.network.mitm]\nhooks = {}\n');
  });

  it('adds a no-op operation to an empty action (table and inline forms)', async () => {
    const text = '[permissions.w.network.mitm.actions.empty] # nothing yet\n\n[permissions.w.network.mitm.actions]\nother = {}\n';
    const { uri, actions } = await fixes(text);
    const found = actions.filter((a) => a.title.includes('no-op'));
    assert.equal(found.length, 2, actions.map((a) => a.title).join('\n'));
    const fixed = applyEdits(text, found.flatMap((f) => f.edit?.changes?.[uri] ?? [])); // disjoint edits, one pass
    assert.ok(!codesAfter(fixed, 'config').includes('mitm-action-no-operation'), fixed);
    assert.ok(fixed.includes('# nothing yet'));
    assert.match(fixed, /other = \{ strip_request_headers = \["proxy-authorization"\] \}/);
  });

  it('replaces an unknown key (every header segment) and an invalid enum value with the closest known one', async () => {
    const text = '[permissions.w.netwrok] # typo\nenabled = true\n[permissions.w.netwrok.domains]\n"a.com" = "allow"\n';
    const { uri, actions } = await fixes(text);
    const key = actions.find((a) => a.title === 'Change to `network`');
    assert.ok(key, actions.map((a) => a.title).join('\n'));
    assert.equal(key.isPreferred, true);
    const fixed = apply(text, uri, key);
    assert.equal(fixed, text.replaceAll('netwrok', 'network'));
    assert.ok(!codesAfter(fixed, 'config').includes('unknown-key'), fixed);

    const text2 = '[permissions.w.network]\nmod = "ful" # typo\n';
    const r = await fixes(text2);
    const mode = r.actions.find((a) => a.title === 'Change to `mode`');
    assert.ok(mode, r.actions.map((a) => a.title).join('\n'));
    const fixed2 = apply(text2, r.uri, mode);
    assert.equal(fixed2, '[permissions.w.network]\nmode = "ful" # typo\n');
    const r2 = await fixes(fixed2);
    const value = r2.actions.find((a) => a.title === 'Change to `full`');
    assert.ok(value, r2.actions.map((a) => a.title).join('\n'));
    const fixed3 = apply(fixed2, r2.uri, value);
    assert.equal(fixed3, '[permissions.w.network]\nmode = "full" # typo\n');
    assert.deepEqual(codesAfter(fixed3, 'config').filter((c) => c === 'invalid-value' || c === 'unknown-key'), []);
  });

  it('turns the old `none` domain permission into `deny`', async () => {
    const text = '[permissions.w.network.domains]\n"x.com" = "none" # was none\n';
    const { uri, actions } = await fixes(text);
    const fix = actions.find((a) => a.title === 'Change to `deny`');
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    assert.equal(fix.isPreferred, true);
    const fixed = apply(text, uri, fix);
    assert.equal(fixed, '[permissions.w.network.domains]\n"x.com" = "deny" # was none\n');
    assert.ok(!codesAfter(fixed, 'config').includes('invalid-value'));
  });

  it('splits a methods entry that holds several methods into one entry each', async () => {
    const text = '[permissions.w.network.mitm.hooks.h]\nhost = "a.com"\nmethods = ["GET, POST"] # both\npath_prefixes = ["/"]\naction = ["x"]\n';
    const { uri, actions, diags } = await fixes(text);
    assert.ok(diags.some((d) => d.code === 'mitm-method-invalid'));
    const fix = actions.find((a) => a.title === 'Split into "GET", "POST"');
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    const fixed = apply(text, uri, fix);
    assert.equal(fixed, text.replace('"GET, POST"', '"GET", "POST"'));
    assert.ok(!codesAfter(fixed, 'config').includes('mitm-method-invalid'));
  });

  it('adds the managed default_permissions that requirements.toml needs', async () => {
    const text = '# managed\nallowed_permission_profiles = { "locked" = true, ":read-only" = true }\n\n[permissions.locked]\ndescription = "x"\n';
    const { uri, actions, diags } = await fixes(text, 'requirements');
    assert.ok(diags.some((d) => d.code === 'requirements-default-missing'));
    const fix = actions.find((a) => a.title === 'Add `default_permissions = "locked"`');
    assert.ok(fix, actions.map((a) => a.title).join('\n'));
    const fixed = apply(text, uri, fix);
    assert.equal(fixed, `default_permissions = "locked"\n${text}`);
    assert.deepEqual(codesAfter(fixed, 'requirements').filter((c) => c.startsWith('requirements-default')), []);
  });

  it('offers nothing outside the requested range', async () => {
    const text = '[permissions.w.network]\nenabled = true\n\n\nallowed_domains = ["a.com"]\n';
    const uri = uriFor('config');
    await client.open(uri, text);
    const actions = await client.request<Action[]>('textDocument/codeAction', {
      textDocument: { uri }, range: { start: { line: 1, character: 0 }, end: { line: 1, character: 3 } }, context: { diagnostics: [] },
    });
    assert.deepEqual(actions, []);
  });
});
