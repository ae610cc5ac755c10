// Extension entry: wires the language server, the proxy supervisor, the decision log, the status
// bar and proxied terminals. Activation stays cheap: the proxy starts only on a command or autoStart.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { LanguageClient } from 'vscode-languageclient/node';
import { DecisionStore } from './logic/decisionStore';
import { ProxySupervisor, type ProxyState } from './proxySupervisor';
import { profileOf, ProxyStatusBar } from './statusBar';
import { Terminals } from './terminals';
import { DecisionLogPanels } from './panel/decisionPanel';
import { CredentialBroker } from './broker';
import { caDirOf, policyPaths, proxyArgs, readSettings, SECTION } from './settings';
import { untrustedPolicyFile, upstreamProxyEnv, writeSystemCertificates } from './logic/upstreamEnv';
import { mkdirSync } from 'node:fs';
import type { EffectivePolicyTree, Node as EffectiveNode } from './effectiveTree';
import type { ExplainPrefill } from '../server/features/policyTestLens';

const EFFECTIVE_VIEW = 'codexNetworkPolicy.effectivePolicy';

function isPrefill(v: unknown): v is ExplainPrefill {
  const o = v as Partial<ExplainPrefill> | undefined;
  return !!o && typeof o === 'object' && typeof o.method === 'string' && typeof o.url === 'string' && Array.isArray(o.headers) && Array.isArray(o.resolve);
}

// Loaded on first use: the policy engine (zod) and the CA code (node-forge) are most of the bundle's
// load time, and activation must stay cheap.
const actions = () => import('./policyActions');
const commands = () => import('./commands');
const caModule = () => import('../core/ca');
const languageClient = () => import('./languageClient');
const suggestModule = () => import('./suggestCommand');
const testCases = () => import('./testCases');
const effectiveTree = () => import('./effectiveTree');

let client: LanguageClient | undefined;
let supervisor: ProxySupervisor | undefined;

interface PolicyInfo {
  mode?: string;
  allowLocalBinding: boolean;
  profile: string | null;
  secrets: string[];
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Codex Network Policy', { log: true });
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  const store = new DecisionStore();
  const status = new ProxyStatusBar();
  let info: PolicyInfo = { allowLocalBinding: false, profile: null, secrets: [] };
  let caFingerprint: string | undefined;
  let learnNextStart = false;
  const broker = new CredentialBroker(context.secrets, log);
  /** Every proxy URL this extension's proxies listened on: never an upstream (self-loop). */
  const ownProxyUrls: string[] = [];

