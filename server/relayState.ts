// What the relay (server/relay.ts) remembers of the editor's session so that a fresh language-server
// worker can be brought to where the dead one was (#11, memory cap): the client's `initialize`
// params, the last pushed configuration, the capabilities registered with the editor, and a shadow
// of every open document. It also holds the documents skipped because their analysis blew the
// worker's memory cap, and decides when such a document is tried again.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type {
  DidChangeTextDocumentParams, DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
  InitializeParams, Message, NotificationMessage, PublishDiagnosticsParams, RegistrationParams, RequestMessage,
} from 'vscode-languageserver/node';

/** A skipped document is tried again once its text is at most this share of the size that blew the cap. */
export const RETRY_SHARE = 0.75;

/**
 * Larger documents are never sent to the worker: the heap cap does not cover what a document costs
 * outside the worker's heap (the relay's copies, typed-array backing stores of the index).
 */
export const MAX_DOCUMENT_CHARS = 2_000_000;

/** The diagnostic a skipped document gets (code `memory-limit`), at line 0. */
export function skipDiagnostics(uri: string, capMb: number, oversize = false): PublishDiagnosticsParams {
  const message = oversize
    ? `This document is too large for the language server (over ${MAX_DOCUMENT_CHARS.toLocaleString('en')} characters); `
      + 'diagnostics and other features are paused for it until it is smaller.'
    : `This document is too large to analyse within the language server's memory limit (${capMb} MB); `
      + 'diagnostics and other features are paused for it until it is at least a quarter smaller.';
  return {
    uri,
    diagnostics: [{
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: 2, // Warning
      source: 'codex',
      code: 'memory-limit',
      message,
    }],
  };
}

/** What the relay does with a document notification from the editor. */
export type DocumentRoute =
  | { kind: 'forward' } // pass it to the worker as is
  | { kind: 'drop' } // the worker does not know the document (skipped)
  | { kind: 'retry'; open: NotificationMessage } // a skipped document got small enough: open it in the worker
  | { kind: 'skip'; uri: string; oversize: boolean } // (re)opened while too large: publish the skip diagnostic
  | { kind: 'evict'; uri: string; close: NotificationMessage } // an edit made it oversize: close it in the worker, skip it
  | { kind: 'closeSkipped'; uri: string }; // a skipped document closed: clear its diagnostic

export class SessionShadow {
  initialize?: InitializeParams;
  private config?: NotificationMessage;
  /** Open documents, least recently opened or changed first. */
  private readonly docs = new Map<string, TextDocument>();
  /** Skipped documents → the text length whose analysis blew the cap. */
  private readonly skipped = new Map<string, number>();
  /** Methods the editor has a registration for (a restarted worker's repeats are answered here). */
  private readonly registered = new Set<string>();
  /** The document most recently opened or changed in the worker: the one a crash is blamed on. */
  private lastTouched?: string;

  isOpen(uri: string): boolean {
    return this.docs.has(uri);
  }

  isSkipped(uri: string | undefined): boolean {
    return uri !== undefined && this.skipped.has(uri);
  }

