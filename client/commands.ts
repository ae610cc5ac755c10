// Command implementations that need no proxy internals: explain, CA certificate, export.
import * as vscode from 'vscode';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { explainRequest, toOutput } from '../core/cli/explain';
import { formatDiagnostic } from '../core/cli/policyFiles';
import { parseAbsoluteUrl } from '../core/net/target';
import { CA_CERT_FILE, loadOrCreateCa, regenerateCa } from '../core/ca';
import { toHar, toJsonl } from './logic/export';
import type { DecisionEvent } from './logic/events';
import { loadCurrentPolicy, openRule } from './policyActions';
import { loadPolicy, readPolicySource } from '../core/engine/load';
import type { ExplainPrefill } from '../server/features/policyTestLens';

/** The policy a test case names (from *Debug in Explain*): secrets optional, as in `test`. */
function loadTestPolicy(p: ExplainPrefill): ReturnType<typeof loadPolicy> {
  return loadPolicy({
    ...(p.config ? { config: readPolicySource(p.config) } : {}),
    ...(p.requirements ? { requirements: readPolicySource(p.requirements) } : {}),
    ...(p.profile ? { profile: p.profile } : {}),
    env: {}, secrets: 'optional',
  });
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export async function explainCommand(log: vscode.LogOutputChannel, prefill?: ExplainPrefill): Promise<void> {
  const method = prefill?.method ?? await vscode.window.showQuickPick([...METHODS, 'Other…'], { title: 'Explain Request (1/2): method', placeHolder: 'HTTP method' });
  if (!method) return;
  let m = method;
  if (method === 'Other…') {
    const custom = await vscode.window.showInputBox({ title: 'Explain Request: method', validateInput: (v) => (/^[A-Za-z][A-Za-z0-9_-]*$/.test(v.trim()) ? undefined : 'A method is a token like PROPFIND') });
    if (!custom) return;
    m = custom.trim().toUpperCase();
  }
  const url = await vscode.window.showInputBox({
    title: `Explain Request (2/2): URL for ${m}`, ...(prefill ? { value: prefill.url } : {}), placeHolder: 'https://api.github.com/repos/acme/app', prompt: 'Nothing is sent; the policy is evaluated locally.',
    validateInput: (v) => {
      const t = parseAbsoluteUrl(v.trim());
      return 'error' in t ? t.error : undefined;
    },
  });
  if (!url) return;
  const loaded = prefill?.config ? loadTestPolicy(prefill) : loadCurrentPolicy();
  if (!loaded.policy) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    const why = errors.length ? errors.map((d) => formatDiagnostic(d)).join('\n') : 'No config.toml found (set codexNetworkPolicy.configPath).';
    log.error(`Explain: no policy.\n${why}`);
    const pick = await vscode.window.showErrorMessage('Cannot explain: the policy is invalid or missing.', { modal: true, detail: why }, 'Show Problems');
    if (pick === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    return;
  }
  const r = explainRequest(loaded.policy, { method: m, url: url.trim(), headers: prefill?.headers ?? [], resolve: new Map(prefill?.resolve ?? []) });
  if ('error' in r) {
    void vscode.window.showErrorMessage(`Explain: ${r.error}`);
    return;
  }
  const d = r.final;
  const target = parseAbsoluteUrl(url.trim());
  const lines: string[] = [`Why: ${toOutput(d, { method: m, path: 'error' in target ? null : target.path }).explanation}.`];
  if (r.connect && r.connect !== d) lines.push(`CONNECT ${r.connect.host}:${r.connect.port}: ${r.connect.decision}${r.connect.mitm ? ', decrypted (MITM)' : ''}`);
  else if (r.connect) lines.push(`CONNECT ${r.connect.host}:${r.connect.port}: ${r.connect.decision}${r.connect.mitm ? '' : ', raw tunnel (not decrypted)'}`);
  if (d.reason) lines.push(`Reason: ${d.reason}${d.message ? ` — ${d.message}` : ''}`);
  lines.push(`Status: ${d.status}${d.proxyError ? ` ${d.proxyError}` : ''}`);
  lines.push(`Profile: ${loaded.policy.effective.profile} (${loaded.policy.effective.mode} mode)`);
  if (d.hook) lines.push(`Hook: ${d.hook}`);
  if (d.headers.strip.length) lines.push(`Strips: ${d.headers.strip.join(', ')}`);
  if (d.headers.inject.length) lines.push(`Injects: ${d.headers.inject.join(', ')} (values hidden)`);
  lines.push(`Rule: ${d.rule ? `${vscode.workspace.asRelativePath(d.rule.file)}:${d.rule.line}` : 'none (no rule matched)'}`);
  lines.push('Host names count as public addresses here (no DNS lookup).');
  const title = `${d.decision === 'allow' ? 'ALLOW' : 'DENY'}  ${m} ${url.trim()}`;
  log.info(`Explain: ${title}\n  ${lines.join('\n  ')}`);
  const buttons = d.rule ? ['Open Rule'] : [];
  const pick = await vscode.window.showInformationMessage(title, { modal: true, detail: lines.join('\n') }, ...buttons);
  if (pick === 'Open Rule' && d.rule) await openRule(d.rule.file, d.rule.line);
}

export async function revealCaCommand(caDir: string, caCertFromProxy: string | undefined): Promise<void> {
  const path = caCertFromProxy ?? (await loadOrCreateCa(caDir)).certPath;
  const ca = await loadOrCreateCa(caDir);
  const pick = await vscode.window.showInformationMessage(
    `Codex proxy CA: ${ca.subject}, valid until ${ca.notAfter.toISOString().slice(0, 10)}.`,
    { modal: true, detail: `SHA-256 fingerprint:\n${ca.fingerprintSha256}\n\n${path}` },
    'Open Certificate', 'Reveal in OS', 'Copy Path', 'Copy Fingerprint',
  );
  if (pick === 'Open Certificate') await vscode.window.showTextDocument(vscode.Uri.file(path));
  else if (pick === 'Reveal in OS') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path));
  else if (pick === 'Copy Path') await vscode.env.clipboard.writeText(path);
  else if (pick === 'Copy Fingerprint') await vscode.env.clipboard.writeText(ca.fingerprintSha256);
}

