// All rules for a config.toml and/or requirements.toml, in one list of diagnostics tagged
// with the file they belong to. The engine, `check`, and the language server all call this.
import type { PolicyDiagnostic } from '../diagnostics';
import { configSchema } from '../model/config';
import { requirementsSchema } from '../model/requirements';
import type { LoadedDocument } from '../toml/load';
import { checkFilesystemTable } from './filesystem';
import { checkNetworkTable } from './network';
import { checkProfiles } from './profiles';
import { checkRequirements } from './requirements';
import { checkSchema } from './schema';
import { checkCrossFile } from './crossFile';
import { checkLifecycleHooks, checkMcpRequirements } from './semanticHooks';
import { checkMitmSemantics, type SemanticOptions } from './semanticMitm';
import { checkInlineSecrets } from './semanticSecrets';
import { table } from '../toml/values';

export interface ValidateOptions extends SemanticOptions {
  strict?: boolean;
}

export interface DocumentDiagnostic extends PolicyDiagnostic {
  file: 'config' | 'requirements';
}

/** A hostile document may nest deeply on every line: report the first few places only. */
const MAX_NESTING_REPORTS = 20;


export function validateDocuments(config: LoadedDocument | undefined, requirements: LoadedDocument | undefined, opts: ValidateOptions = {}): DocumentDiagnostic[] {
  const out: DocumentDiagnostic[] = [];
  for (const doc of [config, requirements]) {
    if (!doc) continue;
    const emit = (d: PolicyDiagnostic) => out.push({ ...d, file: d.file ?? doc.kind });
    let nesting = 0;
    for (const p of doc.index.problems) {
      if (p.code !== 'toml-nesting' || nesting++ >= MAX_NESTING_REPORTS) continue;
      emit({ path: [], target: 'key', severity: 'warning', code: p.code, message: p.message, range: p.range });
    }
    if (doc.syntaxError) {
      emit({ path: [], target: 'key', severity: 'error', code: 'toml-syntax', message: doc.syntaxError.message, range: doc.syntaxError.range });
      continue;
    }
    const value = doc.value ?? {};
    checkSchema(doc.kind === 'config' ? configSchema : requirementsSchema, value, opts).forEach(emit);
    for (const [name, body] of Object.entries(table(value.permissions) ?? {})) {
      const net = table(table(body)?.network);
      if (net) checkNetworkTable(net, ['permissions', name, 'network'], emit);
      const fs = doc.kind === 'requirements' && name === 'filesystem' ? undefined : table(table(body)?.filesystem);
      if (fs) checkFilesystemTable(fs, ['permissions', name, 'filesystem'], emit);
    }
    if (doc.kind === 'requirements') checkRequirements(value, emit);
    checkInlineSecrets(doc, emit);
    checkLifecycleHooks(doc, emit);
    checkMcpRequirements(doc, emit);
  }
  const usable = (d: LoadedDocument | undefined) => (d && !d.syntaxError ? d : undefined);
  const c = usable(config);
  const r = usable(requirements);
  const input = { ...(c ? { config: c } : {}), ...(r ? { requirements: r } : {}) };
  const emitResolved = (d: PolicyDiagnostic) => out.push({ ...d, file: d.file ?? 'config' });
  if (c || r) {
    checkProfiles(input, emitResolved);
    checkMitmSemantics(input, opts, emitResolved);
  }
  if (c && r) checkCrossFile(c, r, emitResolved);
  return out;
}
