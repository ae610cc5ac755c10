// Completion over the real server (stdio): labels that must and must not be offered at many spots.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionItem, CompletionList } from 'vscode-languageserver/node';
import { LspSession } from './harness';

const CANARY_NAME = 'CNP_TEST_SECRET_VAR';
const CANARY_VALUE = 'canary-secret-value-7f3a';
let n = 0;

/** Text with one `|` marking the cursor → text without it and the cursor position. */
function cursor(marked: string): { text: string; position: { line: number; character: number } } {
  const i = marked.indexOf('|');
  const before = marked.slice(0, i);
  const lines = before.split('\n');
  return { text: before + marked.slice(i + 1), position: { line: lines.length - 1, character: lines[lines.length - 1]!.length } };
}

const BASE = [
  'default_permissions = "work"',
  '[permissions.base]',
  'description = "Shared parent"',
  '[permissions.base.network.mitm.actions.from_parent]',
  'strip_request_headers = ["cookie"]',
  '[permissions.work]',
  'extends = "base"',
].join('\n');

describe('completion', () => {
  let lsp: LspSession;
  before(async () => { lsp = await LspSession.start({ env: { [CANARY_NAME]: CANARY_VALUE } }); });
  after(() => lsp.stop());

  async function items(marked: string, kind: 'config' | 'requirements' = 'config'): Promise<CompletionItem[]> {
    const { text, position } = cursor(marked);
    const uri = `file:///tmp/cnp-lsp-completion/${n++}/.codex/${kind}.toml`;
    await lsp.open(uri, text);
    const res = await lsp.request<CompletionList | CompletionItem[] | null>('textDocument/completion', { textDocument: { uri }, position });
    return Array.isArray(res) ? res : res?.items ?? [];
  }
  const labels = async (marked: string, kind?: 'config' | 'requirements') => (await items(marked, kind)).map((i) => i.label);
  const has = (got: string[], want: string[], not: string[] = []) => {
    for (const w of want) assert.ok(got.includes(w), `missing ${w} in ${got.join(', ')}`);
    for (const w of not) assert.ok(!got.includes(w), `unexpected ${w} in ${got.join(', ')}`);
  };

  it('offers table snippets only in their file kind and only where a table can start', async () => {
    const inHook = `${BASE}\n[permissions.work.network.mitm.hooks.gh]\nhost = "api.github.com"\n|`;
    has(await labels(inHook), ['codex-hook', 'codex-action-env', 'codex-action-file'], ['codex-requirements-network', 'codex-managed-hooks']);
    has(await labels('[experimental_network]\nenabled = true\n|', 'requirements'), ['codex-requirements-network', 'codex-managed-hooks'], ['codex-hook', 'codex-action-env']);
    has(await labels(`${BASE}\n[permissions.work.network.mitm.hooks.gh]\nhost = |`), [], ['codex-hook', 'codex-requirements-network']);
  });

  it('offers the keys of a network table body that are not written yet', async () => {
    const got = await labels('[permissions.w.network]\nenabled = true\n|\n[permissions.w.network.mitm.hooks.h]\nhost = "x"\n');
    has(got, ['mode', 'domains', 'proxy_url', 'allow_local_binding'], ['enabled', 'mitm', 'host', 'extends']);
    const all = await items('[permissions.w.network]\n|');
    const mode = all.find((i) => i.label === 'mode')!;
    assert.match(String(mode.detail), /"limited" \| "full"/);
    assert.match(JSON.stringify(mode.documentation), /GET\/HEAD\/OPTIONS/);
    assert.ok(all.some((i) => i.label === 'New MITM hook…' && /\[permissions\.w\.network\.mitm\.hooks\.\$\{1:name\}\]\nhost = "\$\{2\}"/.test(i.textEdit?.newText ?? '')));
    assert.ok(all.some((i) => i.label === 'New action with injected secret…'));
    const legacy = all.find((i) => i.label === 'allowed_domains');
    assert.deepEqual(legacy?.tags, [1], 'legacy keys are marked deprecated');
  });

  it('offers only tables in headers, and existing names for records', async () => {
    has(await labels('[permissions.w.network.|'), ['domains', 'mitm', 'unix_sockets'], ['enabled', 'mode']);
    has(await labels('[permissions.alpha]\n[permissions.beta]\n[permissions.|'), ['alpha', 'beta']);
    const mitm = await labels('[permissions.w.network.mitm.|');
    has(mitm, ['hooks', 'actions'], ['enabled']);
    const hooks = await items('[permissions.w.network.mitm.hooks.|');
    const snippet = hooks.find((i) => i.label === 'New MITM hook…');
    assert.ok(snippet);
    assert.equal(snippet.textEdit && 'range' in snippet.textEdit ? snippet.textEdit.range.start.character : -1, 0, 'replaces the whole header line');
    has(await labels('[permissions.w.network.mitm.actions.|'), ['New action with injected secret…'], ['New MITM hook…']);
  });

  it('completes keys inside inline tables and dotted keys', async () => {
    has(await labels('[permissions.w.network]\nmitm = { | }'), ['hooks', 'actions'], ['enabled']);
    has(await labels('[permissions.w]\nnetwork.|'), ['enabled', 'mode', 'domains']);
  });

  it('completes enum values and booleans', async () => {
    has(await labels('[permissions.w.network]\nmode = "|'), ['limited', 'full'], ['allow']);
    const bare = await items('[permissions.w.network]\nmode =|');
    assert.equal(bare.find((i) => i.label === 'limited')?.textEdit?.newText, ' "limited"');
    has(await labels('[permissions.w.network]\nenabled = |'), ['true', 'false']);
    has(await labels('[permissions.w.network.domains]\n"a.com" = "|'), ['allow', 'deny']);
    has(await labels('approvals_reviewer = "|'), ['user', 'auto_review']);
  });

  it('completes action names, including a parent profile’s', async () => {
    const got = await labels(`${BASE}\n[permissions.work.network.mitm.actions.own]\nstrip_request_headers = ["x"]\n[permissions.work.network.mitm.hooks.h]\nhost = "a.com"\naction = ["|`);
    has(got, ['own', 'from_parent'], ['work', 'base']);
    const second = await labels(`${BASE}\n[permissions.work.network.mitm.actions.own]\nstrip_request_headers = ["x"]\n[permissions.work.network.mitm.hooks.h]\naction = ["own", |]`);
    has(second, ['own', 'from_parent']);
  });

  it('completes profile names and built-ins in default_permissions and extends', async () => {
    const got = await items(`${BASE}\n[permissions.other]\n`.replace('default_permissions = "work"', 'default_permissions = "|"'));
    has(got.map((i) => i.label), ['work', 'base', 'other', ':read-only', ':workspace', ':danger-full-access']);
    assert.match(JSON.stringify(got.find((i) => i.label === 'base')?.documentation), /Shared parent/);
    assert.match(JSON.stringify(got.find((i) => i.label === ':workspace')?.documentation), /Built-in/);
    has(await labels('[permissions.a]\nextends = "|"\n[permissions.b]\n'), ['b', ':read-only', ':workspace'], ['a', ':danger-full-access']);
  });

  it('completes HTTP methods, header names and matcher prefixes in hooks and actions', async () => {
    const hook = '[permissions.w.network.mitm.hooks.h]\nhost = "a.com"\n';
    has(await labels(`${hook}methods = ["|`), ['GET', 'POST', 'DELETE']);
    has(await labels(`${hook}path_prefixes = ["|`), ['pattern:', 'literal:']);
    has(await labels(`${hook}query = { q = ["|"] }`), ['pattern:', 'literal:']);
    has(await labels(`${hook}[permissions.w.network.mitm.hooks.h.headers]\n|`), ['authorization', 'x-api-key']);
    has(await labels('[permissions.w.network.mitm.actions.a]\nstrip_request_headers = ["|'), ['authorization', 'cookie']);
    has(await labels('[[permissions.w.network.mitm.actions.a.inject_request_headers]]\nname = "|'), ['authorization']);
    has(await labels('[[permissions.w.network.mitm.actions.a.inject_request_headers]]\n|'), ['name', 'secret_env_var', 'secret_file', 'prefix']);
  });

  it('completes environment variable names for secret_env_var, never their values', async () => {
    const got = await items('[[permissions.w.network.mitm.actions.a.inject_request_headers]]\nname = "authorization"\nsecret_env_var = "|');
    assert.ok(got.some((i) => i.label === CANARY_NAME), 'the server environment names are offered');
    assert.ok(!JSON.stringify(got).includes(CANARY_VALUE), 'no value leaks into completion items');
  });

  it('completes requirements.toml from its own schema', async () => {
    has(await labels('[experimental_network]\n|', 'requirements'), ['http_port', 'managed_allowed_domains_only', 'domains'], ['proxy_url_x']);
    has(await labels('|', 'requirements'), ['allowed_permission_profiles', 'experimental_network'], ['sandbox_mode']);
    has(await labels('[experimental_network.|', 'requirements'), ['domains', 'unix_sockets']);
  });

  it('quotes keys that need quoting and offers nothing in comments', async () => {
    const hook = await items('[permissions.w.network.mitm.hooks.h]\nhost = "a.com"\n# |');
    assert.deepEqual(hook, []);
    const prof = await labels('[permissions."my profile"]\n[permissions.|');
    has(prof, ['"my profile"']);
  });
});
