// "Suggest Policy from Decision Log": core/suggest on the log's events (or a JSONL file), shown as a
// refactor preview — one confirmable WorkspaceEdit entry per suggested host or hook, so each gets
// its own checkbox. Nothing is written until the user applies the preview.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { formatDiagnostic } from '../core/cli/policyFiles';
import { suggestPolicy, type SuggestResult } from '../core/suggest';
import type { DecisionEvent } from './logic/events';
import { policyPaths, readSettings } from './settings';

async function textOf(file: string): Promise<string> {
  // An open (maybe unsaved) editor wins over the disk, so edit positions match what the user sees.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  return open ? open.getText() : readFile(file, 'utf8');
}

async function eventsText(events: readonly DecisionEvent[]): Promise<string | undefined> {
  if (events.some((e) => e.decision === 'deny' || e.flag === 'would_deny')) return events.map((e) => JSON.stringify(e)).join('\n');
  const pick = await vscode.window.showInformationMessage(
    'The decision log has no denied requests. Suggest from a decision log file (an --audit file or a JSONL export)?', 'Choose File…',
  );
  if (pick !== 'Choose File…') return undefined;
  const uri = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Decision events': ['jsonl', 'json', 'log'], 'All files': ['*'] } });
  return uri?.[0] ? readFile(uri[0].fsPath, 'utf8') : undefined;
}

/** The WorkspaceEdit for a suggestion result: every entry needs confirmation and has its own label. */
export function suggestionWorkspaceEdit(uri: vscode.Uri, r: SuggestResult): vscode.WorkspaceEdit {
  const we = new vscode.WorkspaceEdit();
  for (const entry of r.entries) {
    // VS Code shows entries that need confirmation unchecked: the user ticks what to allow. A new
    // table or action other entries rely on needs none, so it is applied with any of them.
    const meta: vscode.WorkspaceEditEntryMetadata = {
      needsConfirmation: !entry.required, label: entry.label, description: entry.required ? `${entry.detail} (applied with the entries you tick)` : entry.detail,
    };
    for (const e of entry.edits) {
      const range = new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character);
      if (range.isEmpty) we.insert(uri, range.start, e.newText, meta);
      else we.replace(uri, range, e.newText, meta);
    }
  }
  return we;
}

export async function suggestPolicyCommand(events: readonly DecisionEvent[], log: vscode.LogOutputChannel): Promise<boolean> {
  const files = policyPaths();
  if (!files.config || !existsSync(files.config)) {
    void vscode.window.showErrorMessage('Suggest Policy: no config.toml found (set codexNetworkPolicy.configPath).');
    return false;
  }
  const text = await eventsText(events);
  if (text === undefined) return false;
  const profile = readSettings().profile;
  const r = suggestPolicy({
    config: { file: files.config, text: await textOf(files.config) },
    ...(files.requirements && existsSync(files.requirements) ? { requirements: { file: files.requirements, text: await textOf(files.requirements) } } : {}),
    ...(profile ? { profile } : {}),
    eventsText: text,
  });
  if ('error' in r) {
    const detail = r.diagnostics.map((d) => formatDiagnostic(d)).join('\n');
    log.error(`Suggest Policy: ${r.error}${detail ? `\n${detail}` : ''}`);
    void vscode.window.showErrorMessage(`Suggest Policy: ${r.error}`);
    return false;
  }
  for (const s of r.skipped) log.info(`Suggest Policy: left out ${s.method ? `${s.method} ` : ''}${s.host}${s.path ?? ''} (${s.requests}x): ${s.reason} — ${s.detail}`);
  if (!r.entries.length) {
    void vscode.window.showInformationMessage(`Suggest Policy: nothing to suggest (${r.events} decision(s); ${r.skipped.length} left out — see the output log).`);
    return false;
  }
  log.info(`Suggest Policy: ${r.suggestions.length} suggestion(s) for ${r.config} (profile ${r.profile}):\n${r.diff}`);
  const uri = vscode.Uri.file(files.config);
  // Resolves after the preview closes: true when the user applied (some of) the entries.
  const applied = await vscode.workspace.applyEdit(suggestionWorkspaceEdit(uri, r), { isRefactoring: true });
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath);
  // Saving is what makes the running proxy reload; the user chose the entries in the preview.
  if (applied && doc?.isDirty) await doc.save();
  return applied;
}