  const refreshInfo = async () => {
    try {
      const r = (await actions()).loadCurrentPolicy();
      info = {
        ...(r.effective?.mode ? { mode: r.effective.mode } : {}),
        allowLocalBinding: r.effective?.allowLocalBinding === true,
        profile: r.effective?.profile ?? null,
        secrets: r.policy?.secrets ?? [],
      };
    } catch (e) {
      log.warn(`Could not read the policy in-process: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const sup = new ProxySupervisor({
    nodePath: process.execPath,
    cliPath: context.asAbsolutePath(join('dist', 'cli.js')),
    // Learning mode applies to the next start only: any restart (crash, settings, command) enforces again.
    args: () => {
      const a = proxyArgs();
      // VS Code's system certificates (a corporate TLS-inspection CA) are trusted upstream too.
      if (vscode.workspace.getConfiguration('http').get<boolean>('systemCertificates') !== false) {
        mkdirSync(context.globalStorageUri.fsPath, { recursive: true });
        const certs = writeSystemCertificates(context.globalStorageUri.fsPath);
        if (certs) a.push('--upstream-ca', certs);
      }
      if (learnNextStart) a.push('--learn');
      learnNextStart = false;
      return a;
    },
    env: () => ({ ...process.env, ...broker.childEnv() }),
    upstreamEnv: () => {
      const http = vscode.workspace.getConfiguration('http');
      const r = upstreamProxyEnv(process.env, { httpProxy: http.get<string>('proxy') ?? '', noProxy: http.get<string[]>('noProxy') ?? [] }, ownProxyUrls);
      for (const n of r.notes) log.warn(n);
      return r.env;
    },
    log,
    onDecision: (e) => {
      store.add(e);
      paintStatus();
    },
    onOutcome: (o) => store.applyOutcome(o),
  });
  supervisor = sup;

  const listening = () => (sup.state.kind === 'running' ? sup.state.listening : undefined);
  const terminals = new Terminals(
    { listening, allowLocalBinding: () => info.allowLocalBinding, profile: () => info.profile, ensureRunning: () => startProxy(), extraEnv: () => broker.terminalEnv(), bundleDir: join(context.globalStorageUri.fsPath, 'terminal-env'), log },
    context.environmentVariableCollection,
  );

  const statusLine = (): string => {
    const s = sup.state;
    if (s.kind === 'running') return `Proxy on ${s.listening.http} · profile ${profileOf(s) ?? info.profile ?? 'none'}${(s.listening.mode ?? info.mode) ? ` · ${s.listening.mode ?? info.mode} mode` : ''}`;
    if (s.kind === 'error') return `Proxy: ${s.message}`;
    return s.kind === 'starting' ? 'Proxy starting…' : 'Proxy stopped — run "Codex Network Policy: Start Proxy".';
  };

  const panels = new DecisionLogPanels(context.extensionUri, store, {
    statusText: statusLine,
    handle: async (m) => {
      switch (m.type) {
        case 'openRule': return (await actions()).openRule(m.file, m.line);
        case 'setHost': return (await actions()).setHost(m.host, m.value, info.profile);
        case 'addHook': return (await actions()).addHook({ host: m.host, method: m.method, path: m.path }, info.profile);
        case 'saveTestCase': {
          const e = store.all().find((x) => x.id === m.id);
          return e ? (await testCases()).saveAsTestCase(e) : undefined;
        }
        case 'clear': store.clear(); paintStatus(); return;
        case 'export': return (await commands()).exportCommand(store.all(), m.format, exportSecrets(), version);
      }
    },
  });

  function paintStatus(): void {
    status.update({ state: sup.state, allowed: store.allowed, blocked: store.blocked, ...(caFingerprint ? { caFingerprint } : {}), ...(info.mode ? { mode: info.mode } : {}) });
  }

  function exportSecrets(): string[] {
    const l = listening();
    const out = [...info.secrets, ...broker.realValues()];
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

  let lastError = '';
  const onState = async (s: ProxyState) => {
    paintStatus();
    panels.updateStatus();
    if (s.kind === 'running') {
      lastError = '';
      await refreshInfo();
      terminals.invalidate();
      caModule().then((m) => m.loadOrCreateCa(caDirOf(readSettings()))).then((ca) => { caFingerprint = ca.fingerprintSha256; paintStatus(); }, () => undefined);
      if (readSettings().proxy.allTerminals) await terminals.syncAllTerminals(true, true).catch((e: unknown) => log.error(`Terminal env: ${String(e)}`));
      paintStatus();
      return;
    }
    if (s.kind === 'stopped' || s.kind === 'error') await terminals.syncAllTerminals(false, false);
    if (s.kind === 'error' && s.invalidPolicy && lastError !== s.details.join('\n')) {
      lastError = s.details.join('\n');
      const pick = await vscode.window.showErrorMessage(
        `Codex policy proxy cannot start: the policy is invalid. ${s.details[0] ?? ''}`, 'Show Problems', 'Open Policy',
      );
      if (pick === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
      else if (pick === 'Open Policy') {
        const m = /^(.*?):(\d+):\d+: /.exec(s.details[0] ?? '');
        const file = m?.[1] && m[1].startsWith('/') ? m[1] : policyPaths().config;
        if (file) await (await actions()).openRule(file, m ? Number(m[2]) : 1);
      }
    }
  };
  context.subscriptions.push(sup.onDidChangeState((s) => {
    if (s.kind === 'running' && !ownProxyUrls.includes(s.listening.proxyUrl)) ownProxyUrls.push(s.listening.proxyUrl);
    void onState(s);
  }));

  async function startProxy(): Promise<boolean> {
    const paths = policyPaths();
    if (!paths.config) {
      void vscode.window.showErrorMessage('Codex policy proxy: no config.toml found. Create .codex/config.toml or set codexNetworkPolicy.configPath.');
      return false;
    }
    const untrusted = vscode.workspace.isTrusted ? null : untrustedPolicyFile([paths.config, paths.requirements], (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
    if (untrusted) {
      log.warn(`Not starting the proxy: ${untrusted} belongs to an untrusted workspace.`);
      void vscode.window.showErrorMessage(`Codex policy proxy: ${basename(untrusted)} comes from this untrusted workspace; a policy from an untrusted folder could inject secrets. Trust the workspace to start the proxy.`, 'Manage Workspace Trust').then((p) => p && vscode.commands.executeCommand('workbench.trust.manage'));
      return false;
    }
    await broker.refresh();
    const s = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Starting Codex policy proxy' }, () => sup.start());
    return s.kind === 'running';
  }
  const cmd = (name: string, f: (...a: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(`codexNetworkPolicy.${name}`, f));
  /** `127.0.0.1:PORT, profile work (full mode)`: where the proxy runs, from its own announcement. */
  const where = (): string => {
    const s = sup.state;
    if (s.kind !== 'running') return '';
    const profile = profileOf(s);
    const mode = s.listening.mode ?? info.mode;
    return `${s.listening.http}${profile ? `, profile ${profile}` : ''}${mode ? ` (${mode} mode)` : ''}`;
  };
  const confirm = (message: string): void => {
    log.info(message);
    context.subscriptions.push(vscode.window.setStatusBarMessage(`$(shield) ${message}`, 5000));
  };
  cmd('startProxy', async () => {
    if (sup.state.kind === 'running') {
      void vscode.window.showInformationMessage(`The Codex policy proxy is already running on ${where()}.`, 'Show Decision Log').then((p) => p && panels.showPanel());
      return true;
    }
    const ok = await startProxy();
    if (ok) confirm(`Codex policy proxy started on ${where()}`);
    return ok;
  });
  cmd('stopProxy', async () => {
    const was = sup.state.kind;
    await sup.stop();
    confirm(was === 'stopped' ? 'Codex policy proxy was not running' : 'Codex policy proxy stopped');
  });
  cmd('restartProxy', async () => {
    await broker.refresh();
    await sup.restartNow();
    confirm(sup.state.kind === 'running' ? `Codex policy proxy restarted on ${where()}` : `Codex policy proxy restart: ${sup.state.kind}`);
  });
  cmd('storeBrokeredCredential', () => broker.storeCommand());
  cmd('openProxiedTerminal', async () => {
    if (sup.state.kind !== 'running' && !(await startProxy())) return undefined;
    return terminals.openProxiedTerminal();
  });
  cmd('toggleAllTerminals', async () => {
    const next = !readSettings().proxy.allTerminals;
    await vscode.workspace.getConfiguration(SECTION).update('proxy.allTerminals', next, vscode.ConfigurationTarget.Global);
    if (next && sup.state.kind !== 'running') await startProxy();
    void vscode.window.showInformationMessage(next ? 'New terminals now use the Codex policy proxy.' : 'New terminals no longer use the Codex policy proxy.');
  });
  cmd('showDecisionLog', () => panels.showPanel());
  cmd('showDecisionLogView', () => panels.showView());
  cmd('clearDecisionLog', () => { store.clear(); paintStatus(); });
  cmd('explainRequest', async (prefill?: unknown) => (await commands()).explainCommand(log, isPrefill(prefill) ? prefill : undefined));
  cmd('runPolicyTests', async (uri?: unknown) => (await testCases()).runPolicyTests(client, typeof uri === 'string' ? uri : undefined));
  // The tree's module (the policy engine) loads when the view first asks for its items.
  const treeChanged = new vscode.EventEmitter<EffectiveNode | undefined>();
  let tree: EffectivePolicyTree | undefined;
  const loadTree = async () => (tree ??= new (await effectiveTree()).EffectivePolicyTree(treeChanged));
  context.subscriptions.push(treeChanged, { dispose: () => tree?.dispose() }, vscode.window.createTreeView(EFFECTIVE_VIEW, {
    treeDataProvider: {
      onDidChangeTreeData: treeChanged.event,
      getChildren: async (n?: EffectiveNode) => (await loadTree()).getChildren(n),
      getTreeItem: (n: EffectiveNode) => tree!.getTreeItem(n),
    },
  }));
  cmd('showEffectivePolicy', async () => {
    await vscode.commands.executeCommand(`${EFFECTIVE_VIEW}.focus`);
    (await loadTree()).refresh();
  });
  cmd('refreshEffectivePolicy', async () => (await loadTree()).refresh());
  cmd('revealCaCertificate', async () => (await commands()).revealCaCommand(caDirOf(readSettings()), listening()?.caCert));
  cmd('regenerateCa', async () => {
    if (!(await (await commands()).regenerateCaCommand(caDirOf(readSettings()), log))) return;
    caFingerprint = undefined;
    terminals.invalidate();
    if (sup.state.kind !== 'stopped') await sup.restartNow();
  });
  cmd('selectProfile', async () => (await actions()).selectProfile());
  cmd('suggestPolicy', async () => (await suggestModule()).suggestPolicyCommand(store.all(), log));
  cmd('startLearning', async () => {
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
    learnNextStart = true;
    await sup.stop();
    return startProxy();
  });
  cmd('exportDecisionLog', async () => (await commands()).exportCommand(store.all(), undefined, exportSecrets(), version));

  context.subscriptions.push(
    log, status, panels, terminals,
    { dispose: () => void sup.stop() },
    vscode.workspace.onDidSaveTextDocument((doc) => {
      const p = policyPaths();
      if (doc.uri.scheme === 'file' && (doc.uri.fsPath === p.config || doc.uri.fsPath === p.requirements)) onPolicyChanged();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      if (['configPath', 'requirementsPath'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) watchPolicyFiles();
      const restartKeys = ['broker.enabled', 'broker.credentials', 'configPath', 'requirementsPath', 'profile', 'proxy.listen', 'proxy.caDir', 'proxy.auditFile', 'proxy.extraArgs', 'telemetry.otlpEndpoint', 'telemetry.otlpProtocol'];
      if (sup.state.kind !== 'stopped' && restartKeys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
        log.info('Settings changed; restarting the proxy.');
        await broker.refresh();
        await sup.restartNow();
      }
      if (e.affectsConfiguration(`${SECTION}.proxy.allTerminals`)) await terminals.syncAllTerminals(readSettings().proxy.allTerminals, true);
    }),
  );

  // Edits made outside VS Code count as saves too (the proxy itself watches the files while it runs;
  // this is for retrying after an invalid-policy exit).
  let watchers: vscode.Disposable[] = [];
  function onPolicyChanged(): void {
    sup.policySaved();
    if (sup.state.kind === 'running') void refreshInfo();
    tree?.refresh();
  }
  function watchPolicyFiles(): void {
    for (const w of watchers) w.dispose();
    watchers = [];
    const p = policyPaths();
    for (const f of [p.config, p.requirements]) {
      if (!f) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(f)), basename(f)));
      watchers.push(w, w.onDidChange(onPolicyChanged), w.onDidCreate(onPolicyChanged));
    }
  }
  watchPolicyFiles();
  context.subscriptions.push({ dispose: () => watchers.forEach((w) => w.dispose()) });

  paintStatus();
  status.paint();
  const settings = readSettings();
  if (settings.proxy.autoStart) void startProxy();
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => {
    if (readSettings().proxy.autoStart && sup.state.kind === 'stopped') void startProxy();
  }));
  const activated = performance.now() - t0;
  log.info(`Activated in ${activated.toFixed(1)} ms (language server starting in the background).`);
  languageClient().then((m) => m.startLanguageClient(context, settings, log)).then(
    (c) => {
      client = c;
      log.info(`Language server ready ${(performance.now() - t0).toFixed(0)} ms after activation began.`);
    },
    (e: unknown) => log.error(`Language server failed to start: ${e instanceof Error ? e.message : String(e)}`),
  );
}

export async function deactivate(): Promise<void> {
  await Promise.all([supervisor?.stop(), client?.stop()]);
}
