// A real language-server session for tests: spawns `node dist/server.js --stdio`, speaks
// JSON-RPC over its pipes, and waits for published diagnostics.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';

const SERVER = join(__dirname, '..', '..', 'dist', 'server.js');
// Functional suites check what a feature answers, not how fast: on a loaded CI machine a cold
// request may outlast the relay's 500 ms budget and get the empty fallback. The relay itself is
// tested in relay.test.ts; the stress suites pass `CODEX_NETPOLICY_LSP_ANSWER_MS: undefined` to
// run with the real default.
const FUNCTIONAL_BUDGET_MS = '30000';
// The servers of one test process share a code cache of their own (made on first use, removed at
// exit): test runs in parallel worktrees never prune each other's, nor leave one in the user's tmpdir.
let cacheDir: string | undefined;
function testCacheDir(): string {
  if (!cacheDir) {
    const dir = (cacheDir = mkdtempSync(join(tmpdir(), 'cnp-lsp-cache-')));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return cacheDir;
}

export interface StartOptions {
  initializationOptions?: unknown;
  env?: Record<string, string | undefined>;
  workspaceFolder?: string;
  /** Another build of the server (benchmarks compare builds in one run). */
  server?: string;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export class LspSession {
  readonly logs: string[] = [];
  private readonly latest = new Map<string, PublishDiagnosticsParams>();
  private waiters: { uri: string; version?: number; resolve: (d: Diagnostic[]) => void }[] = [];
  private versions = new Map<string, number>();
  exited = false;
  private profiled = false;

  private constructor(readonly proc: ChildProcess, readonly conn: ProtocolConnection) {
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.latest.set(p.uri, p);
      const ready = this.waiters.filter((w) => w.uri === p.uri);
      this.waiters = this.waiters.filter((w) => w.uri !== p.uri);
      ready.forEach((w) => w.resolve(p.diagnostics));
    });
    conn.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    conn.onRequest('workspace/configuration', () => [null]);
    conn.onRequest('client/registerCapability', () => null);
    proc.on('exit', () => (this.exited = true));
  }

  static async start(opts: StartOptions = {}): Promise<LspSession> {
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.server ?? SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CODEX_NETPOLICY_LSP_ANSWER_MS: FUNCTIONAL_BUDGET_MS, CODEX_NETPOLICY_LSP_CACHE_DIR: testCacheDir(), ...(opts.env ?? {}) } });
    proc.stderr!.on('data', () => undefined);
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const s = new LspSession(proc, conn);
    s.profiled = !!opts.nodeArgs?.length;
    conn.listen();
    s.initializeResult = (await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: opts.workspaceFolder ? `file://${opts.workspaceFolder}` : null,
      capabilities: { workspace: { configuration: false } },
      initializationOptions: opts.initializationOptions ?? {},
      workspaceFolders: opts.workspaceFolder ? [{ uri: `file://${opts.workspaceFolder}`, name: 'ws' }] : null,
    })) as InitializeResult;
    await conn.sendNotification('initialized', {});
    return s;
  }

  initializeResult!: InitializeResult;

  /** Resolves with the next diagnostics published for `uri`. */
  nextDiagnostics(uri: string, timeoutMs = 5000): Promise<Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ uri, resolve: (d) => { clearTimeout(t); resolve(d); } });
    });
  }

  last(uri: string): Diagnostic[] | undefined {
    return this.latest.get(uri)?.diagnostics;
  }

  async open(uri: string, text: string): Promise<Diagnostic[]> {
    const next = this.nextDiagnostics(uri);
    this.versions.set(uri, 1);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'toml', version: 1, text } });
    return next;
  }

  /** Full-text replacement as an incremental edit over the whole document. */
  async change(uri: string, text: string, wait = true): Promise<Diagnostic[] | undefined> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const next = wait ? this.nextDiagnostics(uri) : undefined;
    await this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    return next;
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 1000))]);
      await this.conn.sendNotification('exit');
    } catch {
      // already gone
    }
    // A profiled server needs a moment after `exit` to write its profile.
    if (this.profiled && !this.exited) await new Promise((r) => { this.proc.once('exit', r); setTimeout(r, 10_000); });
    this.conn.dispose();
    if (!this.exited) this.proc.kill();
  }
}

/** `[line(0-based), code, severity]` of each diagnostic, sorted, for exact assertions. */
export function summary(ds: readonly Diagnostic[]): [number, string, number][] {
  return ds.map((d): [number, string, number] => [d.range.start.line, String(d.code), d.severity ?? 0]).sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
}
