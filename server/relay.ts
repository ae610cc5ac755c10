// The answer guarantee (#11): the language server proper runs in a worker thread of this process;
// this (main) thread only relays JSON-RPC between the editor and the worker. A document request
// the worker has not answered within the budget (it is busy: a 1 MB document's analysis takes
// seconds and cannot be interrupted) is answered here — with the last result the worker gave for
// that document, or an empty one — and cancelled in the worker, so it is skipped if still queued.
// No request is dropped, none waits for a stale analysis. Same process: memory figures stay honest.
import { Worker } from 'node:worker_threads';
import {
  IPCMessageReader, IPCMessageWriter, PortMessageReader, PortMessageWriter, StreamMessageReader, StreamMessageWriter,
  type Message, type MessageReader, type MessageWriter, type NotificationMessage, type RequestMessage, type ResponseMessage,
} from 'vscode-languageserver/node';

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

interface Pending { method: string; uri?: string; timer?: NodeJS.Timeout }

/** Reader and writer of the editor's transport, when it is one the relay speaks (stdio or node IPC). */
export function editorTransport(argv: readonly string[]): [MessageReader, MessageWriter] | undefined {
  if (argv.includes('--stdio')) return [new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout)];
  if (argv.includes('--node-ipc')) return [new IPCMessageReader(process), new IPCMessageWriter(process)];
  return undefined;
}

const isRequest = (m: Message): m is RequestMessage => 'method' in m && 'id' in m && (m as RequestMessage).id !== undefined;
const isResponse = (m: Message): m is ResponseMessage => !('method' in m) && 'id' in m;
const uriOf = (params: unknown): string | undefined => (params as { textDocument?: { uri?: unknown } } | undefined)?.textDocument?.uri as string | undefined;

export interface RelayOptions {
  budgetMs?: number;
  /** Ends the process (tests pass their own): when the editor goes away or the worker ends. */
  exit?: (code: number) => void;
}

export function startRelay(entry: string, [fromEditor, toEditor]: [MessageReader, MessageWriter], opts: RelayOptions = {}): Worker {
  const budgetMs = opts.budgetMs ?? ANSWER_BUDGET_MS;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  // The worker's stdout is piped, never shared: a stray console.log must not corrupt a stdio stream.
  const worker = new Worker(entry, { stdout: true });
  worker.stdout.pipe(process.stderr);
  const fromWorker = new PortMessageReader(worker);
  const toWorker = new PortMessageWriter(worker);
  const pending = new Map<string | number, Pending>();
  const lastGood = new Map<string, unknown>(); // `${method} ${uri}` → result, for open documents
  const open = new Set<string>();

  const answer = (id: string | number, result: unknown) => void toEditor.write({ jsonrpc: '2.0', id, result } as ResponseMessage);

  fromEditor.listen((m) => {
    if (isRequest(m) && m.method in FALLBACK) {
      const id = m.id!;
      const uri = uriOf(m.params);
      const p: Pending = { method: m.method, ...(uri ? { uri } : {}) };
      p.timer = setTimeout(() => {
        p.timer = undefined; // answered here; the worker's late answer is dropped
        const reused = REUSABLE.has(p.method) && p.uri !== undefined ? lastGood.get(`${p.method} ${p.uri}`) : undefined;
        answer(id, reused ?? FALLBACK[p.method]!());
        // Still queued in the worker: skipped there (cancelUndispatched); running: finishes, unseen.
        void toWorker.write({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } } as NotificationMessage);
      }, budgetMs);
      pending.set(id, p);
    } else if (!isRequest(m) && 'method' in m) {
      const { method, params } = m as NotificationMessage;
      const uri = uriOf(params);
      if (uri !== undefined && method === 'textDocument/didOpen') open.add(uri);
      if (uri !== undefined && method === 'textDocument/didClose') {
        open.delete(uri);
        for (const reusable of REUSABLE) lastGood.delete(`${reusable} ${uri}`);
      }
    }
    void toWorker.write(m);
  });

  fromWorker.listen((m) => {
    const p = isResponse(m) && m.id !== null ? pending.get(m.id) : undefined;
    if (p && isResponse(m)) {
      pending.delete(m.id!);
      if (p.uri !== undefined && open.has(p.uri) && REUSABLE.has(p.method) && m.result != null && !m.error) lastGood.set(`${p.method} ${p.uri}`, m.result);
      if (!p.timer) return;
      clearTimeout(p.timer);
    }
    void toEditor.write(m);
  });

  fromEditor.onClose(() => exit(0));
  if (fromEditor instanceof IPCMessageReader) process.once('disconnect', () => exit(0)); // the editor's IPC channel is gone
  worker.on('exit', (code) => exit(code));
  worker.on('error', (e) => {
    process.stderr.write(`language server worker failed: ${e.stack ?? e.message}\n`);
    exit(1);
  });
  return worker;
}
