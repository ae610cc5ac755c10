// Extension activation time, its own process: loads dist/client.js with a stub `vscode` module
// (every API a no-op returning another stub; configuration reads give their defaults; no open
// folders, documents or terminals) and times require() and activate() until its promise resolves.
// It measures our own start-up work, not VS Code's (the extension host, the language server's
// process start and its `initialize` are not in it). Prints one JSON line.
import Module from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

type Fn = (...args: unknown[]) => unknown;
const handler: ProxyHandler<Fn> = {
  get: (_t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => '' : p === Symbol.iterator ? function* () { /* empty */ } : stub),
  apply: () => stub,
  construct: () => stub as object,
  set: () => true,
  defineProperty: () => true,
};
const stub: Fn = new Proxy(function stubbed() { /* no-op */ }, handler);
const withStub = <T extends object>(o: T): T => new Proxy(o, { get: (t, p) => (p in t ? t[p as keyof T] : stub) });

const api: Record<string, unknown> = {};
for (const k of ['commands', 'languages', 'env', 'extensions', 'Uri', 'EventEmitter', 'Disposable', 'StatusBarAlignment', 'ThemeColor', 'ThemeIcon', 'TreeItem', 'TreeItemCollapsibleState', 'ViewColumn', 'Range', 'Position', 'Diagnostic', 'CodeAction', 'CodeActionKind', 'MarkdownString', 'WorkspaceEdit', 'RelativePattern', 'ProgressLocation', 'ConfigurationTarget', 'TerminalProfile', 'CancellationTokenSource', 'CancellationError', 'FileChangeType', 'TabInputText', 'TabInputTextDiff', 'TabInputCustom', 'TabInputNotebook', 'NotebookCellKind', 'SemanticTokens', 'DocumentSymbol', 'SymbolKind', 'CompletionItemKind', 'DiagnosticTag', 'FoldingRangeKind', 'LogLevel']) api[k] = stub;
api.version = '1.95.0';
api.workspace = withStub({ getConfiguration: () => ({ get: (_k: string, d: unknown) => d, has: () => false, inspect: () => undefined, update: async () => undefined }), workspaceFolders: undefined, textDocuments: [] });
api.window = withStub({ terminals: [], visibleTextEditors: [], activeTextEditor: undefined, tabGroups: withStub({ all: [] }) });
const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = loader._load;
loader._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? api : load.call(this, request, ...rest);
};

const storage = mkdtempSync(join(tmpdir(), 'cnp-activate-'));
const dist = resolve(process.argv[2] ?? 'dist');
const t0 = performance.now();
const ext = (Module.createRequire(__filename))(join(dist, 'client.js')) as { activate(ctx: unknown): unknown };
const t1 = performance.now();
const context = withStub({
  subscriptions: [], extensionPath: resolve(dist, '..'), extensionUri: stub, extensionMode: 1,
  asAbsolutePath: (p: string) => resolve(dist, '..', p),
  globalStorageUri: { fsPath: join(storage, 'global') }, storageUri: { fsPath: join(storage, 'workspace') }, logUri: { fsPath: join(storage, 'log') },
});
Promise.resolve(ext.activate(context)).then(() => {
  process.stdout.write(JSON.stringify({ requireMs: t1 - t0, activateMs: performance.now() - t1 }) + '\n');
  process.exit(0);
}, (e: unknown) => {
  process.stdout.write(JSON.stringify({ error: String(e).slice(0, 300), failed: 1 }) + '\n');
  process.exit(1);
});
