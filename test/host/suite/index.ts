// Entry of the extension-host suites (bundled to dist/test-host.js). `run()` is the contract of
// @vscode/test-electron's extensionTestsPath; the code-server runner extension calls it too.
// Results go to $CODEX_NETPOLICY_HOST_RESULTS as JSON when that is set.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { registeredCases, runCases, type SuiteResult } from './registry';
// Registration order = run order: the proxy case last, so language cases see a quiet host.
import './extension.cases';
import './language.cases';
import './proxy.cases';

export type { SuiteResult } from './registry';

export function writeResults(result: SuiteResult, file = process.env.CODEX_NETPOLICY_HOST_RESULTS): void {
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
}

export async function run(): Promise<void> {
  const filter = process.env.CODEX_NETPOLICY_HOST_FILTER;
  const cases = registeredCases().filter((c) => !filter || c.name.includes(filter));
  console.log(`codex-network-policy host suites: ${cases.length} case(s)`);
  const result = await runCases(cases, (line) => console.log(line));
  writeResults(result);
  console.log(`host suites: ${result.passed} passed, ${result.failed} failed`);
  if (result.failed > 0) throw new Error(`${result.failed} host case(s) failed: ${result.cases.filter((c) => !c.ok).map((c) => c.name).join('; ')}`);
  if (cases.length === 0) throw new Error(`no host case matches CODEX_NETPOLICY_HOST_FILTER=${filter}`);
}
