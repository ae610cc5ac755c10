// Proxied terminals: the "Proxied shell" profile, the Open Proxied Terminal command and the
// optional injection into every new terminal via environmentVariableCollection.
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { buildCaBundle } from '../core/env';
import { terminalEnv, type TerminalEnv } from './logic/terminalEnv';
import type { ListeningEvent } from './logic/events';

const PROFILE_ID = 'codexNetworkPolicy.proxiedShell';
const LEARNING_BANNER = 'Codex policy proxy: LEARNING, not enforcing the allowlist. Requests it would deny pass and are logged as would_deny.';

export interface TerminalContext {
  /** The running proxy, or undefined. */
  listening(): ListeningEvent | undefined;
  /** From the compiled policy: decides NO_PROXY. */
  allowLocalBinding(): boolean;
  profile(): string | null;
  /** Starts the proxy if needed; false when it could not start (the user was told why). */
  ensureRunning(): Promise<boolean>;
  /** More variables for proxied terminals (brokered credentials' dummies). */
  extraEnv?(): Record<string, string>;
  bundleDir: string;
  log: vscode.LogOutputChannel;
}

export class Terminals implements vscode.Disposable {
  private cache: { key: string; env: TerminalEnv } | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private applied = false;

  constructor(private readonly ctx: TerminalContext, private readonly collection: vscode.GlobalEnvironmentVariableCollection) {
    // Decision: persistent = false; bundle files live in the extension's global storage (stable paths). The port (and credential) change every run, so a persisted value
    // would point restored terminals at a dead proxy before we activate; stale beats nothing only for CA paths.
    collection.persistent = false;
    this.disposables.push(
      vscode.window.registerTerminalProfileProvider(PROFILE_ID, {
        provideTerminalProfile: async () => {
          // Decision: picking the "Proxied shell" profile starts the proxy rather than failing.
          if (!this.ctx.listening()) await this.ctx.ensureRunning();
          const env = await this.env();
          if (!env) throw new Error('The Codex policy proxy is not running. Run "Codex Network Policy: Start Proxy" first.');
          return new vscode.TerminalProfile({ ...this.naming(), env: env.env, iconPath: new vscode.ThemeIcon('shield') });
        },
      }),
    );
  }

  /** Environment for the running proxy (cached per listening event); undefined when stopped. */
  async env(): Promise<TerminalEnv | undefined> {
    const l = this.ctx.listening();
    if (!l) return undefined;
    const extra = this.ctx.extraEnv?.() ?? {};
    const key = `${l.proxyUrl}\n${l.socks}\n${l.caCert}\n${this.ctx.allowLocalBinding()}\n${JSON.stringify(extra)}`;
    if (this.cache?.key === key) return this.cache.env;
    const caCertPem = await readFile(l.caCert, 'utf8');
    const bundle = await buildCaBundle({ dir: this.ctx.bundleDir, caCertPem, env: process.env });
    for (const s of bundle.skipped) this.ctx.log.info(`CA bundle: skipped ${s}`);
    const env = terminalEnv({
      proxyUrl: l.proxyUrl, socksUrl: l.socks ? (l.socks.includes('://') ? l.socks : `socks5h://${l.socks}`) : null, allowLocalBinding: this.ctx.allowLocalBinding(),
      caBundlePath: bundle.path, caCertPath: bundle.caCertPath, currentEnv: process.env, profile: this.ctx.profile(), listen: l.http,
    });
    for (const n of env.notes) this.ctx.log.info(`Terminal env: ${n}`);
    Object.assign(env.env, extra);
    this.cache = { key, env };
    return env;
  }

  /** Name and banner: a learning proxy says so in the terminal itself. */
  private naming(): { name: string; message?: string } {
    if (!this.ctx.listening()?.learning) return { name: 'Codex proxied' };
    return { name: 'Codex proxied (LEARNING)', message: `\x1b[30;43m ${LEARNING_BANNER} \x1b[0m\r\n` };
  }

  async openProxiedTerminal(): Promise<vscode.Terminal | undefined> {
    const env = await this.env();
    if (!env) return undefined;
    const t = vscode.window.createTerminal({ ...this.naming(), env: env.env, iconPath: new vscode.ThemeIcon('shield') });
    t.show();
    return t;
  }

  /** Applies (or clears) the collection; returns whether injection is now active. */
  async syncAllTerminals(enabled: boolean, offerRelaunch: boolean): Promise<boolean> {
    const env = enabled ? await this.env() : undefined;
    if (!env) {
      if (this.applied) this.ctx.log.info('Proxy variables removed from new terminals.');
      this.collection.clear();
      this.applied = false;
      return false;
    }
    this.collection.clear();
    const opts = { applyAtProcessCreation: true, applyAtShellIntegration: true };
    for (const [k, v] of Object.entries(env.env)) this.collection.replace(k, v, opts);
    this.collection.description = new vscode.MarkdownString(env.description);
    const wasApplied = this.applied;
    this.applied = true;
    this.ctx.log.info(`Proxy variables applied to new terminals (${Object.keys(env.env).length} variables).`);
    if (offerRelaunch && !wasApplied) void this.offerRelaunch();
    return true;
  }

  private async offerRelaunch(): Promise<void> {
    const old = vscode.window.terminals.filter((t) => !('pty' in t.creationOptions) && t.exitStatus === undefined && t.name !== 'Codex proxied');
    if (!old.length) return;
    const pick = await vscode.window.showInformationMessage(
      `${old.length} open terminal${old.length > 1 ? 's were' : ' was'} started without the Codex policy proxy. Relaunch ${old.length > 1 ? 'them' : 'it'}?`,
      'Relaunch', 'Not now',
    );
    if (pick !== 'Relaunch') return;
    // Decision: "relaunch" = a new terminal with the same creation options, then dispose the old one.
    for (const t of old) {
      vscode.window.createTerminal(t.creationOptions as vscode.TerminalOptions);
      t.dispose();
    }
  }

  /** Forget the cached env (proxy restarted, CA regenerated). */
  invalidate(): void {
    this.cache = undefined;
  }

  dispose(): void {
    this.collection.clear();
    for (const d of this.disposables) d.dispose();
  }
}
