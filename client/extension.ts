// Extension entry: one ExtensionCtx (ctx.ts) owns the language client, the proxy supervisor, the
// decision log, the status bar and proxied terminals; commands come from one table
// (commandTable.ts). Activation stays cheap: the proxy starts only on a command or autoStart,
// heavy modules load on first use.
import * as vscode from 'vscode';
import { registerCommands } from './commandTable';
import { ExtensionCtx, lazy } from './ctx';
import { readSettings } from './settings';

let current: ExtensionCtx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const t0 = performance.now();
  const ctx = (current = new ExtensionCtx(context));
  registerCommands(ctx);
  ctx.watchPolicy();
  ctx.paintStatus();
  ctx.status.paint();
  const settings = readSettings();
  if (settings.proxy.autoStart) void ctx.startProxy();
  ctx.subscribe(vscode.workspace.onDidGrantWorkspaceTrust(() => {
    if (readSettings().proxy.autoStart && ctx.supervisor.state.kind === 'stopped') void ctx.startProxy();
  }));
  ctx.log.info(`Activated in ${(performance.now() - t0).toFixed(1)} ms (language server starting in the background).`);
  lazy.languageClient().then((m) => m.startLanguageClient(context, settings, ctx.log)).then(
    (c) => {
      ctx.client = c;
      ctx.log.info(`Language server ready ${(performance.now() - t0).toFixed(0)} ms after activation began.`);
    },
    (e: unknown) => ctx.log.error(`Language server failed to start: ${e instanceof Error ? e.message : String(e)}`),
  );
}

export async function deactivate(): Promise<void> {
  await Promise.all([current?.supervisor.stop(), current?.client?.stop()]);
}
