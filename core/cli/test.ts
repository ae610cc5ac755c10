// `codex-netpolicy test [FILE|DIR]...`: runs `*.policytest.toml` cases with the proxy's judge.
// Exit 0 all pass, 1 a case fails, 2 a test file or the policy under test is invalid.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Io } from './io';
import { parseArgs, UsageError } from './args';
import { POLICY_TEST_FILE } from '../model/policyTest';
import { rangeOf } from '../toml/load';
import { describeDecision, runPolicyTest, type PolicyTestRun } from '../policytest/run';
import { formatDiagnostic, shownPath } from './policyFiles';

const HELP = `Usage: codex-netpolicy test [--json] [FILE|DIR]...

Runs the cases of *.policytest.toml files (default: every one under the current folder) with the
proxy's own decision engine. Nothing is sent and no secret is needed: an unset secret_env_var or
a missing secret_file is a note.

  --json   One JSON object: {files: [...], passed, failed}

Exit status: 0 all cases pass, 1 a case fails, 2 a test file or the policy under test is invalid.`;

const SKIP_DIRS = new Set(['node_modules', '.git']);

/** Every policy test file under the given files and folders, sorted. */
export function findPolicyTests(targets: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) { if (!SKIP_DIRS.has(name)) walk(p); } else if (POLICY_TEST_FILE.test(name)) out.push(p);
    }
  };
  for (const t of targets) {
    const abs = resolve(t);
    let st;
    try { st = statSync(abs); } catch { throw new UsageError(`${t}: no such file or directory`); }
    if (st.isDirectory()) walk(abs);
    else out.push(abs);
  }
  return [...new Set(out)];
}

const readText = (p: string): string | undefined => {
  try { return readFileSync(p, 'utf8'); } catch { return undefined; }
};



export function runTest(argv: string[], io: Io): number {
  const args = parseArgs(argv, { flags: ['json', 'help'], options: [] });
  if (args.flags.has('help')) {
    io.out(HELP);
    return 0;
  }
  const files = findPolicyTests(args.positionals.length ? args.positionals : ['.']);
  if (!files.length) {
    io.err('no *.policytest.toml files found');
    return 2;
  }
  const runs = files.map((f) => runPolicyTest(readFileSync(f, 'utf8'), f, { readText, env: io.env }));
  const passed = runs.reduce((n, r) => n + r.results.filter((c) => c.pass).length, 0);
  const failed = runs.reduce((n, r) => n + r.results.filter((c) => !c.pass).length, 0);
  const invalid = runs.some((r) => r.invalid);
  if (args.flags.has('json')) io.out(JSON.stringify({ files: runs.map(toJson), passed, failed, invalid }, null, 2));
  else {
    for (const r of runs) printRun(r, io);
    io.out(`${passed} passed, ${failed} failed`);
  }
  return invalid ? 2 : failed ? 1 : 0;
}

function printRun(r: PolicyTestRun, io: Io): void {
  for (const d of r.diagnostics) {
    const range = d.range ?? rangeOf(r.parsed.doc.index, d.path, d.target);
    io.err(`${shownPath(r.file)}:${range.start.line + 1}:${range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}`);
  }
  for (const d of r.policyDiagnostics) io.err(formatDiagnostic({ ...d, message: `${d.severity === 'error' ? 'error' : 'note'}: ${d.message}` }));
  for (const c of r.results) {
    if (c.pass) continue;
    const rule = c.got.rule ? `${shownPath(c.got.rule.file)}:${c.got.rule.line}` : 'no rule matched';
    io.out(`${shownPath(r.file)}:${c.line}: FAIL ${JSON.stringify(c.name)}: expected ${c.expected}, got ${describeDecision(c.got)} — rule ${rule}`);
    for (const m of c.mismatches) io.out(`    ${m}`);
  }
}

function toJson(r: PolicyTestRun) {
  return {
    file: r.file,
    invalid: r.invalid,
    policy: r.policyFiles,
    diagnostics: r.diagnostics.map((d) => ({ range: d.range ?? rangeOf(r.parsed.doc.index, d.path, d.target), severity: d.severity, code: d.code, message: d.message })),
    policyDiagnostics: r.policyDiagnostics,
    cases: r.results.map((c) => ({ name: c.name, line: c.line, pass: c.pass, expected: c.expected, got: c.got, mismatches: c.mismatches })),
  };
}
