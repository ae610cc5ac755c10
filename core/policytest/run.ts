// Judges a policy test file's cases with the proxy's own judge (explainRequest → decide()), against
// the policy it names. Secrets are never needed: nothing is sent, so unavailable ones are notes.
import { dirname, resolve as resolvePath } from 'node:path';
import { explainRequest, toOutput, type ExplainOutput } from '../cli/explain';
import type { PolicyDiagnostic } from '../diagnostics';
import { BUILTIN_PROFILES } from '../model/profile';
import { loadPolicy, type LoadPolicyResult, type LocatedDiagnostic } from '../engine/load';
import { availableProfiles } from '../lower/resolve';
import { parsePolicyTest, type ParsedCase, type ParsedTestFile } from './parse';

export interface CaseResult {
  index: number;
  name: string;
  /** 1-based line of the `[[case]]` header. */
  line: number;
  range: ParsedCase['range'];
  pass: boolean;
  expected: string;
  got: ExplainOutput;
  /** What differs, e.g. `hook: expected github_read, got none`. Empty when the case passes. */
  mismatches: string[];
}

export interface PolicyTestRun {
  file: string;
  parsed: ParsedTestFile;
  /** Problems of the test file itself (schema, requests, unknown hooks and profiles, unreadable policy). */
  diagnostics: PolicyDiagnostic[];
  /** The policy under test's own problems (errors make the run invalid) and notes. */
  policyDiagnostics: LocatedDiagnostic[];
  policyFiles: { config?: string; requirements?: string };
  loaded?: LoadPolicyResult;
  results: CaseResult[];
  /** A test file or policy error: exit 2, whatever the cases say. */
  invalid: boolean;
}

export interface RunOptions {
  /** File text by absolute path (open editor buffers first); undefined when it cannot be read. */
  readText: (path: string) => string | undefined;
  env: Record<string, string | undefined>;
}

export function runPolicyTest(text: string, file: string, opts: RunOptions): PolicyTestRun {
  const parsed = parsePolicyTest(text, file);
  const diagnostics = [...parsed.diagnostics];
  const run: PolicyTestRun = { file, parsed, diagnostics, policyDiagnostics: [], policyFiles: {}, results: [], invalid: false };
  const finish = () => {
    run.invalid = diagnostics.some((d) => d.severity === 'error') || run.policyDiagnostics.some((d) => d.severity === 'error') || !run.loaded?.policy;
    return run;
  };
  if (parsed.config === undefined) return finish();
  const dir = dirname(file);
  const sources: Parameters<typeof loadPolicy>[0] = { env: opts.env, secrets: 'optional', ...(parsed.profile ? { profile: parsed.profile } : {}) };
  for (const key of ['config', 'requirements'] as const) {
    const rel = parsed[key];
    if (rel === undefined) continue;
    const abs = resolvePath(dir, rel);
    run.policyFiles[key] = abs;
    const body = opts.readText(abs);
    if (body === undefined) diagnostics.push({ path: [key], target: 'value', severity: 'error', code: 'policytest-policy-missing', message: `cannot read ${key} file ${abs}` });
    else sources[key] = { file: abs, text: body };
  }
  if (diagnostics.some((d) => d.path.length === 1 && d.code === 'policytest-policy-missing')) return finish();
  const loaded = loadPolicy(sources);
  run.loaded = loaded;
  run.policyDiagnostics = loaded.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'information');
  // The test file's own profile error says it better than the resolver's (which points at config).
  if (checkProfile(parsed, loaded, diagnostics)) run.policyDiagnostics = run.policyDiagnostics.filter((d) => d.code !== 'profile-undefined');
  const policy = loaded.policy;
  if (!policy) {
    const first = loaded.diagnostics.find((d) => d.severity === 'error');
    if (first && !diagnostics.some((d) => d.path[0] === 'profile')) {
      diagnostics.push({ path: ['config'], target: 'value', severity: 'error', code: 'policytest-policy-invalid', message: `the policy under test is invalid: ${first.file}:${first.range.start.line + 1}: ${first.message}` });
    }
    return finish();
  }
  const hooks = new Set(policy.effective.hooks.map((h) => h.name));
  for (const c of parsed.cases) {
    if (c.spec.hook !== undefined && !hooks.has(c.spec.hook)) {
      const known = [...hooks].map((h) => `\`${h}\``).join(', ') || 'none';
      diagnostics.push({ path: ['case', c.index, 'hook'], target: 'value', severity: 'error', code: 'policytest-unknown-hook', message: `no hook \`${c.spec.hook}\` in profile \`${policy.effective.profile}\` (hooks: ${known})` });
    }
    const r = explainRequest(policy, { method: c.method, url: c.url, headers: c.headers, resolve: c.resolve });
    if ('error' in r) {
      diagnostics.push({ path: ['case', c.index, 'request'], target: 'value', severity: 'error', code: 'policytest-invalid', message: r.error });
      continue;
    }
    const got = toOutput(r.final);
    const mismatches = compare(c, got);
    run.results.push({ index: c.index, name: c.label, line: c.range.start.line + 1, range: c.range, pass: mismatches.length === 0, expected: describeExpectation(c), got, mismatches });
  }
  return finish();
}