/** Returns true when a new CA was written. */
export async function regenerateCaCommand(caDir: string, log: vscode.LogOutputChannel): Promise<boolean> {
  const ok = await vscode.window.showWarningMessage(
    'Regenerate the proxy CA?',
    { modal: true, detail: `A new CA replaces ${join(caDir, CA_CERT_FILE)} (the old one is kept as a backup). Tools that trusted the old CA explicitly must trust the new one; proxied terminals need a relaunch. The proxy restarts.` },
    'Regenerate',
  );
  if (ok !== 'Regenerate') return false;
  const { ca, backups } = await regenerateCa(caDir);
  log.info(`CA regenerated: ${ca.fingerprintSha256}; backups: ${backups.join(', ') || 'none'}`);
  void vscode.window.showInformationMessage('New proxy CA written.', { modal: true, detail: `SHA-256 fingerprint:\n${ca.fingerprintSha256}` });
  return true;
}

export async function exportCommand(events: readonly DecisionEvent[], format: 'jsonl' | 'har' | undefined, secrets: readonly string[], version: string): Promise<void> {
  const fmt = format ?? (await vscode.window.showQuickPick([{ label: 'JSON Lines', value: 'jsonl' as const }, { label: 'HAR 1.2', value: 'har' as const }], { title: 'Export decision log' }))?.value;
  if (!fmt) return;
  if (!events.length) {
    void vscode.window.showInformationMessage('The decision log is empty; nothing to export.');
    return;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(base, `codex-decisions-${stamp}.${fmt === 'har' ? 'har' : 'jsonl'}`),
    filters: fmt === 'har' ? { HAR: ['har'] } : { 'JSON Lines': ['jsonl'] },
  });
  if (!uri) return;
  const text = fmt === 'har' ? JSON.stringify(toHar(events, version, secrets), null, 2) : toJsonl(events, secrets);
  await writeFile(uri.fsPath, text, { mode: 0o600 });
  void vscode.window.showInformationMessage(`Exported ${events.length} decisions to ${vscode.workspace.asRelativePath(uri)} (header values and secrets are never included).`);
}
