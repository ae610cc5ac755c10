// *Codex Effective Policy* tree: per profile, every setting, domain entry, hook and action the
// proxy would enforce, each linked to its source line; inert entries greyed with why. Built from
// the open buffers (unsaved edits included) with the CLI's model (core/policy/provenance).
import * as vscode from 'vscode';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadPolicy, type LocatedDiagnostic } from '../core/engine/load';
import { availableProfiles } from '../core/lower/resolve';
import { effectiveReport, type EffectiveEntry, type EffectiveReport, type EntryKind } from '../core/policy/provenance';
import { policyPaths, readSettings } from './settings';

export const VIEW_ID = 'codexNetworkPolicy.effectivePolicy';
const INERT_SCHEME = 'codex-effective-inert';

const SECTIONS: [EntryKind, string][] = [
  ['setting', 'Settings'], ['domain', 'Domains'], ['hook', 'MITM hooks'], ['action', 'MITM actions'],
  ['header_injection', 'Managed header injections'], ['unix_socket', 'Unix sockets'],
];

export type Node =
  | { type: 'profile'; report: EffectiveReport; active: boolean }
  | { type: 'section'; title: string; entries: EffectiveEntry[]; inert: boolean }
  | { type: 'entry'; entry: EffectiveEntry; id: string }
  | { type: 'problem'; diagnostic?: LocatedDiagnostic; text: string };

function textOf(path: string): string | undefined {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === path);
  if (open) return open.getText();
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Reports for every profile the files define (the active one first), or why there are none. */
export function buildTree(): Node[] {
  const s = readSettings();
  const files = policyPaths(s);
  const source = (f?: string) => {
    const text = f ? textOf(f) : undefined;
    return f && text !== undefined ? { file: f, text } : undefined;
  };
  const config = source(files.config), requirements = source(files.requirements);
  if (!config && !requirements) return [{ type: 'problem', text: 'No config.toml found (set codexNetworkPolicy.configPath).' }];
  const loaded = loadPolicy({ ...(config ? { config } : {}), ...(requirements ? { requirements } : {}), ...(s.profile ? { profile: s.profile } : {}), env: {}, secrets: 'optional', strict: s.strict });
  const error = loaded.diagnostics.find((d) => d.severity === 'error');
  const active = error ? undefined : effectiveReport(loaded.documents, s.profile || undefined);
  if (!active) return [{ type: 'problem', ...(error ? { diagnostic: error } : {}), text: `Policy invalid: ${error?.message ?? 'no profile resolves'}` }];
  const out: Node[] = [{ type: 'profile', report: active, active: true }];
  for (const name of availableProfiles(loaded.documents).keys()) {
    if (name === active.profile) continue;
    const r = effectiveReport(loaded.documents, name);
    // A profile the managed allowlist refuses resolves to its fallback: not a view of its own.
    if (r && r.profile === name) out.push({ type: 'profile', report: r, active: false });
  }
  return out;
}

function sourceLabel(e: EffectiveEntry): string {
  const s = e.source;
  const layer = s.layer === 'parent profile' && s.profile ? `parent profile ${s.profile}` : s.layer;
  return s.file ? `${layer} · ${basename(s.file)}:${s.line}` : layer;
}

function entryLabel(e: EffectiveEntry): string {
  if (e.kind === 'setting') return `${e.key} = ${e.value}`;
  if (e.kind === 'domain' || e.kind === 'unix_socket') return `${e.value} ${e.key}`;
  return `${e.key}: ${e.value}`;
}

export class EffectivePolicyTree implements vscode.TreeDataProvider<Node>, vscode.FileDecorationProvider, vscode.Disposable {
  readonly onDidChangeTreeData: vscode.Event<Node | undefined>;
  private readonly inert = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly subs: vscode.Disposable[] = [];

