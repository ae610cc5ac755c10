// Editor actions on the policy: open a rule, allow/deny a host, add a hook (WorkspaceEdit + save,
// which the proxy hot-reloads), and load the policy in-process for explain/export/profile pick.
import * as vscode from 'vscode';
import { readFileSync, existsSync } from 'node:fs';
import { loadPolicy, readPolicySource, type LoadPolicyResult } from '../core/engine/load';
import { loadDocument } from '../core/toml/load';
import { availableProfiles } from '../core/lower/resolve';
import { BUILTIN_PROFILES } from '../core/model/profile';
import { addHookEdit, setDomainEdit, type EditResult } from '../core/edit/policyEdits';
import { policyPaths, readSettings, SECTION } from './settings';

export async function openRule(file: string, line: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false });
}

/** The policy as the proxy would load it, from the files on disk. */
export function loadCurrentPolicy(): LoadPolicyResult & { files: { config?: string; requirements?: string } } {
  const s = readSettings();
  const files = policyPaths(s);
  const present = (f?: string) => (f && existsSync(f) ? f : undefined);
  const config = present(files.config), requirements = present(files.requirements);
  const r = loadPolicy({
    ...(config ? { config: readPolicySource(config) } : {}),
    ...(requirements ? { requirements: readPolicySource(requirements) } : {}),
    ...(s.profile ? { profile: s.profile } : {}),
    env: process.env, strict: s.strict,
  });
  return { ...r, files: { ...(config ? { config } : {}), ...(requirements ? { requirements } : {}) } };
}

/** Active profile name: settings override, else what the loaded policy resolved, else default_permissions. */
export function activeProfile(fallback: string | null): string | null {
  const s = readSettings();
  if (s.profile) return s.profile;
  try {
    const r = loadCurrentPolicy();
    if (r.effective?.profile) return r.effective.profile;
    const dp = r.documents.config?.value?.default_permissions;
    if (typeof dp === 'string') return dp;
  } catch {
    // unreadable files: fall back to what the proxy last reported
  }
  return fallback;
}

async function applyToConfig(make: (text: string) => EditResult): Promise<void> {
  const file = policyPaths().config;
  if (!file) throw new Error('No config.toml found: set codexNetworkPolicy.configPath or create .codex/config.toml.');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const r = make(doc.getText());
  if ('error' in r) throw new Error(r.error);
  const edit = new vscode.WorkspaceEdit();
  for (const e of r.edits) {
    edit.replace(doc.uri, new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText);
  }
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${file}.`);
  await doc.save();
  const pick = await vscode.window.showInformationMessage(`${r.summary}. Saved ${vscode.workspace.asRelativePath(file)}; the proxy reloads it.`, 'Open');
  if (pick === 'Open') await vscode.window.showTextDocument(doc, { preview: false, selection: new vscode.Range(r.edits[0]!.range.start.line, 0, r.edits[0]!.range.start.line, 0) });
}

export function setHost(host: string, value: 'allow' | 'deny', fallbackProfile: string | null): Promise<void> {
  const profile = activeProfile(fallbackProfile);
  return applyToConfig((text) => setDomainEdit(text, profile, host, value));
}

export function addHook(req: { host: string; method: string; path: string }, fallbackProfile: string | null): Promise<void> {
  const profile = activeProfile(fallbackProfile);
  return applyToConfig((text) => addHookEdit(text, profile, req));
}

/** Built-ins plus every profile defined in config.toml / requirements.toml. */
export function profileChoices(): { name: string; detail: string }[] {
  const files = policyPaths();
  const read = (f: string | undefined, kind: 'config' | 'requirements') => (f && existsSync(f) ? loadDocument(readFileSync(f, 'utf8'), f, kind) : undefined);
  const config = read(files.config, 'config');
  const requirements = read(files.requirements, 'requirements');
  const out = [...availableProfiles({ ...(config ? { config } : {}), ...(requirements ? { requirements } : {}) }).values()].map((p) => ({
    name: p.name, detail: `${p.doc.kind === 'requirements' ? 'managed, ' : ''}${vscode.workspace.asRelativePath(p.doc.file)}`,
  }));
  for (const b of BUILTIN_PROFILES) out.push({ name: b, detail: 'built-in (no network table)' });
  return out;
}

export async function selectProfile(): Promise<void> {
  const current = readSettings().profile;
  const items: (vscode.QuickPickItem & { value: string })[] = [
    { label: '$(discard) Use default_permissions', description: current ? '' : 'current', value: '' },
    ...profileChoices().map((p) => ({ label: p.name, description: p.name === current ? 'current' : '', detail: p.detail, value: p.name })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Codex permission profile for the proxy', placeHolder: 'Profile' });
  if (!pick) return;
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update('profile', pick.value || undefined, target);
}
