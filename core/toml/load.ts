// Loads a policy document: one pass (positions.ts) gives where each key and value is and, when it
// is certain they match smol-toml's (tree.ts), the values; otherwise smol-toml (the authority on
// TOML syntax) parses the document for its values or its syntax error. The same result serves the
// engine, the CLI and the LSP.
import { parse, TomlError } from 'smol-toml';
import { indexWithValues, type Range, type TomlIndex, type PathSegment } from './positions';

export type DocumentKind = 'config' | 'requirements';

export interface LoadedDocument {
  file: string;
  kind: DocumentKind;
  text: string;
  /** Parsed value; `undefined` when the TOML does not parse. */
  value: Record<string, unknown> | undefined;
  index: TomlIndex;
  syntaxError?: { message: string; range: Range };
}

export function documentKindOf(file: string): DocumentKind {
  return /requirements\.toml$/i.test(file) ? 'requirements' : 'config';
}

export function loadDocument(text: string, file: string, kind: DocumentKind = documentKindOf(file)): LoadedDocument {
  const { index, value: ours } = indexWithValues(text);
  if (ours) return { file, kind, text, value: ours, index };
  return loadWithSmolToml(text, file, kind, index);
}

/** smol-toml's values (through toPlain), or its syntax error at its position. Exported for the differential tests. */
export function loadWithSmolToml(text: string, file: string, kind: DocumentKind, index: TomlIndex): LoadedDocument {
  try {
    const value = toPlain(parse(text)) as Record<string, unknown>;
    return { file, kind, text, value, index };
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const first = e.message.replace(/^Invalid TOML document:\s*/, '').split('\n')[0] ?? 'invalid TOML';
    const line = Math.max(0, e.line - 1);
    const character = Math.max(0, e.column - 1);
    const lineText = text.split(/\r?\n/)[line] ?? '';
    const end = Math.min(lineText.length, character + 1);
    return {
      file, kind, text, value: undefined, index,
      syntaxError: { message: first, range: { start: { line, character }, end: { line, character: Math.max(end, character) } } },
    };
  }
}

/**
 * smol-toml returns null-prototype objects (slow, dictionary-mode in V8) and TomlDate: give zod and
 * the rules plain data. A `__proto__` key stays an own key.
 */
function toPlain(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    // Copied: smol-toml's arrays grew by push (a one-element array holds room for 17), and the
    // value lives as long as the document is open; slice() allocates exactly.
    const out = v.slice();
    for (let i = 0; i < out.length; i++) {
      const x: unknown = out[i];
      if (x && typeof x === 'object') out[i] = toPlain(x);
    }
    return out;
  }
  if (v instanceof Date) return v.toISOString();
  const src = v as Record<string, unknown>, out: Record<string, unknown> = {};
  for (const k in src) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: toPlain(src[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = toPlain(src[k]);
  }
  return out;
}

/** The range a diagnostic or rule points at: the key, else the value, else the nearest parent. */
export function rangeOf(index: TomlIndex, path: readonly PathSegment[], target: 'key' | 'value'): Range {
  const node = index.get(path);
  if (node) {
    const r = target === 'value' ? node.valueRange ?? node.keyRange ?? node.headerRange : node.keyRange ?? node.headerRange ?? node.valueRange;
    if (r) return r;
    return node.range;
  }
  const near = index.nearest(path);
  if (near) return near.keyRange ?? near.headerRange ?? near.range;
  return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
}

/** 1-based line of a path (for `rule.line`). */
export function lineOf(index: TomlIndex, path: readonly PathSegment[]): number {
  return rangeOf(index, path, 'key').start.line + 1;
}
