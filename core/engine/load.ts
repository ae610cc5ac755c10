// The engine's one entry: files (or texts) → parse → validate and lower → resolve the profile →
// effective policy → compile, giving a compiled policy or the located reasons why not. Used by the
// CLI (`explain`, `proxy`, `check`), the proxy's hot reload and the extension; an error never
// yields a policy. It sits above validate/ and policy/, which never import each other.
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { loadDocument, rangeOf, type LoadedDocument } from '../toml/load';
import type { Range } from '../toml/positions';
import type { DiagnosticCode } from '../codes';
import type { Severity } from '../diagnostics';
import { validateDocuments, type DocumentDiagnostic } from '../validate/documents';
import { compilePolicy, type CompiledPolicy } from '../policy/compile';
import { effectivePolicy, type EffectivePolicy } from '../policy/effective';
import { resolveProfile } from '../lower/resolve';

export interface PolicySource {
  file: string;
  text: string;
}

export interface LoadPolicyInput {
  config?: PolicySource;
  requirements?: PolicySource;
  profile?: string;
  env: Record<string, string | undefined>;
  strict?: boolean;
  readFile?: (path: string) => string;
  /** `optional`: unavailable secrets are notes, not errors (policy tests, `effective`). */
  secrets?: 'required' | 'optional';
}

export interface LocatedDiagnostic {
  file: string;
  range: Range;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
}

export interface LoadPolicyResult {
  policy?: CompiledPolicy;
  effective?: EffectivePolicy;
  diagnostics: LocatedDiagnostic[];
  documents: { config?: LoadedDocument; requirements?: LoadedDocument };
}

export function readPolicySource(file: string): PolicySource {
  const abs = resolvePath(file);
  return { file: abs, text: readFileSync(abs, 'utf8') };
}

function locate(d: DocumentDiagnostic, docs: LoadPolicyResult['documents']): LocatedDiagnostic {
  const doc = d.file === 'requirements' ? docs.requirements : docs.config;
  const range = d.range ?? (doc ? rangeOf(doc.index, d.path, d.target) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  return { file: doc?.file ?? d.file, range, severity: d.severity, code: d.code, message: d.message };
}

export function loadPolicy(input: LoadPolicyInput): LoadPolicyResult {
  const documents: LoadPolicyResult['documents'] = {};
  if (input.config) documents.config = loadDocument(input.config.text, input.config.file, 'config');
  if (input.requirements) documents.requirements = loadDocument(input.requirements.text, input.requirements.file, 'requirements');
  const validation = validateDocuments(documents.config, documents.requirements, { strict: input.strict ?? false });
  const diagnostics = validation.map((d) => locate(d, documents));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, documents };

  const resolved = resolveProfile({ ...documents, ...(input.profile ? { profile: input.profile } : {}) });
  // Validation already resolved the default selection (checkProfiles): only an explicit
  // `--profile` can say something new about which profile runs.
  if (input.profile) diagnostics.push(...resolved.diagnostics.map((d) => locate({ ...d, file: d.file ?? 'config' }, documents)));
  if (!resolved.profile) return { diagnostics, documents };
  const effective = effectivePolicy(resolved.profile, documents.requirements);
  const compiled = compilePolicy(effective, { env: input.env, ...(input.readFile ? { readFile: input.readFile } : {}), ...(input.secrets ? { secrets: input.secrets } : {}) });
  for (const p of [...compiled.problems, ...compiled.notes]) {
    const doc = p.origin?.kind === 'requirements' ? documents.requirements : documents.config;
    const range = doc && p.origin ? rangeOf(doc.index, p.origin.path, p.target) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    diagnostics.push({ file: p.origin?.file ?? doc?.file ?? '', range, severity: p.severity, code: p.code, message: p.message });
  }
  if (!compiled.policy) return { diagnostics, effective, documents };
  return { policy: compiled.policy, effective, diagnostics, documents };
}
