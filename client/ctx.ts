// The extension's one context (like rust-analyzer's `Ctx`): owns every long-lived part (proxy
// supervisor, decision store, status bar, panels, terminals, broker, effective-policy view) and
// the little state they share (policy info, CA fingerprint, learning flag). Commands
// (commandTable.ts) and event handlers are methods on it or functions of it: no loose closures.
import * as vscode from 'vscode';
import { basename, dirname, join } from 'node:path';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CredentialBroker } from './broker';
import type { EffectivePolicyTree, Node as EffectiveNode } from './effectiveTree';
import { DecisionStore } from './logic/decisionStore';
import type { ListeningEvent } from './logic/events';
import { DecisionLogPanels } from './panel/decisionPanel';
import type { FromWebview } from './panel/protocol';
import { ProxySupervisor, type ProxyState } from './proxySupervisor';
import { caDirOf, policyPaths, proxyArgs, readSettings, SECTION } from './settings';
import { profileOf, ProxyStatusBar } from './statusBar';
import { Terminals } from './terminals';
import { untrustedPolicyFile, upstreamProxyEnv, writeSystemCertificates } from './logic/upstreamEnv';
import { mkdirSync } from 'node:fs';

// Loaded on first use: the policy engine (zod) and the CA code (node-forge) are most of the bundle's
// load time, and activation must stay cheap.
export const lazy = {
  actions: () => import('./policyActions'),
  commands: () => import('./commands'),
  ca: () => import('../core/ca'),
  languageClient: () => import('./languageClient'),
  suggest: () => import('./suggestCommand'),
  testCases: () => import('./testCases'),
  effectiveTree: () => import('./effectiveTree'),
};

export const EFFECTIVE_VIEW = 'codexNetworkPolicy.effectivePolicy';

/** Settings the running proxy was started with: changing one restarts it. */
const RESTART_KEYS = ['broker.enabled', 'broker.credentials', 'configPath', 'requirementsPath', 'profile', 'proxy.listen', 'proxy.caDir', 'proxy.auditFile', 'proxy.extraArgs', 'telemetry.otlpEndpoint', 'telemetry.otlpProtocol'];

/** What the extension knows of the policy in force (read in-process after each start or save). */
interface PolicyInfo {
  mode?: string;
  allowLocalBinding: boolean;
  profile: string | null;
  secrets: string[];
}

export class ExtensionCtx {
  readonly log = vscode.window.createOutputChannel('Codex Network Policy', { log: true });
  readonly store = new DecisionStore();
  readonly status = new ProxyStatusBar();
  readonly broker: CredentialBroker;
  readonly supervisor: ProxySupervisor;
  readonly terminals: Terminals;
  readonly panels: DecisionLogPanels;
  readonly version: string;
  info: PolicyInfo = { allowLocalBinding: false, profile: null, secrets: [] };
  caFingerprint: string | undefined;
  /** Learning mode applies to the next start only: any restart (crash, settings, command) enforces again. */
  learnNextStart = false;
  client: LanguageClient | undefined;
  private tree: EffectivePolicyTree | undefined;
  private readonly treeChanged = new vscode.EventEmitter<EffectiveNode | undefined>();
  private lastError = '';
  private watchers: vscode.Disposable[] = [];
  /** Every proxy URL this extension's proxies listened on: never an upstream (self-loop). */
  private readonly ownProxyUrls: string[] = [];

  constructor(readonly context: vscode.ExtensionContext) {
    this.version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
    this.broker = new CredentialBroker(context.secrets, this.log);
    this.supervisor = new ProxySupervisor({
      nodePath: process.execPath,
      cliPath: context.asAbsolutePath(join('dist', 'cli.js')),
      args: () => {
        const a = proxyArgs();
        // VS Code's system certificates (a corporate TLS-inspection CA) are trusted upstream too.
        if (vscode.workspace.getConfiguration('http').get<boolean>('systemCertificates') !== false) {
          mkdirSync(context.globalStorageUri.fsPath, { recursive: true });
          const certs = writeSystemCertificates(context.globalStorageUri.fsPath);
          if (certs) a.push('--upstream-ca', certs);
        }
        if (this.learnNextStart) a.push('--learn');
        this.learnNextStart = false;
        return a;
      },
      env: () => ({ ...process.env, ...this.broker.childEnv() }),
      upstreamEnv: () => {
        const http = vscode.workspace.getConfiguration('http');
        const r = upstreamProxyEnv(process.env, { httpProxy: http.get<string>('proxy') ?? '', noProxy: http.get<string[]>('noProxy') ?? [] }, this.ownProxyUrls);
        for (const n of r.notes) this.log.warn(n);
        return r.env;
      },
      log: this.log,
      onDecision: (e) => {
        this.store.add(e);
        this.paintStatus();
      },
      onOutcome: (o) => this.store.applyOutcome(o),
    });
    this.terminals = new Terminals({
      listening: () => this.listening(), allowLocalBinding: () => this.info.allowLocalBinding, profile: () => this.info.profile,
      ensureRunning: () => this.startProxy(), extraEnv: () => this.broker.terminalEnv(), bundleDir: join(context.globalStorageUri.fsPath, 'terminal-env'), log: this.log,
    }, context.environmentVariableCollection);
    this.panels = new DecisionLogPanels(context.extensionUri, this.store, { statusText: () => this.statusLine(), handle: async (m) => void (await this.onPanelMessage(m)) });
    this.subscribe(this.log, this.status, this.panels, this.terminals, this.treeChanged, { dispose: () => this.tree?.dispose() }, { dispose: () => void this.supervisor.stop() });
    this.subscribe(this.supervisor.onDidChangeState((s) => {
      if (s.kind === 'running' && !this.ownProxyUrls.includes(s.listening.proxyUrl)) this.ownProxyUrls.push(s.listening.proxyUrl);
      void this.onState(s);
    }));
    this.subscribe(vscode.window.createTreeView(EFFECTIVE_VIEW, {
      treeDataProvider: {
        onDidChangeTreeData: this.treeChanged.event,
        getChildren: async (n?: EffectiveNode) => (await this.effectiveTree()).getChildren(n),
        getTreeItem: (n: EffectiveNode) => this.tree!.getTreeItem(n),
      },
    }));
  }

