// Policy test files: a *Run* / *Debug in Explain* code lens on each `[[case]]`, and the request
// behind *Run* (re-judge now, republish diagnostics, answer with the summary).
import type { CodeLens } from 'vscode-languageserver/node';
import type { FeatureRegistration } from '../context';
import { failureMessage } from '../policyTests';

const RUN_REQUEST = 'codexNetworkPolicy/runPolicyTests';

export interface RunSummary {
  passed: number;
  failed: number;
  invalid: boolean;
  failures: { name: string; line: number; message: string }[];
  problems: string[];
}

/** What *Debug in Explain* opens the Explain Request flow with. */
export interface ExplainPrefill {
  method: string;
  url: string;
  headers: [string, string][];
  resolve: [string, string[]][];
  config?: string;
  requirements?: string;
  profile?: string;
}

export const register: FeatureRegistration = (ctx) => {
  ctx.connection.onCodeLens((params) => ctx.safe<CodeLens[]>('codeLens', [], () => {
    const a = ctx.analysis(params.textDocument.uri);
    const run = a?.policyTest;
    if (!a || !run) return [];
    const lenses: CodeLens[] = [];
    for (const c of run.parsed.cases) {
      const r = run.results.find((x) => x.index === c.index);
      const state = !r ? '' : r.pass ? ' ✓ passed' : ' ✗ failed';
      lenses.push({ range: c.range, command: { title: `Run${state}`, command: 'codexNetworkPolicy.runPolicyTests', arguments: [a.uri] } });
      const prefill: ExplainPrefill = {
        method: c.method, url: c.url, headers: c.headers, resolve: [...c.resolve],
        ...run.policyFiles, ...(run.parsed.profile ? { profile: run.parsed.profile } : {}),
      };
      lenses.push({ range: c.range, command: { title: 'Debug in Explain', command: 'codexNetworkPolicy.explainRequest', arguments: [prefill] } });
    }
    return lenses;
  }));

  ctx.connection.onRequest(RUN_REQUEST, (params: { uri: string }) => ctx.safe<RunSummary | null>('runPolicyTests', null, () => {
    ctx.refresh(params.uri);
    const run = ctx.analysis(params.uri)?.policyTest;
    if (!run) return null;
    return {
      passed: run.results.filter((r) => r.pass).length,
      failed: run.results.filter((r) => !r.pass).length,
      invalid: run.invalid,
      failures: run.results.filter((r) => !r.pass).map((r) => ({ name: r.name, line: r.line, message: failureMessage(r) })),
      problems: [...run.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), ...run.policyDiagnostics.filter((d) => d.severity === 'error').map((d) => d.message)],
    };
  }));
};
