// DocumentDiagnostic (key paths) → LSP Diagnostic (ranges), and the debounced publisher: right
// after the messages already received on open, 20 ms after save, ~200 ms after the last change
// (stale versions are never analysed), and dependants revalidated when a requirements (or config)
// document changes.
import { DiagnosticSeverity, type Connection, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver/node';
import type { DocumentAnalysis } from './context';
import type { Analyzer } from './documents';
import type { ServedKind } from './files';
import { pathToUri } from './uri';
import { serverWarm } from './warm';
import { rangeOf, type LoadedDocument } from '../core/toml/load';
import type { DocumentDiagnostic } from '../core/validate/documents';
import type { Severity } from '../core/diagnostics';

const SOURCE = 'codex';
const DEBOUNCE_MS = 200;
/**
 * Save publishes after this short delay rather than at once: an edit queued right behind it (a
 * formatter on save) restarts the timer, so a version that was already replaced is never analysed.
 */
const SOON_MS = 20;
/**
 * Open publishes at once instead, two event-loop turns later (#8): the connection handles one
 * received message per turn (vscode-jsonrpc's queue), so an edit that arrived together with the
 * open is applied first and restarts the schedule. One that arrives a moment later may find the
 * opened version analysed once; its own diagnostics follow (the 20 ms timer only widened that window).
 */
const AT_ONCE = -1;
/** Diagnostics published per document (most severe first); a hostile file can have 40,000. */
export const MAX_PUBLISHED = 1000;

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function uriOf(doc: LoadedDocument, fallbackUri: string, ownPath: string): string {
  return doc.file === ownPath ? fallbackUri : pathToUri(doc.file);
}

/** Converts one finding of `analysis.doc`; related places may be in the other file. */
function toLspDiagnostic(d: DocumentDiagnostic, analysis: DocumentAnalysis): Diagnostic {
  const doc = analysis.doc;
  const range = d.range ?? rangeOf(doc.index, d.path, d.target);
  const out: Diagnostic = { range, severity: SEVERITY[d.severity], code: d.code, source: SOURCE, message: d.message };
  if (d.data) out.data = { ...d.data, path: d.path };
  else out.data = { path: d.path };
  if (d.related?.length) {
    const info: DiagnosticRelatedInformation[] = [];
    for (const r of d.related) {
      const other = r.file && r.file !== doc.kind ? (doc.kind === 'config' ? analysis.requirements : analysis.config) : doc;
      if (!other) continue;
      info.push({ location: { uri: uriOf(other, analysis.uri, doc.file), range: rangeOf(other.index, r.path, 'key') }, message: r.message });
    }
    if (info.length) out.relatedInformation = info;
  }
  return out;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };

function lspDiagnostics(analysis: DocumentAnalysis, showSyntax: boolean): Diagnostic[] {
  let shown = analysis.diagnostics.filter((d) => showSyntax || d.code !== 'toml-syntax');
  const hidden = shown.length - MAX_PUBLISHED;
  if (hidden > 0) shown = [...shown].sort((a, b) => RANK[a.severity] - RANK[b.severity]).slice(0, MAX_PUBLISHED);
  const out = shown.map((d) => toLspDiagnostic(d, analysis));
  if (hidden > 0) {
    out.push({
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Information, source: SOURCE, code: 'too-many-problems',
      message: `${hidden} more problems are not shown (at most ${MAX_PUBLISHED} per file); run \`codex-netpolicy check\` for the full list`,
    });
  }
  return out;
}

export class DiagnosticPublisher {
  /** Pending publications: the cancel function of each one's timer or immediate. */
  private readonly timers = new Map<string, () => void>();
  private readonly published = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly analyzer: Analyzer,
    private readonly showSyntax: () => boolean,
    private readonly log: (m: string) => void,
    /** After a policy test file is (re)judged: its code lenses show pass/fail, so refresh them. */
    private readonly testsJudged: () => void = () => undefined,
  ) {}

  /** Validate `uri` after the debounce delay, or AT_ONCE (restarted by each call). */
  schedule(uri: string, delay = DEBOUNCE_MS): void {
    this.timers.get(uri)?.();
    const run = () => {
      this.timers.delete(uri);
      this.publishNow(uri);
    };
    if (delay === AT_ONCE) {
      let turn = setImmediate(() => {
        turn = setImmediate(run);
      });
      this.timers.set(uri, () => clearImmediate(turn));
    } else {
      const timer = setTimeout(run, delay);
      this.timers.set(uri, () => clearTimeout(timer));
    }
  }

  publishNow(uri: string): void {
    this.cancel(uri);
    let diagnostics: Diagnostic[] = [];
    try {
      const a = this.analyzer.analysis(uri);
      if (!a) {
        if (this.published.has(uri)) this.clear(uri);
        return;
      }
      diagnostics = lspDiagnostics(a, this.showSyntax());
      if (a.kind === 'policytest') this.testsJudged();
    } catch (e) {
      // A rule threw: say so once in the log and publish nothing rather than crash the server.
      this.log(`diagnostics for ${uri} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    this.published.add(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics });
    serverWarm();
  }

  /** A document was opened, saved or changed: revalidate it (debounced) and the open documents of the other kind. */
  changed(uri: string, how: 'open' | 'save' | 'edit'): void {
    const kind = this.kindOf(uri);
    this.schedule(uri, how === 'open' ? AT_ONCE : how === 'save' ? SOON_MS : DEBOUNCE_MS);
    // Any edit may change a policy under test (it need not be a served file): re-run open tests.
    this.analyzer.invalidateAll();
    for (const test of this.analyzer.openOfKind('policytest')) if (test !== uri) this.schedule(test);
    if (!kind || kind === 'policytest') return;
    for (const other of this.analyzer.openOfKind(kind === 'config' ? 'requirements' : 'config')) {
      if (other !== uri) this.schedule(other);
    }
  }

  /** Everything may be stale (settings, files on disk). */
  all(uris: readonly string[]): void {
    this.analyzer.invalidateAll();
    for (const uri of uris) this.schedule(uri, 0);
  }

  clear(uri: string): void {
    this.cancel(uri);
    this.published.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  private cancel(uri: string): void {
    this.timers.get(uri)?.();
    this.timers.delete(uri);
  }

  private kindOf(uri: string): ServedKind | undefined {
    return this.analyzer.servedKind(uri);
  }
}
