import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CodeLens, CompletionList, Hover, MarkupContent } from 'vscode-languageserver/node';
import { LspSession } from './harness';

const DEMO = resolve(__dirname, '../../examples/demo');
const dir = mkdtempSync(join(tmpdir(), 'cnp-lsp-pt-'));
mkdirSync(join(dir, '.codex'));
copyFileSync(join(DEMO, '.codex/config.toml'), join(dir, '.codex/config.toml'));
const CONFIG_URI = `file://${dir}/.codex/config.toml`;
const TEST_URI = `file://${dir}/policy.policytest.toml`;
const CONFIG_TEXT = readFileSync(join(DEMO, '.codex/config.toml'), 'utf8');
const TEST_TEXT = readFileSync(join(DEMO, 'policy.policytest.toml'), 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

describe('language server: policy test files', () => {
  let s: LspSession;
  before(async () => { s = await LspSession.start({ workspaceFolder: dir }); });
  after(async () => { await s.stop(); });

  test('a passing file has no diagnostics; code lenses Run and Debug in Explain on each case', async () => {
    assert.deepEqual(await s.open(TEST_URI, TEST_TEXT), []);
    const lenses = await s.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: TEST_URI } });
    assert.equal(lenses.length, 22);
    assert.equal(lenses[0]!.command!.title, 'Run ✓ passed');
    assert.equal(lenses[1]!.command!.title, 'Debug in Explain');
    const prefill = lenses[1]!.command!.arguments![0] as { method: string; url: string; config: string };
    assert.deepEqual([prefill.method, prefill.url, prefill.config], ['POST', 'https://api.github.com/repos/myorg/app/issues', join(dir, '.codex/config.toml')]);
    assert.equal(lenses[0]!.range.start.line, lineOf(TEST_TEXT, '[[case]]'));
  });

  test('an unsaved edit of the policy that breaks a case shows on its [[case]], and clears when undone', async () => {
    await s.open(CONFIG_URI, CONFIG_TEXT);
    const broken = CONFIG_TEXT.replace('methods = ["GET", "HEAD", "OPTIONS"]', 'methods = ["GET", "HEAD", "OPTIONS", "DELETE"]');
    const next = s.nextDiagnostics(TEST_URI);
    await s.change(CONFIG_URI, broken, false);
    const ds = await next;
    assert.equal(ds.length, 1);
    const header = TEST_TEXT.split('\n').findIndex((l, i, all) => l === '[[case]]' && all[i + 1]!.includes('internal API writes are blocked'));
    assert.equal(ds[0]!.range.start.line, header);
    assert.equal(ds[0]!.code, 'policytest-failed');
    assert.match(ds[0]!.message as string, /^"internal API writes are blocked": expected deny \(reason mitm_hook_denied\), got allow via hook internal_read_only \(rule .*config\.toml:40\)/);
    const lenses = await s.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: TEST_URI } });
    assert.ok(lenses.some((l) => l.command!.title === 'Run ✗ failed' && l.range.start.line === header));
    const fixed = s.nextDiagnostics(TEST_URI);
    await s.change(CONFIG_URI, CONFIG_TEXT, false);
    assert.deepEqual(await fixed, []);
  });

  test('schema, URL, unknown hook and profile errors at the right place', async () => {
    const bad = TEST_TEXT
      .replace('hook = "registry_publish"', 'hook = "registry_publsh"')
      .replace('request = "GET https://example.org/"', 'request = "GET example.org"')
      .replace('mitm = false', 'mitm = "no"')
      .replace('expect = "allow"\nhook = "registry_read"', 'expect = "alow"\nhook = "registry_read"');
    const ds = await s.change(TEST_URI, bad);
    const at = (code: string) => ds!.filter((d) => d.code === code).map((d) => d.range.start.line);
    assert.deepEqual(at('policytest-unknown-hook'), [lineOf(bad, 'registry_publsh')]);
    assert.deepEqual(at('policytest-invalid'), [lineOf(bad, 'GET example.org')]);
    assert.deepEqual(at('invalid-type'), [lineOf(bad, 'mitm = "no"')]);
    assert.deepEqual(at('invalid-value'), [lineOf(bad, '"alow"')]);
    const withProfile = await s.change(TEST_URI, 'profile = "nope"\n' + TEST_TEXT);
    assert.deepEqual(withProfile!.filter((d) => d.code === 'policytest-unknown-profile').map((d) => d.range.start.line), [0]);
    await s.change(TEST_URI, TEST_TEXT);
  });

  test('completion and hover come from the test file model', async () => {
    const text = TEST_TEXT.replace('hook = "registry_read"', 'hook = ""');
    await s.change(TEST_URI, text);
    const line = lineOf(text, 'hook = ""');
    const hooks = await s.request<CompletionList>('textDocument/completion', { textDocument: { uri: TEST_URI }, position: { line, character: 8 } });
    assert.ok(hooks.items.some((i) => i.label === 'registry_read'));
    const expectLine = lineOf(text, 'expect = "deny"');
    const values = await s.request<CompletionList>('textDocument/completion', { textDocument: { uri: TEST_URI }, position: { line: expectLine, character: 10 } });
    assert.deepEqual(values.items.map((i) => i.label).sort(), ['allow', 'deny']);
    const hover = await s.request<Hover>('textDocument/hover', { textDocument: { uri: TEST_URI }, position: { line: lineOf(text, 'request ='), character: 2 } });
    assert.match((hover.contents as MarkupContent).value, /METHOD URL/);
    await s.change(TEST_URI, TEST_TEXT);
  });

  test('the Run request re-judges and answers with the summary', async () => {
    const r = await s.request<{ passed: number; failed: number; invalid: boolean }>('codexNetworkPolicy/runPolicyTests', { uri: TEST_URI });
    assert.deepEqual(r, { passed: 11, failed: 0, invalid: false, failures: [], problems: [] });
  });
});
