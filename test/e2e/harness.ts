// End-to-end harness: runs a real VS Code (code-server, VS Code 1.139) with extensions linked
// into its extensions folder, and drives its workbench in Debian's chromium with playwright-core.
// All tooling lives in a cache folder prepared by scripts/e2e/setup.sh (nothing here is a
// project dependency); when that folder is missing, loadE2eTooling() returns null and e2e
// tests skip. Traffic stays on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ------------------------------------------------------------------------------------------
// Tooling (written by scripts/e2e/setup.sh)

export interface E2eTooling {
  cacheDir: string;
  /** Node 24 binary that runs code-server. */
  node24: string;
  /** code-server's out/node/entry.js */
  codeServerEntry: string;
  codeServerVersion: string;
  /** Folder of the playwright-core package (loaded by absolute path). */
  playwrightCoreDir: string;
  playwrightCoreVersion: string;
  /** Debian's chromium binary. */
  chromium: string;
  chromiumVersion: string;
}

export const PROJECT_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS_DIR: string = join(PROJECT_ROOT, 'test-artifacts');

function e2eCacheDir(): string {
  return process.env.CODEX_NETPOLICY_E2E_CACHE || join(homedir(), '.cache', 'codex-netpolicy-e2e');
}

/** Reads <cache>/ready.json; null when setup has not run (or its files have gone). */
export function loadE2eTooling(): E2eTooling | null {
  const file = join(e2eCacheDir(), 'ready.json');
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const str = (k: string): string => (typeof r[k] === 'string' ? (r[k] as string) : '');
  const t: E2eTooling = {
    cacheDir: str('cacheDir'),
    node24: str('node24'),
    codeServerEntry: str('codeServerEntry'),
    codeServerVersion: str('codeServerVersion'),
    playwrightCoreDir: str('playwrightCoreDir'),
    playwrightCoreVersion: str('playwrightCoreVersion'),
    chromium: str('chromium'),
    chromiumVersion: str('chromiumVersion'),
  };
  for (const p of [t.node24, t.codeServerEntry, join(t.playwrightCoreDir, 'package.json'), t.chromium]) {
    if (!p || !existsSync(p)) return null;
  }
  return t;
}

/** Why e2e tests would skip, or null when they can run. For `test(name, { skip: ... })`. */
export function e2eSkipReason(): string | null {
  if (process.env.CODEX_NETPOLICY_E2E === '0') return 'e2e tests disabled by CODEX_NETPOLICY_E2E=0';
  if (process.platform !== 'linux') return 'e2e tooling is Linux-only (code-server + Debian chromium)';
  if (!loadE2eTooling()) {
    return `e2e tooling not installed (no ${join(e2eCacheDir(), 'ready.json')}): run bash scripts/e2e/setup.sh`;
  }
  return null;
}

function requireTooling(): E2eTooling {
  const t = loadE2eTooling();
  if (!t) throw new Error(`e2e tooling missing: run bash scripts/e2e/setup.sh (cache ${e2eCacheDir()})`);
  return t;
}

// ------------------------------------------------------------------------------------------
// code-server

/** User settings applied to every e2e instance (opts.settings override them). */
const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.settings.enableNaturalLanguageSearch': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.autofetch': false,
  'github.gitAuthentication': false,
  'npm.fetchOnlinePackageInfo': false,
  'json.schemaDownload.enable': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  'editor.minimap.enabled': false,
  // The DOM renderer keeps terminal rows as text in the page (.xterm-rows), so tests can read them.
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.enablePersistentSessions': false,
  'terminal.integrated.showExitAlert': false,
};

export interface StartCodeServerOptions {
  /** Extension folder(s) (with package.json) to load; linked as <publisher>.<name>-<version>. */
  extensionDir: string | readonly string[];
  /** Folder opened as the workspace. */
  workspace: string;
  /** Extra user settings, merged over DEFAULT_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server (inherited by the extension host and terminals). */
  env?: Record<string, string>;
  /** Keep the temporary folder (user data, logs) after stop(); also CODEX_NETPOLICY_E2E_KEEP=1. */
  keepTemp?: boolean;
  /** Time allowed for the HTTP server to answer (default 30 s). */
  startTimeoutMs?: number;
}

