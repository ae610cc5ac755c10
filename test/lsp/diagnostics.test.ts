// Diagnostics over a real LSP connection: exact line, code and severity per rule, quick-fix
// data, cross-file rules between open documents, served-file filtering and syntax-error policy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSeverity as S, type Diagnostic } from 'vscode-languageserver/node';
import { LspSession, summary } from './harness';

const FIX = join(__dirname, '..', 'fixtures', 'lsp');
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');
const ROOT = '/tmp/cnp-lsp-test-nonexistent';
let n = 0;
/** A fresh project folder per test, so open documents never pair up by accident. */
const uris = () => {
  const dir = `file://${ROOT}/p${++n}/.codex`;
  return { config: `${dir}/config.toml`, requirements: `${dir}/requirements.toml` };
};
const msg = (d: Diagnostic): string => (typeof d.message === "string" ? d.message : d.message.value);
const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code));

describe('lsp diagnostics', () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start({ env: { CNP_SET_VAR: 'x', CNP_UNSET_VAR: undefined } });
  });
  after(async () => lsp.stop());

  it('declares every capability', () => {
    const c = lsp.initializeResult.capabilities;
    assert.deepEqual(c.completionProvider?.triggerCharacters, ['.', '=', '[', '"', ' ', ',']);
    assert.equal(c.completionProvider?.resolveProvider, false);
    assert.equal(typeof c.textDocumentSync === 'object' && c.textDocumentSync.change, 2);
    for (const k of ['hoverProvider', 'definitionProvider', 'referencesProvider', 'documentSymbolProvider', 'foldingRangeProvider'] as const) assert.ok(c[k], k);
    assert.deepEqual(c.renameProvider, { prepareProvider: true });
    assert.deepEqual(c.codeActionProvider, { codeActionKinds: ['quickfix'] });
  });

  it("seed 000's article TOML: removed mitm.enabled and the empty action, explained, with fix data", async () => {
    const u = uris();
    const ds = await lsp.open(u.config, fixture('article.config.toml'));
    assert.deepEqual(summary(ds), [[14, 'mitm-enabled-removed', S.Error], [27, 'mitm-action-no-operation', S.Error]]);
    const removed = ds.find((d) => d.code === 'mitm-enabled-removed')!;
    assert.match(msg(removed), /removed from Codex.*MITM turns on by itself.*Delete this key/);
    assert.equal(removed.source, 'codex');
    assert.deepEqual(removed.range, { start: { line: 14, character: 0 }, end: { line: 14, character: 7 } });
    assert.deepEqual((removed.data as { path: unknown }).path, ['permissions', 'workspace', 'network', 'mitm', 'enabled']);
    const empty = ds.find((d) => d.code === 'mitm-action-no-operation')!;
    assert.match(msg(empty), /at least one operation.*proxy-authorization/);
    assert.equal((empty.data as { action: string }).action, 'allow_reads');
  });

  it('the corrected demo config comes out clean (no errors or warnings)', async () => {
    const u = uris();
    const ds = await lsp.open(u.config, readFileSync(join(__dirname, '..', '..', 'examples', 'demo', '.codex', 'config.toml'), 'utf8'));
    assert.deepEqual(ds.filter((d) => d.severity === S.Error || d.severity === S.Warning), []);
  });

  it("seed 003's keys: did-you-mean warnings, inline secret never echoed", async () => {
    const u = uris();
    const ds = await lsp.open(u.config, fixture('seed003.config.toml'));
    assert.deepEqual(summary(ds), [[2, 'unknown-key', S.Warning], [3, 'unknown-key', S.Warning], [5, 'unknown-key', S.Warning], [10, 'inline-secret', S.Warning]]);
    const msgs = ds.map(msg).join('\n');
    assert.match(msgs, /`approval-mode`.*Did you mean `approval_policy`/);
    assert.match(msgs, /`sandbox`.*Did you mean `sandbox_mode`/);
    assert.match(msgs, /`mcp-servers`.*Did you mean `mcp_servers`/);
    assert.doesNotMatch(JSON.stringify(ds), /CANARY/);
  });

  it('MITM semantics: unused action, unreachable hook, denied and not-allowed hosts, secrets', async () => {
    const u = uris();
    const text = [
      'default_permissions = "w"', //0
      '[permissions.w]', //1
      'extends = ":workspace"', //2
      '[permissions.w.network]', //3
      'enabled = true', //4
      '[permissions.w.network.domains]', //5
      '"**.github.com" = "allow"', //6
      '"evil.example" = "deny"', //7
      '[permissions.w.network.mitm.hooks.broad]', //8
      'host = "api.github.com"', //9
      'methods = ["GET", "POST"]', //10
      'path_prefixes = ["/repos/"]', //11
      'action = ["a"]', //12
      '[permissions.w.network.mitm.hooks.narrow]', //13
      'host = "API.github.com"', //14
      'methods = ["get"]', //15
      'path_prefixes = ["/repos/acme/", "literal:/repos/x"]', //16
      'action = ["a"]', //17
      '[permissions.w.network.mitm.hooks.globbed]', //18
      'host = "api.github.com"', //19
      'methods = ["GET"]', //20
      'path_prefixes = ["pattern:/repos/*"]', //21
      'action = ["a"]', //22
      '[permissions.w.network.mitm.hooks.denied]', //23
      'host = "evil.example"', //24
      'methods = ["GET"]', //25
      'path_prefixes = ["/"]', //26
      'action = ["a"]', //27
      '[permissions.w.network.mitm.hooks.stranger]', //28
      'host = "pypi.org"', //29
      'methods = ["GET"]', //30
      'path_prefixes = ["/"]', //31
      'action = ["a"]', //32
      '[permissions.w.network.mitm.actions.a]', //33
      'strip_request_headers = ["cookie"]', //34
      '[[permissions.w.network.mitm.actions.a.inject_request_headers]]', //35
      'name = "x-token"', //36
      'secret_env_var = "CNP_UNSET_VAR"', //37
      '[[permissions.w.network.mitm.actions.a.inject_request_headers]]', //38
      'name = "x-other"', //39
      'secret_env_var = "CNP_SET_VAR"', //40
      '[[permissions.w.network.mitm.actions.a.inject_request_headers]]', //41
      'name = "x-file"', //42
      'secret_file = "/nonexistent/cnp/secret"', //43
      '[permissions.w.network.mitm.actions.spare]', //44
      'strip_request_headers = ["cookie"]', //45
    ].join('\n');
    const ds = await lsp.open(u.config, text);
    assert.deepEqual(summary(ds), [
      [13, 'mitm-hook-unreachable', S.Warning],
      [24, 'mitm-hook-host-denied', S.Warning],
      [29, 'mitm-hook-host-not-allowed', S.Warning],
      [37, 'mitm-secret-env-unset', S.Information],
      [43, 'mitm-secret-file-missing', S.Warning],
      [44, 'mitm-unused-action', S.Warning],
    ]);
    const unreachable = ds.find((d) => d.code === 'mitm-hook-unreachable')!;
    assert.match(msg(unreachable), /`narrow` can never match.*`broad`/);
    assert.equal(unreachable.relatedInformation?.[0]?.location.range.start.line, 8);
    assert.match(msg(ds.find((d) => d.code === 'mitm-secret-env-unset')!), /`CNP_UNSET_VAR`/);
  });

  it('unreachable hooks: glob prefixes are never judged, either side; literal ones still are around them', async () => {
    const u = uris();
    const hook = (name: string, host: string, prefixes: string) => `[permissions.w.network.mitm.hooks.${name}]\nhost = "${host}"\nmethods = ["GET"]\npath_prefixes = [${prefixes}]\naction = ["a"]\n`;
    const text = [
      '[permissions.w.network]\nenabled = true',
      hook('globFirst', 'g.example', '"/", "pattern:/x/*"'), hook('afterGlob', 'g.example', '"/a"'),
      hook('literal', 'l.example', '"/"'), hook('globLater', 'l.example', '"/a", "pattern:/b/*"'), hook('covered', 'l.example', '"/z"'),
      '[permissions.w.network.mitm.actions.a]\nstrip_request_headers = ["cookie"]\n',
    ].join('\n');
    const ds = (await lsp.open(u.config, text)).filter((d) => d.code === 'mitm-hook-unreachable');
    assert.deepEqual(ds.map((d) => (d.data as { hook: string; coveredBy: string })), [{ hook: 'covered', coveredBy: 'literal', path: ['permissions', 'w', 'network', 'mitm', 'hooks', 'covered'] }]);
  });

  it('a hook with a query constraint the later one lacks does not make it unreachable', async () => {
    const u = uris();
    const hook = (name: string, extra: string) => `[permissions.w.network.mitm.hooks.${name}]\nhost = "h.example"\nmethods = ["GET"]\npath_prefixes = ["/"]\naction = ["a"]\n${extra}`;
    const text = `[permissions.w.network]\nenabled = true\n${hook('first', 'query = { v = ["1"] }')}\n${hook('second', '')}\n[permissions.w.network.mitm.actions.a]\nstrip_request_headers = ["cookie"]\n`;
    const ds = await lsp.open(u.config, text);
    assert.ok(!codes(ds).includes('mitm-hook-unreachable'), JSON.stringify(ds));
  });

  it('network rules without enabled = true', async () => {
    const u = uris();
    const ds = await lsp.open(u.config, 'default_permissions = "w"\n[permissions.w]\nextends = ":workspace"\n[permissions.w.network]\nmode = "limited"\n[permissions.w.network.domains]\n"a.example" = "allow"\n');
    assert.deepEqual(summary(ds), [[3, 'network-not-enabled', S.Warning]]);
    assert.match(msg(ds[0]!), /Codex gives this profile no network at all/);
  });

  it('lifecycle hooks: unknown event with did-you-mean, handler fields', async () => {
    const u = uris();
    const ds = await lsp.open(u.config, '[[hooks.PreTooluse]]\n[[hooks.PostToolUse]]\n[[hooks.PostToolUse.hooks]]\ntype = "command"\n[[hooks.PostToolUse.hooks]]\ntype = "mcp_tool"\nserver = "s"\n');
    assert.deepEqual(summary(ds), [[0, 'unknown-key', S.Warning], [2, 'hook-handler-missing-field', S.Error], [4, 'hook-handler-missing-field', S.Error]]);
    assert.match(msg(ds[0]!), /Did you mean `PreToolUse`/);
    assert.match(msg(ds[2]!), /`tool`/);
  });

  it('cross-file: config against the open requirements, and requirements edits revalidate it', async () => {
    const u = uris();
    await lsp.open(u.requirements, fixture('seed001.requirements.toml'));
    const ds = await lsp.open(u.config, fixture('user.config.toml'));
    assert.deepEqual(summary(ds), [
      [1, 'requirements-forbidden-value', S.Warning],
      [2, 'requirements-forbidden-value', S.Warning],
      [3, 'requirements-forbidden-value', S.Warning],
      [13, 'requirements-ceiling', S.Warning],
      [16, 'requirements-inert-allow', S.Warning],
    ]);
    const forbidden = ds[0]!;
    assert.match(msg(forbidden), /Codex falls back to `on-request`/);
    assert.equal(forbidden.relatedInformation?.[0]?.location.uri, u.requirements);
    // Pin a feature in the requirements: the open config is revalidated without being touched.
    const next = lsp.nextDiagnostics(u.config);
    await lsp.change(u.requirements, `${fixture('seed001.requirements.toml')}\n[features]\nhooks = true\n`, false);
    const after = await next;
    assert.ok(after.some((d) => d.code === 'requirements-feature-conflict' && d.range.start.line === 6 && d.severity === S.Error), JSON.stringify(summary(after)));
  });

  it('debounced changes end on the last version', async () => {
    const u = uris();
    await lsp.open(u.config, 'model = "x"\n');
    for (let i = 0; i < 5; i++) await lsp.change(u.config, `bogus_${i} = 1\n`, false);
    const ds = await lsp.nextDiagnostics(u.config);
    assert.deepEqual(summary(ds), [[0, 'unknown-key', S.Warning]]);
    assert.match(msg(ds[0]!), /bogus_4/);
  });

  it('an edit sent right behind the open: the diagnostics end on the edited version', async () => {
    const u = uris();
    // Both notifications written at once, as a client replaying edits would. The open publishes
    // two loop turns after it is handled (#8): when the edit arrives with it, only the edited
    // version is analysed; when it arrives a moment later, the opened version may be published
    // first, and the edit's diagnostics follow.
    const seen: string[] = [];
    let next = lsp.nextDiagnostics(u.config);
    void lsp.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: u.config, languageId: 'toml', version: 1, text: 'bogus_open = 1\n' } });
    void lsp.conn.sendNotification('textDocument/didChange', { textDocument: { uri: u.config, version: 2 }, contentChanges: [{ text: 'bogus_edit = 1\n' }] });
    for (;;) {
      seen.push((await next).map(msg).join());
      assert.ok(seen.length <= 2, JSON.stringify(seen));
      if (/bogus_edit/.test(seen.at(-1)!)) break;
      next = lsp.nextDiagnostics(u.config);
    }
    // Nothing stale is published after the edit's diagnostics.
    await assert.rejects(lsp.nextDiagnostics(u.config, 400), /no diagnostics/);
  });

  it('ignores TOML files that are not Codex policy files', async () => {
    const other = `file://${ROOT}/proj/pyproject.toml`;
    await lsp.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: other, languageId: 'toml', version: 1, text: 'x = = 1' } });
    const u = uris();
    await lsp.open(u.config, 'model = "x"\n');
    assert.equal(lsp.last(other), undefined);
  });

  it('reports TOML syntax errors by default', async () => {
    const u = uris();
    const ds = await lsp.open(u.config, 'model = "x"\nbroken = = 1\n');
    assert.deepEqual(summary(ds), [[1, 'toml-syntax', S.Error]]);
  });
});

describe('lsp with Even Better TOML active', () => {
  it('leaves syntax errors to it in "auto" mode, and the requirements file is served', async () => {
    const lsp = await LspSession.start({ initializationOptions: { evenBetterTomlActive: true } });
    try {
      const ds = await lsp.open(`file://${ROOT}/ebt/.codex/config.toml`, 'broken = = 1\n');
      assert.deepEqual(ds, []);
      const req = await lsp.open(`file://${ROOT}/ebt/.codex/requirements.toml`, 'allowed_sandbox_modes = ["workspace-write"]\n');
      assert.deepEqual(summary(req), [[0, 'invalid-value', S.Error]]);
    } finally {
      await lsp.stop();
    }
  });
});
