// The one diagnostic shape every rule produces. Rules speak in key paths; the loader, the CLI
// and the language server turn paths into ranges with the document's position index.
import type { DiagnosticCode } from './codes';
import type { PathSegment } from './toml/positions';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface PolicyDiagnostic {
  /** Key path of the offending key or value. */
  path: PathSegment[];
  /** Point at the key, its value, or (for whole-table problems) the table header. */
  target: 'key' | 'value';
  severity: Severity;
  /** Stable code, e.g. `mitm-undefined-action` (the vocabulary is core/codes.ts). */
  code: DiagnosticCode;
  message: string;
  /** Which file the path belongs to, when a check spans files (undefined = the document checked). */
  file?: 'config' | 'requirements';
  /** Machine-readable details for quick fixes (never a secret). */
  data?: Record<string, unknown>;
  /** Other places that explain this one. */
  related?: { path: PathSegment[]; message: string; file?: 'config' | 'requirements' }[];
  /** Explicit range, when the problem is not at a key (e.g. TOML syntax errors). */
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
}

export function pathText(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += (out ? '.' : '') + (/^[A-Za-z0-9_-]+$/.test(seg) ? seg : JSON.stringify(seg));
  }
  return out;
}