export interface CodeServer {
  /** http://127.0.0.1:<port>/ */
  url: string;
  port: number;
  pid: number;
  /** Temporary root holding userDataDir, extensionsDir and the config file. */
  tempDir: string;
  userDataDir: string;
  extensionsDir: string;
  /** code-server's stdout + stderr so far. */
  logs(): string;
  /** Text of the extension host log(s) (`<userDataDir>/logs/.../remoteexthost.log`). */
  extensionHostLog(): string;
  /** Resolves once the extension host log shows the extension's activation being started (default wait 120 s: a loaded machine is slow). */
  waitForActivation(extensionId: string, timeoutMs?: number): Promise<void>;
  /** Kills code-server's process group (and terminal shells), then removes tempDir unless kept. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? res(port) : rej(new Error('no free port'))));
    });
  });
}

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((res) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(0));
    req.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a truthy value or the timeout elapses. */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

function readManifest(dir: string): { publisher: string; name: string; version: string } {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const { publisher, name, version } = pkg;
  if (typeof publisher !== 'string' || typeof name !== 'string' || typeof version !== 'string') {
    throw new Error(`${dir}/package.json lacks publisher, name or version`);
  }
  return { publisher, name, version };
}

/** Links an extension folder into an extensions folder the way code-server finds it. */
function linkExtension(extensionsDir: string, extensionDir: string): string {
  const { publisher, name, version } = readManifest(extensionDir);
  const link = join(extensionsDir, `${publisher}.${name}-${version}`);
  symlinkSync(resolve(extensionDir), link, 'dir');
  return link;
}

function descendants(rootPid: number): number[] {
  // Terminal shells run in their own sessions (node-pty calls setsid), outside our process
  // group; find them through /proc parent links so stop() leaves nothing behind.
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      /* process gone */
    }
  }
  const out: number[] = [];
  const todo = [rootPid];
  while (todo.length) {
    const p = todo.pop() as number;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

function listExtHostLogs(userDataDir: string): string[] {
  const root = join(userDataDir, 'logs');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const session of readdirSync(root).sort()) {
    const sdir = join(root, session);
    let subs: string[];
    try {
      subs = readdirSync(sdir);
    } catch {
      continue;
    }
    for (const sub of subs.sort()) {
      const f = join(sdir, sub, 'remoteexthost.log');
      if (sub.startsWith('exthost') && existsSync(f)) out.push(f);
    }
  }
  return out;
}

export async function startCodeServer(opts: StartCodeServerOptions): Promise<CodeServer> {
  const tooling = requireTooling();
  const tempDir = mkdtempSync(join(tmpdir(), 'cnp-e2e-'));
  const userDataDir = join(tempDir, 'user-data');
  const extensionsDir = join(tempDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const dirs = typeof opts.extensionDir === 'string' ? [opts.extensionDir] : opts.extensionDir;
  for (const d of dirs) linkExtension(extensionsDir, d);
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) }, null, 2),
  );
  const configFile = join(tempDir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');

  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Variables of an enclosing VS Code (when tests run in its terminal) would redirect the CLI.
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'TERM_PROGRAM') delete env[k];
  }
  env.XDG_DATA_HOME = join(tempDir, 'xdg-data');
  env.XDG_CONFIG_HOME = join(tempDir, 'xdg-config');
  env.XDG_CACHE_HOME = join(tempDir, 'xdg-cache');
  // No extension gallery (code-server defaults to open-vsx.org): nothing to query offline.
  env.EXTENSIONS_GALLERY = '{}';
  Object.assign(env, opts.env ?? {});

  const args = [
    tooling.codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--config', configFile,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    resolve(opts.workspace),
  ];
  const child: ChildProcess = spawn(tooling.node24, args, {
    cwd: tempDir,
    env,
    detached: true, // own process group: stop() kills code-server, its extension host and pty host
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server failed to spawn');
  let out = '';
  const append = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited: string | null = null;
  const exitPromise = new Promise<void>((r) =>
    child.on('exit', (code, signal) => {
      exited = `exit code ${code} signal ${signal}`;
      r();
    }),
  );

  const keep = opts.keepTemp || process.env.CODEX_NETPOLICY_E2E_KEEP === '1';
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const victims = descendants(pid);
    const signalAll = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-pid, sig);
      } catch {
        /* group gone */
      }
      for (const p of victims) {
        try {
          process.kill(p, sig);
        } catch {
          /* gone */
        }
      }
    };
    if (exited === null) {
      signalAll('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exitPromise, new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
    }
    await sleep(200);
    signalAll('SIGKILL');
    if (!keep) rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitUntil(
      async () => {
        if (exited !== null) throw new Error(`code-server exited early (${exited}):\n${out}`);
        return (await httpStatus(`${url}healthz`, 2000)) === 200;
      },
      `code-server to answer on ${url}`,
      opts.startTimeoutMs ?? 30_000,
      100,
    );
  } catch (e) {
    await stop();
    throw e;
  }

  const extensionHostLog = (): string =>
    listExtHostLogs(userDataDir)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
  return {
    url,
    port,
    pid,
    tempDir,
    userDataDir,
    extensionsDir,
    logs: () => out,
    extensionHostLog,
    waitForActivation: async (extensionId, timeoutMs = 120_000) => {
      await waitUntil(
        () => extensionHostLog().includes(`_doActivateExtension ${extensionId},`),
        `activation of ${extensionId}`,
        timeoutMs,
        250,
      );
    },
    stop,
  };
}

