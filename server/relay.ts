// The answer guarantee (#11): the language server proper runs in a worker thread of this process;
// this (main) thread only relays JSON-RPC between the editor and the worker. A document request
// the worker has not answered within the budget (it is busy: a 1 MB document's analysis takes
// seconds and cannot be interrupted) is answered here — with the last result the worker gave for
// that document, or an empty one — and cancelled in the worker, so it is skipped if still queued.
// No request is dropped, none waits for a stale analysis. Same process: memory figures stay honest.
import type { Worker } from 'node:worker_threads';
// vscode-jsonrpc, not vscode-languageserver: this thread loads only what relaying needs (#8).
import {
  IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter,
  type Message, type MessageReader, type MessageWriter, type NotificationMessage, type RequestMessage, type ResponseMessage,
} from 'vscode-jsonrpc/node';
import type { InitializeParams } from 'vscode-languageserver/node';
import { SessionShadow, skipDiagnostics } from './relayState';
import { DEFAULT_LIMITS, type WorkerLimits } from './relayLaunch';
import { endReason, MAX_RESTARTS, RestartBudget, spawnWorker, type WorkerLink } from './relayWorker';

/** LSP's error codes (LSPErrorCodes of vscode-languageserver-protocol, not loaded here). */
const LSPErrorCodes = { RequestFailed: -32803, RequestCancelled: -32800 } as const;

/** Time a request may take in the worker before the relay answers it (the goal is 1 s at the editor). */
export const ANSWER_BUDGET_MS = 500;

/** What a request answered by the relay gets: the empty result of its type. */
const FALLBACK: Record<string, () => unknown> = {
  'textDocument/completion': () => ({ isIncomplete: true, items: [] }), // incomplete: asked again on the next keystroke
  'textDocument/hover': () => null,
  'textDocument/definition': () => null,
  'textDocument/references': () => null,
  'textDocument/documentSymbol': () => null,
  'textDocument/foldingRange': () => null,
  'textDocument/semanticTokens/full': () => ({ data: [] }),
  'textDocument/codeAction': () => null,
  'textDocument/codeLens': () => [],
  'textDocument/prepareRename': () => null,
};
/** Whole-document results that stay useful a few edits old (the editor maps them onto the new text). */
const REUSABLE = new Set(['textDocument/documentSymbol', 'textDocument/foldingRange', 'textDocument/codeLens']);

interface Pending { method: string; uri?: string; timer?: NodeJS.Timeout; answered?: boolean }

/** Reader and writer of the editor's transport (server/relayLaunch.ts says which). */
export function editorTransport(kind: 'stdio' | 'ipc'): [MessageReader, MessageWriter] {
  return kind === 'stdio' ? [new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout)] : [new IPCMessageReader(process), new IPCMessageWriter(process)];
}

const isRequest = (m: Message): m is RequestMessage => 'method' in m && 'id' in m && (m as RequestMessage).id !== undefined;
const isResponse = (m: Message): m is ResponseMessage => !('method' in m) && 'id' in m;
const uriOf = (params: unknown): string | undefined => (params as { textDocument?: { uri?: unknown } } | undefined)?.textDocument?.uri as string | undefined;

export interface RelayOptions {
  budgetMs?: number;
  /** Ends the process (tests pass their own): when the editor goes away or the worker ends after `exit`. */
  exit?: (code: number) => void;
  limits?: Partial<WorkerLimits>;
  /** The first worker, when already started (server/relayLaunch.ts); later ones the relay starts. */
  worker?: Worker;
}

export interface Relay {
  /** The current worker (undefined after too many crashes). */
  readonly worker: Worker | undefined;
  /** Ends the worker without restarting it (tests). */
  stop(): Promise<void>;
}

type Id = string | number;
const INIT_ID = 'relay-initialize-';
const RESTARTED = 'the language server restarted before answering';