  /** `changed` is created by the caller, so the view can be registered before this module loads. */
  constructor(private readonly changed: vscode.EventEmitter<Node | undefined>) {
    this.onDidChangeTreeData = changed.event;
    this.subs.push(
      vscode.window.registerFileDecorationProvider(this),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e.document.uri)),
      vscode.workspace.onDidSaveTextDocument((d) => this.onEdit(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('codexNetworkPolicy')) this.refresh(); }),
    );
  }

  private onEdit(uri: vscode.Uri): void {
    const p = policyPaths();
    if (uri.scheme === 'file' && (uri.fsPath === p.config || uri.fsPath === p.requirements)) this.refresh();
  }

  /** Rebuild soon (edits come in bursts). */
  refresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(undefined), 150);
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      this.inert.clear();
      try {
        return buildTree();
      } catch (e) {
        return [{ type: 'problem', text: `Could not read the policy: ${e instanceof Error ? e.message : String(e)}` }];
      }
    }
    if (node.type === 'profile') {
      const out: Node[] = [];
      for (const [kind, title] of SECTIONS) {
        const entries = node.report.entries.filter((e) => e.kind === kind && !e.inert);
        if (entries.length) out.push({ type: 'section', title, entries, inert: false });
      }
      const inert = node.report.entries.filter((e) => e.inert);
      if (inert.length) out.push({ type: 'section', title: 'Inert (no effect)', entries: inert, inert: true });
      return out;
    }
    if (node.type === 'section') {
      return node.entries.map((entry, i) => {
        const id = `${encodeURIComponent(entry.source.file ?? 'builtin')}/${entry.source.line ?? 0}/${entry.kind}/${encodeURIComponent(entry.key)}/${i}`;
        if (entry.inert) this.inert.set(id, entry.inert);
        return { type: 'entry', entry, id };
      });
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.type) {
      case 'profile': {
        const r = node.report;
        const item = new vscode.TreeItem(`${r.profile}${node.active ? ' (active)' : ''}`, node.active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.description = r.state === 'enabled' ? `proxy on · ${r.mode} mode` : r.state === 'disabled' ? 'network off' : 'no proxy (unsandboxed)';
        item.tooltip = `Profile ${r.profile}, selected by ${r.selectedBy}`;
        item.iconPath = new vscode.ThemeIcon(node.active ? 'shield' : 'symbol-namespace');
        return item;
      }
      case 'section': {
        // Settings are mostly defaults: collapsed, so domains and hooks are in view.
        const item = new vscode.TreeItem(node.title, node.title === 'Settings' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
        item.description = String(node.entries.length);
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('error');
        const d = node.diagnostic;
        if (d?.file) item.command = openAt(d.file, d.range.start.line + 1);
        return item;
      }
      case 'entry': {
        const e = node.entry;
        const item = new vscode.TreeItem(entryLabel(e), vscode.TreeItemCollapsibleState.None);
        item.description = e.inert ? `inert: ${e.inert}` : sourceLabel(e);
        item.tooltip = new vscode.MarkdownString(`${e.inert ? `**Inert** — ${e.inert}\n\n` : ''}Source: ${sourceLabel(e)}${e.source.file ? `\n\n\`${e.source.file}:${e.source.line}\`` : ''}`);
        if (e.inert) {
          item.resourceUri = vscode.Uri.from({ scheme: INERT_SCHEME, path: `/${node.id}` });
          item.iconPath = new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
        } else item.iconPath = new vscode.ThemeIcon(e.value === 'deny' ? 'close' : e.value === 'allow' ? 'check' : 'symbol-property');
        if (e.source.file && e.source.line) item.command = openAt(e.source.file, e.source.line);
        return item;
      }
    }
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== INERT_SCHEME) return undefined;
    return { color: new vscode.ThemeColor('disabledForeground'), tooltip: this.inert.get(uri.path.slice(1)) ?? 'inert' };
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subs.forEach((s) => s.dispose());
  }
}

function openAt(file: string, line: number): vscode.Command {
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  return { title: 'Open source line', command: 'vscode.open', arguments: [vscode.Uri.file(file), { selection: new vscode.Range(pos, pos), preview: false }] };
}