  subscribe(...d: vscode.Disposable[]): void {
    this.context.subscriptions.push(...d);
  }

  /** The running proxy's announcement, or undefined. */
  listening(): ListeningEvent | undefined {
    const s = this.supervisor.state;
    return s.kind === 'running' ? s.listening : undefined;
  }

  /** The effective-policy view's model; its module (the policy engine) loads when first asked. */
  async effectiveTree(): Promise<EffectivePolicyTree> {
    return (this.tree ??= new (await lazy.effectiveTree()).EffectivePolicyTree(this.treeChanged));
  }

  refreshTree(): void {
    this.tree?.refresh();
  }

  /** Starts the proxy (with the broker's current credentials); false when it could not start. */
  async startProxy(): Promise<boolean> {
    const paths = policyPaths();
    if (!paths.config) {
      void vscode.window.showErrorMessage('Codex policy proxy: no config.toml found. Create .codex/config.toml or set codexNetworkPolicy.configPath.');
      return false;
    }
    const untrusted = vscode.workspace.isTrusted ? null : untrustedPolicyFile([paths.config, paths.requirements], (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
    if (untrusted) {
      this.log.warn(`Not starting the proxy: ${untrusted} belongs to an untrusted workspace.`);
      void vscode.window.showErrorMessage(`Codex policy proxy: ${basename(untrusted)} comes from this untrusted workspace; a policy from an untrusted folder could inject secrets. Trust the workspace to start the proxy.`, 'Manage Workspace Trust').then((p) => p && vscode.commands.executeCommand('workbench.trust.manage'));
      return false;
    }
    await this.broker.refresh();
    const s = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Starting Codex policy proxy' }, () => this.supervisor.start());
    return s.kind === 'running';
  }

  async restartProxy(): Promise<void> {
    await this.broker.refresh();
    await this.supervisor.restartNow();
  }

  async refreshInfo(): Promise<void> {
    try {
      const r = (await lazy.actions()).loadCurrentPolicy();
      this.info = {
        ...(r.effective?.mode ? { mode: r.effective.mode } : {}),
        allowLocalBinding: r.effective?.allowLocalBinding === true,
        profile: r.effective?.profile ?? null,
        secrets: r.policy?.secrets ?? [],
      };
    } catch (e) {
      this.log.warn(`Could not read the policy in-process: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  paintStatus(): void {
    this.status.update({ state: this.supervisor.state, allowed: this.store.allowed, blocked: this.store.blocked, ...(this.caFingerprint ? { caFingerprint: this.caFingerprint } : {}), ...(this.info.mode ? { mode: this.info.mode } : {}) });
  }

  statusLine(): string {
    const s = this.supervisor.state;
    if (s.kind === 'running') return `Proxy on ${s.listening.http} · profile ${profileOf(s) ?? this.info.profile ?? 'none'}${(s.listening.mode ?? this.info.mode) ? ` · ${s.listening.mode ?? this.info.mode} mode` : ''}`;
    if (s.kind === 'error') return `Proxy: ${s.message}`;
    return s.kind === 'starting' ? 'Proxy starting…' : 'Proxy stopped — run "Codex Network Policy: Start Proxy".';
  }

  /** `127.0.0.1:PORT, profile work (full mode)`: where the proxy runs, from its own announcement. */
  where(): string {
    const s = this.supervisor.state;
    if (s.kind !== 'running') return '';
    const profile = profileOf(s);
    const mode = s.listening.mode ?? this.info.mode;
    return `${s.listening.http}${profile ? `, profile ${profile}` : ''}${mode ? ` (${mode} mode)` : ''}`;
  }

  confirm(message: string): void {
    this.log.info(message);
    this.subscribe(vscode.window.setStatusBarMessage(`$(shield) ${message}`, 5000));
  }

  /** Every value an export must never contain: injected secrets, brokered reals, the proxy password. */
  exportSecrets(): string[] {
    const l = this.listening();
    const out = [...this.info.secrets, ...this.broker.realValues()];
    if (l) {
      try {
        const u = new URL(l.proxyUrl);
        if (u.password) out.push(decodeURIComponent(u.password));
      } catch {
        // not a URL: nothing to add
      }
    }
    return out;
  }

  clearLog(): void {
    this.store.clear();
    this.paintStatus();
  }

  /** Saves and outside edits of the policy files (the running proxy hot-reloads by itself; this retries after an invalid-policy exit). */
  watchPolicy(): void {
    this.subscribe(
      { dispose: () => this.watchers.forEach((w) => w.dispose()) },
      vscode.workspace.onDidSaveTextDocument((doc) => {
        const p = policyPaths();
        if (doc.uri.scheme === 'file' && (doc.uri.fsPath === p.config || doc.uri.fsPath === p.requirements)) this.onPolicyChanged();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => void this.onSettingsChanged(e)),
    );
    this.watchPolicyFiles();
  }

  private watchPolicyFiles(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    const p = policyPaths();
    for (const f of [p.config, p.requirements]) {
      if (!f) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(f)), basename(f)));
      this.watchers.push(w, w.onDidChange(() => this.onPolicyChanged()), w.onDidCreate(() => this.onPolicyChanged()));
    }
  }

  private onPolicyChanged(): void {
    this.supervisor.policySaved();
    if (this.supervisor.state.kind === 'running') void this.refreshInfo();
    this.refreshTree();
  }

  private async onSettingsChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!e.affectsConfiguration(SECTION)) return;
    const affects = (keys: string[]): boolean => keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
    if (affects(['configPath', 'requirementsPath'])) this.watchPolicyFiles();
    if (this.supervisor.state.kind !== 'stopped' && affects(RESTART_KEYS)) {
      this.log.info('Settings changed; restarting the proxy.');
      await this.restartProxy();
    }
    if (affects(['proxy.allTerminals'])) await this.terminals.syncAllTerminals(readSettings().proxy.allTerminals, true);
  }

  private async onPanelMessage(m: Exclude<FromWebview, { type: 'ready' }>): Promise<unknown> {
    switch (m.type) {
      case 'openRule': return (await lazy.actions()).openRule(m.file, m.line);
      case 'setHost': return (await lazy.actions()).setHost(m.host, m.value, this.info.profile);
      case 'addHook': return (await lazy.actions()).addHook({ host: m.host, method: m.method, path: m.path }, this.info.profile);
      case 'saveTestCase': {
        const e = this.store.all().find((x) => x.id === m.id);
        return e ? (await lazy.testCases()).saveAsTestCase(e) : undefined;
      }
      case 'clear': return this.clearLog();
      case 'export': return (await lazy.commands()).exportCommand(this.store.all(), m.format, this.exportSecrets(), this.version);
    }
  }

  private async onState(s: ProxyState): Promise<void> {
    this.paintStatus();
    this.panels.updateStatus();
    if (s.kind === 'running') {
      this.lastError = '';
      await this.refreshInfo();
      this.terminals.invalidate();
      lazy.ca().then((m) => m.loadOrCreateCa(caDirOf(readSettings()))).then((ca) => {
        this.caFingerprint = ca.fingerprintSha256;
        this.paintStatus();
      }, () => undefined);
      if (readSettings().proxy.allTerminals) await this.terminals.syncAllTerminals(true, true).catch((e: unknown) => this.log.error(`Terminal env: ${String(e)}`));
      this.paintStatus();
      return;
    }
    if (s.kind === 'stopped' || s.kind === 'error') await this.terminals.syncAllTerminals(false, false);
    if (s.kind === 'error' && s.invalidPolicy && this.lastError !== s.details.join('\n')) {
      this.lastError = s.details.join('\n');
      await this.offerPolicyFix(s.details);
    }
  }

  private async offerPolicyFix(details: string[]): Promise<void> {
    const pick = await vscode.window.showErrorMessage(`Codex policy proxy cannot start: the policy is invalid. ${details[0] ?? ''}`, 'Show Problems', 'Open Policy');
    if (pick === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    else if (pick === 'Open Policy') {
      const m = /^(.*?):(\d+):\d+: /.exec(details[0] ?? '');
      const file = m?.[1] && m[1].startsWith('/') ? m[1] : policyPaths().config;
      if (file) await (await lazy.actions()).openRule(file, m ? Number(m[2]) : 1);
    }
  }
}
