// Status bar item: proxy state plus allowed/blocked counts, e.g. `$(shield) Codex proxy: 12 ✓ 3 ✗`.
import * as vscode from 'vscode';
import { redactCredentials } from '../core/env';
import type { ProxyState } from './proxySupervisor';

export interface StatusInfo {
  state: ProxyState;
  allowed: number;
  blocked: number;
  caFingerprint?: string;
  mode?: string;
}

function statusText(i: StatusInfo): string {
  switch (i.state.kind) {
    case 'stopped': return '$(circle-slash) Codex proxy: off';
    case 'starting': return '$(loading~spin) Codex proxy: starting';
    case 'error': return `$(error) Codex proxy: ${i.state.invalidPolicy ? 'invalid policy' : 'error'}`;
    case 'running':
      if (i.state.listening.learning) return `$(warning) Learning: not enforcing · ${i.allowed} ✓ ${i.blocked} ✗`;
      return `$(shield) Codex proxy: ${i.allowed} ✓ ${i.blocked} ✗`;
  }
}

/** The profile the running proxy enforces: its latest policy event, else what it announced at start. */
export function profileOf(s: ProxyState): string | undefined {
  if (s.kind !== 'running') return undefined;
  return s.policy?.profile ?? s.listening.profile;
}

function fingerprintRows(fp: string): string[] {
  const bytes = fp.split(':');
  return bytes.length > 16 ? [bytes.slice(0, 16).join(':'), bytes.slice(16).join(':')] : [fp];
}

function statusTooltip(i: StatusInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: ['codexNetworkPolicy.showDecisionLog', 'codexNetworkPolicy.showEffectivePolicy', 'codexNetworkPolicy.startProxy', 'workbench.actions.view.problems'] };
  const s = i.state;
  if (s.kind === 'running') {
    md.appendMarkdown(`**Codex policy proxy** — running\n\n`);
    if (s.listening.learning) md.appendMarkdown(`$(warning) **Learning: not enforcing the allowlist.** Requests it would deny pass and are logged as \`would_deny\`; restart the proxy to enforce.\n\n`);
    md.appendMarkdown(`| | |\n|---|---|\n| Listen | \`${s.listening.http}\` |\n`);
    if (s.listening.socks) md.appendMarkdown(`| SOCKS5 | \`${s.listening.socks}\` |\n`);
    md.appendMarkdown(`| Proxy URL | \`${redactCredentials(s.listening.proxyUrl)}\` |\n`);
    md.appendMarkdown(`| Profile | \`${profileOf(s) ?? '(none)'}\` |\n`);
    const mode = s.listening.mode ?? i.mode;
    if (mode) md.appendMarkdown(`| Mode | ${mode} |\n`);
    // 32 bytes of colon hex is too wide for a hover: two rows of 16 bytes.
    if (i.caFingerprint) fingerprintRows(i.caFingerprint).forEach((half, n) => md.appendMarkdown(`| ${n ? '' : 'CA SHA-256'} | \`${half}\` |\n`));
    md.appendMarkdown(`| Decisions | ${i.allowed} allowed, ${i.blocked} blocked |\n\n`);
    if (s.policy?.status === 'invalid') md.appendMarkdown(`$(warning) Last edit rejected; previous policy in force.\n\n`);
    md.appendMarkdown('[Show decision log](command:codexNetworkPolicy.showDecisionLog) · [Effective policy](command:codexNetworkPolicy.showEffectivePolicy)');
  } else if (s.kind === 'error') {
    md.appendText(`Codex policy proxy — ${s.message}`);
    if (s.retryInMs) md.appendText(` (retrying in ${Math.round(s.retryInMs / 1000)} s)`);
    md.appendMarkdown(s.invalidPolicy ? '\n\nFix the policy and save; [Show problems](command:workbench.actions.view.problems)' : '');
  } else if (s.kind === 'starting') md.appendText('Codex policy proxy — starting…');
  else md.appendMarkdown('Codex policy proxy — stopped. [Start](command:codexNetworkPolicy.startProxy)');
  if (s.kind !== 'running') md.appendMarkdown('\n\n[Effective policy](command:codexNetworkPolicy.showEffectivePolicy) · [Decision log](command:codexNetworkPolicy.showDecisionLog)');
  return md;
}

export class ProxyStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('codexNetworkPolicy.proxy', vscode.StatusBarAlignment.Right, 100);
  private pending: NodeJS.Timeout | undefined;
  private last: StatusInfo | undefined;

  constructor() {
    this.item.name = 'Codex Network Policy proxy';
    // Click: the policy in force (the decision log stays one link away in the tooltip).
    this.item.command = 'codexNetworkPolicy.showEffectivePolicy';
  }

  /** Coalesces bursts of decisions into one repaint per 100 ms. */
  update(i: StatusInfo): void {
    this.last = i;
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.paint();
    }, 100);
  }

  paint(): void {
    const i = this.last;
    if (!i) return;
    this.item.text = statusText(i);
    this.item.tooltip = statusTooltip(i);
    const learning = i.state.kind === 'running' && i.state.listening.learning === true;
    this.item.backgroundColor = i.state.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : learning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.item.dispose();
  }
}
