// Every command of the extension in one table: `codexNetworkPolicy.<name>` → handler of the
// ExtensionCtx (and the command's arguments). package.json `contributes.commands` lists the same names.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import type { ExplainPrefill } from '../server/features/policyTestLens';
import { EFFECTIVE_VIEW, lazy, type ExtensionCtx } from './ctx';
import { caDirOf, policyPaths, readSettings, SECTION } from './settings';

type Command = (ctx: ExtensionCtx, ...args: unknown[]) => unknown;

function isPrefill(v: unknown): v is ExplainPrefill {
  const o = v as Partial<ExplainPrefill> | undefined;
  return !!o && typeof o === 'object' && typeof o.method === 'string' && typeof o.url === 'string' && Array.isArray(o.headers) && Array.isArray(o.resolve);
}

const COMMANDS: Record<string, Command> = {
  startProxy: async (ctx) => {
    if (ctx.supervisor.state.kind === 'running') {
      void vscode.window.showInformationMessage(`The Codex policy proxy is already running on ${ctx.where()}.`, 'Show Decision Log').then((p) => p && ctx.panels.showPanel());
      return true;
    }
    const ok = await ctx.startProxy();
    if (ok) ctx.confirm(`Codex policy proxy started on ${ctx.where()}`);
    return ok;
  },
  stopProxy: async (ctx) => {
    const was = ctx.supervisor.state.kind;
    await ctx.supervisor.stop();
    ctx.confirm(was === 'stopped' ? 'Codex policy proxy was not running' : 'Codex policy proxy stopped');
  },
  restartProxy: async (ctx) => {
    await ctx.restartProxy();
    const s = ctx.supervisor.state;
    ctx.confirm(s.kind === 'running' ? `Codex policy proxy restarted on ${ctx.where()}` : `Codex policy proxy restart: ${s.kind}`);
  },
  // The policy in force (configPath or the discovered .codex/config.toml); without one, Quick Open
  // prefilled with the usual place, so a user can pick or see that none exists.
  openPolicy: async () => {
    const config = policyPaths().config;
    if (config && existsSync(config)) return vscode.window.showTextDocument(vscode.Uri.file(config));
    return vscode.commands.executeCommand('workbench.action.quickOpen', '.codex/config.toml');
  },
  storeBrokeredCredential: (ctx) => ctx.broker.storeCommand(),
  openProxiedTerminal: async (ctx) => {
    if (ctx.supervisor.state.kind !== 'running' && !(await ctx.startProxy())) return undefined;
    return ctx.terminals.openProxiedTerminal();
  },
  toggleAllTerminals: async (ctx) => {
    const next = !readSettings().proxy.allTerminals;
    await vscode.workspace.getConfiguration(SECTION).update('proxy.allTerminals', next, vscode.ConfigurationTarget.Global);
    if (next && ctx.supervisor.state.kind !== 'running') await ctx.startProxy();
    void vscode.window.showInformationMessage(next ? 'New terminals now use the Codex policy proxy.' : 'New terminals no longer use the Codex policy proxy.');
  },
  showDecisionLog: (ctx) => ctx.panels.showPanel(),
  showDecisionLogView: (ctx) => ctx.panels.showView(),
  clearDecisionLog: (ctx) => ctx.clearLog(),
  explainRequest: async (ctx, prefill) => (await lazy.commands()).explainCommand(ctx.log, isPrefill(prefill) ? prefill : undefined),
  runPolicyTests: async (ctx, uri) => (await lazy.testCases()).runPolicyTests(ctx.client, typeof uri === 'string' ? uri : undefined),
  showEffectivePolicy: async (ctx) => {
    await vscode.commands.executeCommand(`${EFFECTIVE_VIEW}.focus`);
    (await ctx.effectiveTree()).refresh();
  },
  refreshEffectivePolicy: async (ctx) => (await ctx.effectiveTree()).refresh(),
  revealCaCertificate: async (ctx) => (await lazy.commands()).revealCaCommand(caDirOf(readSettings()), ctx.listening()?.caCert),
  regenerateCa: async (ctx) => {
    if (!(await (await lazy.commands()).regenerateCaCommand(caDirOf(readSettings()), ctx.log))) return;
    ctx.caFingerprint = undefined;
    ctx.terminals.invalidate();
    if (ctx.supervisor.state.kind !== 'stopped') await ctx.supervisor.restartNow();
  },
  selectProfile: async () => (await lazy.actions()).selectProfile(),
  suggestPolicy: async (ctx) => (await lazy.suggest()).suggestPolicyCommand(ctx.store.all(), ctx.log),
  startLearning: async (ctx) => {
    const req = policyPaths().requirements;
    if (req && existsSync(req)) {
      void vscode.window.showErrorMessage(`Learning mode is not available: the managed requirements file ${req} is in force.`);
      return false;
    }
    const ok = await vscode.window.showWarningMessage(
      'Learning mode lets through what the allowlist would deny (logged as would_deny), until the proxy restarts. The denylist, local addresses and hooked hosts stay enforced; no secret is injected.',
      { modal: true }, 'Start Learning',
    );
    if (ok !== 'Start Learning') return false;
    ctx.learnNextStart = true;
    await ctx.supervisor.stop();
    return ctx.startProxy();
  },
  exportDecisionLog: async (ctx) => (await lazy.commands()).exportCommand(ctx.store.all(), undefined, ctx.exportSecrets(), ctx.version),
};

export function registerCommands(ctx: ExtensionCtx): void {
  for (const [name, run] of Object.entries(COMMANDS)) ctx.subscribe(vscode.commands.registerCommand(`codexNetworkPolicy.${name}`, (...args: unknown[]) => run(ctx, ...args)));
}