// ------------------------------------------------------------------------------------------
// playwright-core (loaded from the cache by absolute path; only the members used are typed)

type WaitState = 'attached' | 'detached' | 'visible' | 'hidden';

interface Locator {
  first(): Locator;
  last(): Locator;
  nth(index: number): Locator;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  filter(options: { hasText?: string | RegExp; hasNotText?: string | RegExp }): Locator;
  hover(options?: { timeout?: number }): Promise<void>;
  waitFor(options?: { state?: WaitState; timeout?: number }): Promise<void>;
  isVisible(): Promise<boolean>;
  count(): Promise<number>;
  click(options?: { timeout?: number; button?: 'left' | 'right' | 'middle' }): Promise<void>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
  press(key: string, options?: { timeout?: number }): Promise<void>;
  focus(options?: { timeout?: number }): Promise<void>;
  inputValue(options?: { timeout?: number }): Promise<string>;
  innerText(options?: { timeout?: number }): Promise<string>;
  textContent(options?: { timeout?: number }): Promise<string | null>;
  innerHTML(options?: { timeout?: number }): Promise<string>;
  selectOption(values: string | string[], options?: { timeout?: number }): Promise<string[]>;
  allInnerTexts(): Promise<string[]>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
}

interface FrameLocator {
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  frameLocator(selector: string): FrameLocator;
}

interface Keyboard {
  press(key: string, options?: { delay?: number }): Promise<void>;
  type(text: string, options?: { delay?: number }): Promise<void>;
  insertText(text: string): Promise<void>;
}

interface ConsoleMessage {
  type(): string;
  text(): string;
}

interface Request {
  url(): string;
}

export interface Page {
  goto(url: string, options?: { timeout?: number; waitUntil?: 'load' | 'domcontentloaded' | 'commit' }): Promise<unknown>;
  reload(options?: { timeout?: number }): Promise<unknown>;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  frameLocator(selector: string): FrameLocator;
  keyboard: Keyboard;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<Buffer>;
  waitForTimeout(ms: number): Promise<void>;
  /** Pass a string expression: tsx may inject helpers into compiled functions that the page lacks. */
  evaluate(expression: string): Promise<unknown>;
  on(event: 'console', listener: (msg: ConsoleMessage) => void): unknown;
  on(event: 'pageerror', listener: (err: Error) => void): unknown;
  on(event: 'request' | 'requestfailed', listener: (req: Request) => void): unknown;
  url(): string;
  close(): Promise<void>;
}

interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

interface Browser {
  version(): string;
  newContext(options?: { viewport?: { width: number; height: number }; locale?: string }): Promise<BrowserContext>;
  close(): Promise<void>;
}

interface ChromiumType {
  launch(options: {
    executablePath: string;
    args?: string[];
    headless?: boolean;
    timeout?: number;
    env?: Record<string, string | undefined>;
  }): Promise<Browser>;
}

const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-features=Translate,OptimizationHints,MediaRouter',
  // Name resolution only for loopback: nothing the workbench tries can leave the machine.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

let chromiumType: ChromiumType | null = null;
function loadChromium(tooling: E2eTooling): ChromiumType {
  if (!chromiumType) {
    const req = createRequire(join(tooling.playwrightCoreDir, 'package.json'));
    const mod = req(tooling.playwrightCoreDir) as { chromium: ChromiumType };
    chromiumType = mod.chromium;
  }
  return chromiumType;
}

export interface Workbench {
  browser: Browser;
  page: Page;
  /** Browser console errors and page errors seen so far. */
  consoleErrors(): string[];
  /** Requests the page made to anything but 127.0.0.1 / localhost (should stay empty). */
  externalRequests(): string[];
  /** Milliseconds from navigation to workbench ready. */
  readyMs: number;
  close(): Promise<void>;
}

export interface OpenWorkbenchOptions {
  viewport?: { width: number; height: number };
  /** Default 90 s: workbench shell plus extension host start. */
  timeoutMs?: number;
}

