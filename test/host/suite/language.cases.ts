// The language server through VS Code's own API: diagnostics, completion and hover.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { hostCase } from './registry';
import { diagnosticCode, hoverText, lineOf, openEditor, poll, workspaceFile } from './util';

const BROKEN = ['broken', '.codex', 'config.toml'];
const VALID = ['.codex', 'config.toml'];

hostCase('an undefined action is reported on its line (source codex, code mitm-undefined-action)', async () => {
  const uri = workspaceFile(...BROKEN);
  const doc = await openEditor(uri);
  const line = lineOf(doc, 'action = ["missing_action"]');
  // The language server starts in the background after activation: wait for its first publish.
  const hit = await poll(
    () => vscode.languages.getDiagnostics(uri).find((d) => d.source === 'codex' && diagnosticCode(d) === 'mitm-undefined-action'),
    'a codex diagnostic mitm-undefined-action',
    20_000,
  );
  assert.equal(hit.range.start.line, line, `reported on line ${hit.range.start.line + 1}, expected ${line + 1}`);
  assert.equal(hit.severity, vscode.DiagnosticSeverity.Error);
  assert.match(hit.message, /missing_action/);
  // The valid workspace policy has no errors (warnings would be fine).
  const valid = workspaceFile(...VALID);
  await openEditor(valid);
  await poll(() => vscode.languages.getDiagnostics(uri).length > 0, 'diagnostics still present', 5_000);
  const errors = vscode.languages.getDiagnostics(valid).filter((d) => d.source === 'codex' && d.severity === vscode.DiagnosticSeverity.Error);
  assert.deepEqual(errors.map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
});

hostCase('completion inside action = [" lists the defined actions', async () => {
  const uri = workspaceFile(...BROKEN);
  const doc = await openEditor(uri);
  const line = lineOf(doc, 'action = ["missing_action"]');
  const position = new vscode.Position(line, doc.lineAt(line).text.indexOf('["') + 2);
  const labels = await poll(async () => {
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position);
    const got = (list?.items ?? []).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    return got.includes('strip_cookies') && got.includes('tag_requests') ? got : null;
  }, 'completion items strip_cookies and tag_requests', 20_000);
  assert.ok(!labels.includes('missing_action'), `the undefined name is not offered as an action: ${labels.join(', ')}`);
});

hostCase('hover on a hook names its host', async () => {
  const uri = workspaceFile(...VALID);
  const doc = await openEditor(uri);
  const line = lineOf(doc, '[permissions.work.network.mitm.hooks.api_reads]');
  const position = new vscode.Position(line, doc.lineAt(line).text.indexOf('api_reads') + 2);
  const text = await poll(async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
    const t = hoverText(hovers ?? []);
    return t.includes('api.example.test') ? t : null;
  }, 'a hover mentioning api.example.test', 20_000);
  assert.match(text, /api_reads/);
  assert.match(text, /GET/);
});
