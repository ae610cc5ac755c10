// Analysis cache: per open document version, the parsed document, the requirements (or config)
// it is checked against, and every rule's findings. Rebuilt lazily when the document, a related
// document, or the settings change (a generation counter invalidates everything at once).
import { readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, isAbsolute, resolve } from 'node:path';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DocumentAnalysis } from './context';
import type { FullSettings } from './settings';
import { servedFile, type ServedKind } from './files';
import { analysePolicyTest } from './policyTests';
import { pathToUri, uriToPath } from './uri';
import { loadDocument, type LoadedDocument } from '../core/toml/load';
import { validateDocuments, type DocumentDiagnostic } from '../core/validate/documents';
import { SYSTEM_REQUIREMENTS } from '../core/paths';


export interface AnalyzerHost {
  document(uri: string): TextDocument | undefined;
  all(): readonly TextDocument[];
  settings(): FullSettings;
  workspaceFolders(): string[];
  envHas(name: string): boolean;
}

interface Cached {
  version: number;
  generation: number;
  analysis: DocumentAnalysis;
}

export class Analyzer {
  private readonly cache = new Map<string, Cached>();
  private readonly loaded = new Map<string, { version: number; doc: LoadedDocument }>();
  private readonly disk = new Map<string, { mtimeMs: number; size: number; doc: LoadedDocument }>();
  private generation = 0;

  constructor(private readonly host: AnalyzerHost) {}

  /** Something other documents depend on changed (requirements, settings, files on disk). */
  invalidateAll(): void {
    this.generation++;
  }

  forget(uri: string): void {
    this.cache.delete(uri);
    this.loaded.delete(uri);
  }

  servedKind(uri: string): ServedKind | undefined {
    return servedFile(uri, this.host.settings())?.kind;
  }

  analysis(uri: string): DocumentAnalysis | undefined {
    const text = this.host.document(uri);
    if (!text) return undefined;
    const served = servedFile(uri, this.host.settings());
    if (!served) return undefined;
    const hit = this.cache.get(uri);
    if (hit && hit.version === text.version && hit.generation === this.generation) return hit.analysis;
    if (served.kind === 'policytest') {
      const analysis = analysePolicyTest(uri, text.version, text.getText(), served.path, (p) => this.textOf(p));
      this.cache.set(uri, { version: text.version, generation: this.generation, analysis });
      return analysis;
    }
    const doc = this.load(uri, text, served.kind);
    const opts = { strict: this.host.settings().strict, envHas: (n: string) => this.host.envHas(n), fileExists: existsSync };
    let analysis: DocumentAnalysis;
    if (doc.kind === 'config') {
      const requirements = this.requirementsFor(served.path);
      const diagnostics = validateDocuments(doc, requirements, opts).filter((d) => d.file === 'config');
      analysis = { uri, version: text.version, kind: 'config', doc, diagnostics, ...(requirements ? { requirements } : {}) };
    } else {
      const configs = this.configsUsing(served.path);
      let diagnostics: DocumentDiagnostic[];
      if (configs.length === 0) diagnostics = validateDocuments(undefined, doc, opts).filter((d) => d.file === 'requirements');
      else {
        const seen = new Set<string>();
        diagnostics = [];
        for (const c of configs) {
          for (const d of validateDocuments(c, doc, opts)) {
            if (d.file !== 'requirements') continue;
            const key = `${d.code}\u0000${d.path.join('\u0000')}\u0000${d.message}`;
            if (seen.has(key)) continue;
            seen.add(key);
            diagnostics.push(d);
          }
        }
      }
      analysis = { uri, version: text.version, kind: 'requirements', doc, diagnostics, ...(configs[0] ? { config: configs[0] } : {}) };
    }
    this.cache.set(uri, { version: text.version, generation: this.generation, analysis });
    return analysis;
  }

  private load(uri: string, text: TextDocument, kind: LoadedDocument['kind']): LoadedDocument {
    const hit = this.loaded.get(uri);
    if (hit && hit.version === text.version && hit.doc.kind === kind) return hit.doc;
    const doc = loadDocument(text.getText(), uriToPath(uri), kind);
    this.loaded.set(uri, { version: text.version, doc });
    return doc;
  }

  /** The requirements file path applying to a config at `configPath`. */
  requirementsPathFor(configPath: string): string | undefined {
    const configured = this.host.settings().requirementsPath;
    if (configured) {
      const folder = this.host.workspaceFolders()[0];
      return isAbsolute(configured) ? configured : resolve(folder ?? dirname(configPath), configured);
    }
    // Decision: the config's sibling `.codex/requirements.toml` (project-managed policy), then a
    // workspace folder's, then the system file — first one open or on disk wins.
    const candidates = [join(dirname(configPath), 'requirements.toml'), ...this.host.workspaceFolders().map((f) => join(f, '.codex', 'requirements.toml')), SYSTEM_REQUIREMENTS];
    for (const p of candidates) {
      if (p === configPath) continue;
      if (this.host.document(pathToUri(p)) || existsSync(p)) return p;
    }
    return undefined;
  }

  requirementsFor(configPath: string): LoadedDocument | undefined {
    const p = this.requirementsPathFor(configPath);
    return p ? this.fromOpenOrDisk(p, 'requirements') : undefined;
  }

  /** Open config documents whose applicable requirements file is `requirementsPath`. */
  configsUsing(requirementsPath: string): LoadedDocument[] {
    const out: LoadedDocument[] = [];
    for (const d of this.host.all()) {
      const s = servedFile(d.uri, this.host.settings());
      if (!s || s.kind !== 'config') continue;
      if (this.requirementsPathFor(s.path) !== requirementsPath) continue;
      out.push(this.load(d.uri, d, 'config'));
    }
    return out;
  }

  /** Text of a file: the open buffer (unsaved edits included), else the disk; undefined if unreadable. */
  textOf(path: string): string | undefined {
    const open = this.host.document(pathToUri(path));
    if (open) return open.getText();
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Open documents of a kind (for revalidation after a change they depend on). */
  openOfKind(kind: ServedKind): string[] {
    return this.host.all().filter((d) => servedFile(d.uri, this.host.settings())?.kind === kind).map((d) => d.uri);
  }

  private fromOpenOrDisk(path: string, kind: LoadedDocument['kind']): LoadedDocument | undefined {
    const uri = pathToUri(path);
    const open = this.host.document(uri);
    if (open) return this.load(uri, open, kind);
    try {
      const st = statSync(path);
      const hit = this.disk.get(path);
      if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.doc;
      const doc = loadDocument(readFileSync(path, 'utf8'), path, kind);
      this.disk.set(path, { mtimeMs: st.mtimeMs, size: st.size, doc });
      return doc;
    } catch {
      return undefined; // unreadable: treated as absent (the config is still checked alone)
    }
  }
}