/**
 * Opens the workbench in a fresh chromium profile and waits until it is usable: the
 * .monaco-workbench shell and status bar are visible, and (when given the CodeServer handle)
 * the extension host log says "Eager extensions activated".
 */
export async function openWorkbench(target: string | CodeServer, opts: OpenWorkbenchOptions = {}): Promise<Workbench> {
  const tooling = requireTooling();
  const chromium = loadChromium(tooling);
  const timeout = opts.timeoutMs ?? 90_000;
  const url = typeof target === 'string' ? target : target.url;
  const server = typeof target === 'string' ? null : target;
  const eagerBefore = server ? countOccurrences(server.extensionHostLog(), 'Eager extensions activated') : 0;

  // playwright makes a fresh temporary --user-data-dir for every launch() and removes it on close.
  // Chromium's crashpad writes "<config>/chromium/Crash Reports" whatever the profile: keep it
  // in a temporary XDG folder instead of the user's home.
  const xdg = mkdtempSync(join(tmpdir(), 'cnp-e2e-chromium-'));
  const removeXdg = (): void => rmSync(xdg, { recursive: true, force: true, maxRetries: 3 });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: tooling.chromium,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: 60_000,
      env: { ...process.env, XDG_CONFIG_HOME: join(xdg, 'config'), XDG_CACHE_HOME: join(xdg, 'cache') },
    });
  } catch (e) {
    removeXdg();
    throw e;
  }
  const errors: string[] = [];
  const external: string[] = [];
  try {
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      const u = r.url();
      if (/^(https?|wss?):/.test(u) && !/^(https?|wss?):\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u)) external.push(u);
    });
    const t0 = Date.now();
    await page.goto(url, { timeout, waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout });
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout });
    if (server) {
      await waitUntil(
        () => countOccurrences(server.extensionHostLog(), 'Eager extensions activated') > eagerBefore,
        'the extension host ("Eager extensions activated")',
        Math.max(1000, timeout - (Date.now() - t0)),
        250,
      );
    }
    const readyMs = Date.now() - t0;
    return {
      browser,
      page,
      consoleErrors: () => [...errors],
      externalRequests: () => [...external],
      readyMs,
      close: async () => {
        await browser.close().catch(() => undefined);
        removeXdg();
      },
    };
  } catch (e) {
    await browser.close().catch(() => undefined);
    removeXdg();
    throw e;
  }
}

function countOccurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

// ------------------------------------------------------------------------------------------
// UI helpers

const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;
const QUICK_INPUT_ROW = `${QUICK_INPUT} .quick-input-list .monaco-list-row`;

async function openQuickInput(page: Page, key: string, timeout: number): Promise<Locator> {
  const input = page.locator(QUICK_INPUT_BOX);
  // A key press can be lost while the workbench is still wiring keybindings: retry.
  await waitUntil(
    async () => {
      await page.keyboard.press(key);
      await input.waitFor({ state: 'visible', timeout: 2000 });
      return true;
    },
    `quick input (${key})`,
    timeout,
    300,
  );
  return input;
}

async function closeQuickInput(page: Page): Promise<void> {
  if (await page.locator(QUICK_INPUT_BOX).isVisible()) {
    await page.keyboard.press('Escape');
    await page.locator(QUICK_INPUT_BOX).waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  }
}

async function quickInputRowLabels(page: Page): Promise<string[]> {
  const texts = await page.locator(QUICK_INPUT_ROW).allInnerTexts();
  return texts.map((t) => t.split('\n')[0].trim());
}

/** Waits until the quick input list is non-empty and unchanged for two reads in a row. */
async function stableRows(page: Page, what: string, timeout: number): Promise<string[]> {
  let prev = '';
  return waitUntil(
    async () => {
      const labels = await quickInputRowLabels(page);
      const key = labels.join('\u0000');
      const stable = labels.length > 0 && key === prev;
      prev = key;
      return stable ? labels : null;
    },
    what,
    timeout,
    150,
  );
}

/**
 * Runs a command through the command palette (F1), by its title as shown there
 * (e.g. "Terminal: Create New Terminal"). Picks the row whose label is exactly the title
 * when there is one, else the first row if it contains the title.
 */
export async function runCommand(page: Page, title: string, timeout = 15_000): Promise<void> {
  const input = await openQuickInput(page, 'F1', timeout);
  await input.fill(`>${title}`);
  const labels = await stableRows(page, `command palette entry "${title}"`, timeout);
  let index = labels.findIndex((l) => l === title);
  if (index === -1 && labels[0].toLowerCase().includes(title.toLowerCase())) index = 0;
  if (index === -1) {
    await closeQuickInput(page);
    throw new Error(`no command palette entry "${title}"; shown: ${JSON.stringify(labels.slice(0, 5))}`);
  }
  await page.locator(QUICK_INPUT_ROW).nth(index).click();
  await input.waitFor({ state: 'hidden', timeout }).catch(() => undefined);
}

