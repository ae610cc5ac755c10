// The Codex policy language server. Transport comes from argv (vscode-languageserver): IPC when
// the extension launches it, `--stdio` for any other editor. Declares every capability up front;
// feature modules (server/features) register their handlers against the shared context.
import { SEMANTIC_LEGEND } from './features/semanticTokens';
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  CodeActionKind,
  DidChangeConfigurationNotification,
  LSPErrorCodes,
  PortMessageReader,
  PortMessageWriter,
  type ClientCapabilities,
  type InitializeParams,
  type Message,
  type RequestMessage,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { isMainThread, parentPort } from 'node:worker_threads';
import type { ServerContext } from './context';
import { Analyzer } from './documents';
import { DiagnosticPublisher } from './diagnostics';
import { FEATURES } from './features/index';
import { DEFAULT_SETTINGS, parseSettings, showSyntaxErrors, type FullSettings, type InitOptions } from './settings';
import { startPriming } from './prime';
import { uriToPath } from './uri';

export const COMPLETION_TRIGGERS = ['.', '=', '[', '"', ' ', ','];

// `$/cancelRequest` for a request still queued (the client moved on: an edit, a closed file)
// answers it at once with RequestCancelled instead of running it.
// In a worker thread (server/entry.ts), the relay in the main thread is the editor.
const options = {
  cancelUndispatched: (message: Message) => ({ jsonrpc: '2.0', id: (message as RequestMessage).id, error: { code: LSPErrorCodes.RequestCancelled, message: 'cancelled before it ran' } }),
};
const connection = isMainThread || !parentPort
  ? createConnection(ProposedFeatures.all, options)
  : createConnection(ProposedFeatures.all, new PortMessageReader(parentPort), new PortMessageWriter(parentPort), options);
const documents = new TextDocuments(TextDocument);

let settings: FullSettings = DEFAULT_SETTINGS;
let initSettings: FullSettings = DEFAULT_SETTINGS;
let evenBetterToml = false;
let canPullConfiguration = false;
let clientCapabilities: ClientCapabilities = {};
let folders: string[] = [];

function log(message: string): void {
  connection.console.log(message);
}

function envHas(name: string): boolean {
  const v = process.env[name];
  return typeof v === 'string' && v !== '';
}

const analyzer = new Analyzer({
  document: (uri) => documents.get(uri),
  all: () => documents.all(),
  settings: () => settings,
  workspaceFolders: () => folders,
  envHas,
});

let codeLensRefresh = false;
const publisher = new DiagnosticPublisher(connection, analyzer, () => showSyntaxErrors(settings, evenBetterToml), log, () => {
  if (codeLensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
});

const ctx: ServerContext = {
  connection,
  document: (uri) => documents.get(uri),
  analysis: (uri) => {
    try {
      return analyzer.analysis(uri);
    } catch (e) {
      log(`analysis of ${uri} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return undefined;
    }
  },
  settings: () => settings,
  capabilities: () => clientCapabilities,
  envNames: () => Object.keys(process.env).filter(envHas),
  envHas,
  log,
  refresh: (uri) => {
    analyzer.invalidateAll();
    publisher.publishNow(uri);
  },
  async safe<T>(feature: string, fallback: T, run: () => T | Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      log(`${feature} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      return fallback;
    }
  },
};

connection.onInitialize((params: InitializeParams): InitializeResult => {
  const init = (params.initializationOptions ?? {}) as InitOptions;
  evenBetterToml = init.evenBetterTomlActive === true;
  initSettings = settings = parseSettings(init.settings);
  clientCapabilities = params.capabilities;
  canPullConfiguration = params.capabilities.workspace?.configuration === true;
  codeLensRefresh = params.capabilities.workspace?.codeLens?.refreshSupport === true;
  folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri));
  if (!folders.length && params.rootUri) folders = [uriToPath(params.rootUri)];
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      completionProvider: { triggerCharacters: COMPLETION_TRIGGERS, resolveProvider: false },
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      documentSymbolProvider: true,
      foldingRangeProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      codeLensProvider: { resolveProvider: false },
      semanticTokensProvider: { legend: SEMANTIC_LEGEND, full: true },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'codex-network-policy' },
  };
});

async function pullSettings(): Promise<void> {
  if (!canPullConfiguration) return;
  try {
    const raw: unknown = await connection.workspace.getConfiguration('codexNetworkPolicy');
    settings = parseSettings(raw, initSettings);
  } catch (e) {
    log(`reading settings failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

connection.onInitialized(() => {
  // Idle time before the first document warms the analysis (server/prime.ts); a document stops it.
  startPriming(() => documents.all().length > 0);
  if (canPullConfiguration) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'codexNetworkPolicy' }).catch(() => undefined);
    void pullSettings().then(() => publisher.all(documents.all().map((d) => d.uri)));
  }
  try {
    connection.workspace.onDidChangeWorkspaceFolders((ev) => {
      const removed = new Set(ev.removed.map((f) => uriToPath(f.uri)));
      folders = [...folders.filter((f) => !removed.has(f)), ...ev.added.map((f) => uriToPath(f.uri))];
      publisher.all(documents.all().map((d) => d.uri));
    });
  } catch {
    // client without workspace folder support
  }
});

connection.onDidChangeConfiguration(async (change) => {
  const section = (change.settings as Record<string, unknown> | null | undefined)?.codexNetworkPolicy;
  if (canPullConfiguration) await pullSettings();
  else if (section !== undefined) settings = parseSettings(section, initSettings);
  publisher.all(documents.all().map((d) => d.uri));
});

connection.onDidChangeWatchedFiles(() => publisher.all(documents.all().map((d) => d.uri)));

// TextDocuments fires onDidChangeContent right after onDidOpen: the open already published.
const justOpened = new Set<string>();
documents.onDidOpen((e) => {
  justOpened.add(e.document.uri);
  publisher.changed(e.document.uri, 'open');
});
documents.onDidChangeContent((e) => {
  if (justOpened.delete(e.document.uri)) return;
  publisher.changed(e.document.uri, 'edit');
});
documents.onDidSave((e) => publisher.changed(e.document.uri, 'save'));
documents.onDidClose((e) => {
  analyzer.forget(e.document.uri);
  publisher.clear(e.document.uri);
  publisher.all(documents.all().filter((d) => d.uri !== e.document.uri).map((d) => d.uri));
});

for (const [name, register] of FEATURES) {
  try {
    register(ctx);
  } catch (e) {
    log(`feature ${name} failed to register: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
}

documents.listen(connection);
connection.listen();