  /** Records an editor → worker notification and says how to route it. */
  observe(m: NotificationMessage): DocumentRoute {
    switch (m.method) {
      case 'workspace/didChangeConfiguration':
        this.config = m;
        return { kind: 'forward' };
      case 'workspace/didChangeWorkspaceFolders':
        this.applyFolders(m.params as DidChangeWorkspaceFoldersParams);
        return { kind: 'forward' };
      case 'textDocument/didOpen': {
        const { textDocument: t } = m.params as DidOpenTextDocumentParams;
        this.touch(t.uri, TextDocument.create(t.uri, t.languageId, t.version, t.text));
        if (this.oversize(t.uri)) this.skipped.set(t.uri, this.skipped.get(t.uri) ?? Infinity);
        return this.tooLarge(t.uri) ? { kind: 'skip', uri: t.uri, oversize: this.oversize(t.uri) } : this.unskipped(t.uri, m);
      }
      case 'textDocument/didChange': {
        const { textDocument: t, contentChanges } = m.params as DidChangeTextDocumentParams;
        const doc = this.docs.get(t.uri);
        if (!doc) return { kind: 'forward' };
        this.touch(t.uri, TextDocument.update(doc, contentChanges, t.version));
        if (!this.skipped.has(t.uri) && this.oversize(t.uri)) {
          this.skipped.set(t.uri, Infinity);
          return { kind: 'evict', uri: t.uri, close: { jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri: t.uri } } } };
        }
        if (!this.skipped.has(t.uri)) {
          this.lastTouched = t.uri;
          return { kind: 'forward' };
        }
        return this.tooLarge(t.uri) ? { kind: 'drop' } : this.unskipped(t.uri, this.openMessage(t.uri));
      }
      case 'textDocument/didClose': {
        const { uri } = (m.params as DidCloseTextDocumentParams).textDocument;
        this.docs.delete(uri);
        if (this.lastTouched === uri) this.lastTouched = undefined;
        return this.skipped.has(uri) ? { kind: 'closeSkipped', uri } : { kind: 'forward' };
      }
      case 'textDocument/didSave':
        return this.isSkipped((m.params as { textDocument: { uri: string } }).textDocument.uri) ? { kind: 'drop' } : { kind: 'forward' };
      default:
        return { kind: 'forward' };
    }
  }

  /** A worker → editor `client/registerCapability`: true when the editor already has all of it (a restarted worker repeating itself). */
  alreadyRegistered(m: RequestMessage): boolean {
    const methods = ((m.params as RegistrationParams | undefined)?.registrations ?? []).map((r) => r.method);
    const known = methods.every((method) => this.registered.has(method));
    methods.forEach((method) => this.registered.add(method));
    return known && methods.length > 0;
  }

  /** After a crash: the open document it is blamed on, now skipped, if any. */
  blameCrash(): string | undefined {
    const uri = this.lastTouched;
    const doc = uri !== undefined ? this.docs.get(uri) : undefined;
    this.lastTouched = undefined;
    if (!uri || !doc) return undefined;
    this.skipped.set(uri, doc.getText().length);
    return uri;
  }

  /** The messages that bring a fresh worker to the session's state (after its `initialize`). */
  replay(): Message[] {
    const out: Message[] = [{ jsonrpc: '2.0', method: 'initialized', params: {} } as NotificationMessage];
    if (this.config) out.push(this.config);
    for (const uri of this.docs.keys()) {
      if (this.skipped.has(uri)) continue;
      out.push(this.openMessage(uri));
      this.lastTouched = uri; // least recent first: the last one sent is the most recently edited
    }
    return out;
  }

  private touch(uri: string, doc: TextDocument): void {
    this.docs.delete(uri);
    this.docs.set(uri, doc);
  }

  private tooLarge(uri: string): boolean {
    const blewAt = this.skipped.get(uri);
    const doc = this.docs.get(uri);
    return this.oversize(uri) || (blewAt !== undefined && doc !== undefined && doc.getText().length > blewAt * RETRY_SHARE);
  }

  private oversize(uri: string): boolean {
    return (this.docs.get(uri)?.getText().length ?? 0) > MAX_DOCUMENT_CHARS;
  }

  private unskipped(uri: string, open: NotificationMessage): { kind: 'forward' } | { kind: 'retry'; open: NotificationMessage } {
    this.lastTouched = uri;
    if (!this.skipped.delete(uri)) return { kind: 'forward' };
    return { kind: 'retry', open };
  }

  private openMessage(uri: string): NotificationMessage {
    const d = this.docs.get(uri)!;
    return { jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: d.languageId, version: d.version, text: d.getText() } } };
  }

  private applyFolders({ event }: DidChangeWorkspaceFoldersParams): void {
    if (!this.initialize) return;
    const removed = new Set(event.removed.map((f) => f.uri));
    this.initialize = { ...this.initialize, workspaceFolders: [...(this.initialize.workspaceFolders ?? []).filter((f) => !removed.has(f.uri)), ...event.added] };
  }
}
