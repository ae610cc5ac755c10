// *Save as test case* (decision log) and *Run* (code lens): the editor side of policy tests.
import * as vscode from 'vscode';
import { dirname, join, resolve } from 'node:path';
import type { LanguageClient } from 'vscode-languageclient/node';
import { caseText, newTestFileText } from '../core/policytest/caseText';
import { parsePolicyTest } from '../core/policytest/parse';
import type { DecisionEvent } from './logic/events';
import { policyPaths } from './settings';
import type { RunSummary } from '../server/features/policyTestLens';

/** The workspace's test file for this config, else a new one next to it. */
async function testFileFor(config: string): Promise<{ uri: vscode.Uri; exists: boolean }> {
  for (const uri of await vscode.workspace.findFiles('**/*.policytest.toml', '**/node_modules/**', 200)) {
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    const parsed = parsePolicyTest(text, uri.fsPath);
    if (parsed.config !== undefined && resolve(dirname(uri.fsPath), parsed.config) === config) return { uri, exists: true };
  }
  return { uri: vscode.Uri.file(join(dirname(config), 'policy.policytest.toml')), exists: false };
}

export async function saveAsTestCase(e: DecisionEvent): Promise<void> {
  const files = policyPaths();
  if (!files.config) throw new Error('No config.toml found: set codexNetworkPolicy.configPath or create .codex/config.toml.');
  const name = `${e.method && e.method !== 'CONNECT' ? e.method : 'GET'} ${e.host}${e.path ?? '/'} (${e.decision}, pinned ${e.time.slice(0, 10)})`;
  const text = caseText(e, name);
  if (!text) throw new Error('Only HTTP(S) decisions can be saved as test cases (this one came through SOCKS).');
  const target = await testFileFor(files.config);
  if (!target.exists) {
    const reqOpen = files.requirements && (await exists(files.requirements)) ? files.requirements : undefined;
    await vscode.workspace.fs.writeFile(target.uri, Buffer.from(newTestFileText(target.uri.fsPath, files.config, reqOpen)));
  }
  const doc = await vscode.workspace.openTextDocument(target.uri);
  const end = doc.lineAt(doc.lineCount - 1).range.end;
  const edit = new vscode.WorkspaceEdit();
  edit.insert(doc.uri, end, (doc.getText().endsWith('\n') || !doc.getText() ? '' : '\n') + text.replace(/^\n/, doc.getText() ? '\n' : ''));
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${target.uri.fsPath}.`);
  await doc.save();
  const line = doc.getText().split('\n').lastIndexOf('[[case]]');
  const pos = new vscode.Position(Math.max(0, line), 0);
  // Beside the decision log, which keeps its place and focus (more rows may be saved).
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(path));
    return true;
  } catch {
    return false;
  }
}

/** *Run*: re-judge a test file now and say how it went. */
export async function runPolicyTests(client: LanguageClient | undefined, uri?: string): Promise<RunSummary | null> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
  if (!client || !target) {
    void vscode.window.showWarningMessage('Policy tests: open a *.policytest.toml file (the language server must be running).');
    return null;
  }
  const r = await client.sendRequest<RunSummary | null>('codexNetworkPolicy/runPolicyTests', { uri: target });
  if (!r) void vscode.window.showWarningMessage('Policy tests: not a *.policytest.toml file.');
  else if (r.invalid) void vscode.window.showErrorMessage(`Policy tests: invalid — ${r.problems[0] ?? 'see Problems'}`);
  else if (r.failed) void vscode.window.showWarningMessage(`Policy tests: ${r.passed} passed, ${r.failed} failed — ${r.failures[0]!.message.split('\n')[0]}`);
  else void vscode.window.showInformationMessage(`Policy tests: ${r.passed} passed, 0 failed`);
  return r;
}