/**
 * Opens a workspace file with Quick Open (Ctrl+P). `relPath` is relative to the workspace
 * folder (an absolute path works too). Waits for its editor tab to become active.
 */
export async function openFile(page: Page, relPath: string, timeout = 20_000): Promise<void> {
  const input = await openQuickInput(page, 'Control+P', timeout);
  await input.fill(relPath);
  const name = basename(relPath);
  const row = page.locator(QUICK_INPUT_ROW).filter({ hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout });
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout }).catch(() => undefined);
  await page
    .locator(`.tabs-container .tab.active`)
    .filter({ hasText: name })
    .first()
    .waitFor({ state: 'visible', timeout });
}

/** Waits for a notification toast containing `text`; returns its text. */
export async function waitForNotification(page: Page, text: string | RegExp, timeout = 15_000): Promise<string> {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout });
  return toast.innerText();
}

/** Opens the Problems view and waits until its tree shows `text`; returns the view's text. */
export async function waitForProblem(page: Page, text: string | RegExp, timeout = 30_000): Promise<string> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)', timeout).catch(() => runCommand(page, 'View: Toggle Problems (Errors, Warnings, Infos)', timeout));
  await panel.waitFor({ state: 'visible', timeout });
  const row = panel.locator('.monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout });
  return panel.innerText();
}


/** Text of an extension's output channel (its `<name>.log` files under the user data folder). */
export function outputChannelLog(server: CodeServer, name: string): string {
  let text = '';
  const walk = (d: string): void => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isDirectory()) walk(p);
      else if (n.name.endsWith(`${name}.log`)) text += readFileSync(p, 'utf8');
    }
  };
  walk(server.userDataDir);
  return text;
}

/** Screenshots the README shows: test-artifacts/<name>.png → docs/images/<name>.png. */
export function publishScreenshot(file: string): void {
  const dir = join(PROJECT_ROOT, 'docs', 'images');
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, basename(file)));
}

/** Saves a PNG to test-artifacts/<name>.png (project root) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}

// ---- integrated terminal

const ACTIVE_TERMINAL = '.terminal-wrapper.active .xterm';

/** Creates a new integrated terminal and waits until its shell has printed something. */
export async function openTerminal(page: Page, timeout = 30_000): Promise<void> {
  const before = await page.locator('.terminal-wrapper .xterm').count();
  await runCommand(page, 'Terminal: Create New Terminal', timeout);
  await waitUntil(async () => (await page.locator('.terminal-wrapper .xterm').count()) > before, 'a new terminal', timeout);
  await page.locator(ACTIVE_TERMINAL).waitFor({ state: 'visible', timeout });
  await waitUntil(async () => (await terminalText(page)).trim().length > 0, 'the shell prompt', timeout);
}

/**
 * Text of the active terminal's visible rows. Needs the DOM renderer
 * (`terminal.integrated.gpuAcceleration: "off"`, in DEFAULT_SETTINGS): with WebGL/canvas the
 * rows are pixels. Only the viewport is in the DOM; scrolled-off lines are not.
 */
async function terminalText(page: Page): Promise<string> {
  const rows = page.locator(`${ACTIVE_TERMINAL} .xterm-rows`).first();
  if ((await rows.count()) === 0) return '';
  // xterm renders spaces as U+00A0 in the DOM renderer.
  return (await rows.innerText()).replace(/\u00a0/g, ' ');
}

/** Types a line into the active terminal (focusing it first) and presses Enter. */
export async function terminalRun(page: Page, line: string): Promise<void> {
  await page.locator(ACTIVE_TERMINAL).click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/** Waits until the active terminal shows text matching `pattern`; returns the whole text. */
export async function waitForTerminalText(page: Page, pattern: string | RegExp, timeout = 20_000): Promise<string> {
  let last = '';
  try {
    return await waitUntil(
      async () => {
        last = await terminalText(page);
        return (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) ? last : '';
      },
      `terminal text ${String(pattern)}`,
      timeout,
      200,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- terminal shows ---\n${last}`, { cause: e });
  }
}

// ---- diagnostics

/** Resident memory (MiB) of a process and all its descendants, from /proc (Linux). */
export function processTreeRssMb(pid: number): number {
  let kb = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      /* gone */
    }
  }
  return Math.round(kb / 1024);
}