export function startRelay(entry: string, [fromEditor, toEditor]: [MessageReader, MessageWriter], opts: RelayOptions = {}): Relay {
  const budgetMs = opts.budgetMs ?? ANSWER_BUDGET_MS;
  const limits: WorkerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const shadow = new SessionShadow();
  const restarts = new RestartBudget();
  const pending = new Map<Id, Pending>(); // editor requests the worker has not answered
  const outgoing = new Map<number, { generation: number; id: Id }>(); // worker requests to the editor, by relay id
  const lastGood = new Map<string, unknown>(); // `${method} ${uri}` → result, for open documents
  let link: WorkerLink | undefined;
  let generation = 0;
  let nextOutgoing = 1;
  let ending = false; // the editor asked for shutdown or exit: the worker's end is the process's

  const send = (m: Message) => void toEditor.write(m);
  const answer = (id: Id, result: unknown) => send({ jsonrpc: '2.0', id, result } as ResponseMessage);
  const fail = (id: Id, message: string) => send({ jsonrpc: '2.0', id, error: { code: LSPErrorCodes.RequestFailed, message } } as ResponseMessage);
  const notify = (method: string, params: unknown) => send({ jsonrpc: '2.0', method, params } as NotificationMessage);
  const fallback = (p: Pending) => (REUSABLE.has(p.method) && p.uri !== undefined ? lastGood.get(`${p.method} ${p.uri}`) : undefined) ?? FALLBACK[p.method]!();

  let first = opts.worker;
  const start = () => {
    const mine = ++generation;
    link = spawnWorker(entry, limits, (m) => mine === generation && fromWorker(m), (code, error) => mine === generation && ended(code, error), first);
    first = undefined;
  };

  const request = (m: RequestMessage) => {
    const id = m.id!;
    if (m.method === 'initialize') shadow.initialize = m.params as InitializeParams;
    if (m.method === 'shutdown') ending = true;
    const uri = uriOf(m.params);
    const p: Pending = { method: m.method, ...(uri ? { uri } : {}) };
    if (m.method in FALLBACK && (!link || shadow.isSkipped(uri))) return answer(id, fallback(p)); // nothing to wait for
    if (!link && m.method === 'shutdown') return answer(id, null);
    if (!link) return fail(id, 'the language server is stopped (it crashed repeatedly); reload the window to start it again');
    if (m.method in FALLBACK) {
      p.timer = setTimeout(() => {
        p.answered = true; // the worker's late answer is dropped
        answer(id, fallback(p));
        // Still queued in the worker: skipped there (cancelUndispatched); running: finishes, unseen.
        link?.write({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } } as NotificationMessage);
      }, budgetMs);
    }
    pending.set(id, p);
    link.write(m);
  };

  // The editor gave up on a request: answered at once, whatever the worker is busy with (it is told
  // too, and skips the request if still queued; its answer is dropped).
  const cancelled = (id: Id) => {
    const p = pending.get(id);
    if (!p || p.answered) return;
    clearTimeout(p.timer);
    p.answered = true;
    send({ jsonrpc: '2.0', id, error: { code: LSPErrorCodes.RequestCancelled, message: 'request cancelled' } } as ResponseMessage);
  };

  const notification = (m: NotificationMessage) => {
    if (m.method === '$/cancelRequest') cancelled((m.params as { id: Id }).id);
    if (m.method === 'exit') ending = true;
    if (m.method === 'exit' && !link) return exit(0);
    const uri = uriOf(m.params);
    if (uri !== undefined && m.method === 'textDocument/didClose') for (const reusable of REUSABLE) lastGood.delete(`${reusable} ${uri}`);
    const route = shadow.observe(m);
    if (route.kind === 'forward') link?.write(m);
    else if (route.kind === 'retry') link?.write(route.open);
    else if (route.kind === 'skip') notify('textDocument/publishDiagnostics', skipDiagnostics(route.uri, limits.heapMb, route.oversize));
    else if (route.kind === 'evict') {
      link?.write(route.close);
      notify('textDocument/publishDiagnostics', skipDiagnostics(route.uri, limits.heapMb, true));
    }
    else if (route.kind === 'closeSkipped') notify('textDocument/publishDiagnostics', { uri: route.uri, diagnostics: [] });
  };

  fromEditor.listen((m) => {
    if (isRequest(m)) return request(m);
    if (!isResponse(m)) return notification(m as NotificationMessage);
    // The editor's answer to a worker's request: to the worker that asked, under its own id.
    const o = typeof m.id === 'number' ? outgoing.get(m.id) : undefined;
    if (!o) return;
    outgoing.delete(m.id as number);
    if (o.generation === generation) link?.write({ ...m, id: o.id } as ResponseMessage);
  });

  const fromWorker = (m: Message) => {
    if (isRequest(m)) {
      if (m.method === 'client/registerCapability' && shadow.alreadyRegistered(m)) return link?.write({ jsonrpc: '2.0', id: m.id, result: null } as ResponseMessage);
      const id = nextOutgoing++;
      outgoing.set(id, { generation, id: m.id! });
      return send({ ...m, id } as RequestMessage);
    }
    if (!isResponse(m)) return send(m);
    if (typeof m.id === 'string' && m.id.startsWith(INIT_ID)) return; // the replayed initialize
    const p = m.id !== null ? pending.get(m.id) : undefined;
    if (p) {
      pending.delete(m.id!);
      if (p.uri !== undefined && shadow.isOpen(p.uri) && REUSABLE.has(p.method) && m.result != null && !m.error) lastGood.set(`${p.method} ${p.uri}`, m.result);
      clearTimeout(p.timer);
      if (p.answered) return;
    }
    send(m);
  };

  /** The worker ended: the process ends with it after `exit`; otherwise the session goes on with a new worker. */
  const ended = (code: number, error?: Error) => {
    link = undefined;
    if (ending) return exit(code);
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      if (p.answered) continue;
      if (p.method in FALLBACK) answer(id, fallback(p));
      else fail(id, RESTARTED);
    }
    pending.clear();
    const why = endReason(code, error, limits);
    const culprit = shadow.blameCrash();
    if (culprit) {
      notify('textDocument/publishDiagnostics', skipDiagnostics(culprit, limits.heapMb));
      for (const reusable of REUSABLE) lastGood.delete(`${reusable} ${culprit}`); // its outline no longer follows the text
    }
    const skipped = culprit ? `; ${culprit} is skipped until it is smaller` : '';
    if (!restarts.allow(Date.now())) {
      const message = `Codex Network Policy language server stopped: its worker ended ${MAX_RESTARTS + 1} times within a minute (last: ${why}). Reload the window to start it again.`;
      notify('window/logMessage', { type: 1, message });
      return notify('window/showMessage', { type: 1, message });
    }
    notify('window/logMessage', { type: 2, message: `language server worker ended (${why}); restarted it${skipped}` });
    start();
    if (!shadow.initialize) return;
    link!.write({ jsonrpc: '2.0', id: `${INIT_ID}${generation}`, method: 'initialize', params: shadow.initialize } as RequestMessage);
    for (const m of shadow.replay()) link!.write(m);
  };

  fromEditor.onClose(() => exit(0));
  if (fromEditor instanceof IPCMessageReader) process.once('disconnect', () => exit(0)); // the editor's IPC channel is gone
  start();
  return {
    get worker() {
      return link?.worker;
    },
    async stop() {
      ending = true;
      await link?.worker.terminate();
    },
  };
}
