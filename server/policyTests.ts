// Policy test files in the editor: the test file's own problems and each failing case, as
// diagnostics on its `[[case]]`, judged against the policy it names — open (unsaved) buffers first,
// so an edit that breaks a test shows before it is saved.
import type { DocumentAnalysis } from './context';
import type { DocumentDiagnostic } from '../core/validate/documents';
import { describeDecision, runPolicyTest, type CaseResult } from '../core/policytest/run';

/** Test files never need secrets: the editor's environment is not consulted. */
const NO_ENV: Record<string, string | undefined> = {};

export function analysePolicyTest(uri: string, version: number, text: string, path: string, readText: (p: string) => string | undefined): DocumentAnalysis {
  const run = runPolicyTest(text, path, { readText, env: NO_ENV });
  // Diagnostics of this document; `file` only says "this document" here.
  const diagnostics: DocumentDiagnostic[] = run.diagnostics.map((d) => ({ ...d, file: 'config' }));
  for (const c of run.results) if (!c.pass) diagnostics.push(failure(c));
  return { uri, version, kind: 'policytest', doc: run.parsed.doc, diagnostics, policyTest: run };
}

export function failureMessage(c: CaseResult): string {
  const rule = c.got.rule ? `${c.got.rule.file}:${c.got.rule.line}` : 'no rule matched';
  return [`${JSON.stringify(c.name)}: expected ${c.expected}, got ${describeDecision(c.got)} (rule ${rule})`, ...c.mismatches].join('\n');
}

function failure(c: CaseResult): DocumentDiagnostic {
  return {
    path: ['case', c.index], target: 'key', severity: 'error', code: 'policytest-failed', file: 'config', range: c.range,
    message: failureMessage(c),
    data: { decision: c.got.decision, reason: c.got.reason, hook: c.got.hook, ...(c.got.rule ? { rule: c.got.rule } : {}) },
  };
}