function checkProfile(parsed: ParsedTestFile, loaded: LoadPolicyResult, out: PolicyDiagnostic[]): boolean {
  const p = parsed.profile;
  if (p === undefined || (BUILTIN_PROFILES as readonly string[]).includes(p)) return false;
  const names = [...availableProfiles(loaded.documents).keys()];
  if (!names.includes(p)) {
    const known = [...names, ...BUILTIN_PROFILES].map((n) => `\`${n}\``).join(', ');
    out.push({ path: ['profile'], target: 'value', severity: 'error', code: 'policytest-unknown-profile', message: `no permission profile \`${p}\` in the policy under test (profiles: ${known})` });
    return true;
  }
  return false;
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const x = new Set(a.map((s) => s.toLowerCase()));
  const y = new Set(b.map((s) => s.toLowerCase()));
  return x.size === y.size && [...x].every((s) => y.has(s));
};
const list = (a: readonly string[]) => (a.length ? a.join(', ') : 'none');

function compare(c: ParsedCase, got: ExplainOutput): string[] {
  const s = c.spec;
  const out: string[] = [];
  if (s.expect !== got.decision) out.push(`decision: expected ${s.expect}, got ${got.decision}`);
  if (s.reason !== undefined && s.reason !== got.reason) out.push(`reason: expected ${s.reason}, got ${got.reason ?? 'none'}`);
  if (s.hook !== undefined && s.hook !== got.hook) out.push(`hook: expected ${s.hook}, got ${got.hook ?? 'none'}`);
  if (s.strip !== undefined && !sameSet(s.strip, got.headers.strip)) out.push(`strip: expected ${list(s.strip)}, got ${list(got.headers.strip)}`);
  if (s.inject !== undefined && !sameSet(s.inject, got.headers.inject)) out.push(`inject: expected ${list(s.inject)}, got ${list(got.headers.inject)}`);
  if (s.status !== undefined && s.status !== got.status) out.push(`status: expected ${s.status}, got ${got.status}`);
  if (s.mitm !== undefined && s.mitm !== got.mitm) out.push(`mitm: expected ${s.mitm}, got ${got.mitm}`);
  return out;
}

function describeExpectation(c: ParsedCase): string {
  const s = c.spec;
  const extra = [s.reason && `reason ${s.reason}`, s.hook && `hook ${s.hook}`].filter(Boolean);
  return `${s.expect}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** One line for a decision: `deny (mitm_hook_denied)`, `allow via hook github_read`. */
export function describeDecision(got: ExplainOutput): string {
  if (got.decision === 'deny') return `deny (${got.reason ?? got.proxyError ?? got.status})`;
  return `allow${got.hook ? ` via hook ${got.hook}` : ''}`;
}
