// Runs the extension-host suites (test/host/suite → dist/test-host.js) inside code-server: our
// extension plus the runner extension (test/host/runner-extension), which calls run() once our
// extension is active. The extension host starts only when a browser connects, so the workbench
// is opened in chromium. Skips without the e2e tooling (bash scripts/e2e/setup.sh).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eSkipReason, openWorkbench, PROJECT_ROOT, startCodeServer, waitUntil, type CodeServer, type Workbench } from '../e2e/harness';
import type { SuiteResult } from './suite/registry';

const SUITE = join(PROJECT_ROOT, 'dist', 'test-host.js');
const RUNNER = join(PROJECT_ROOT, 'test', 'host', 'runner-extension');
const FIXTURE = join(PROJECT_ROOT, 'test', 'host', 'fixtures', 'workspace');

function readResults(file: string): SuiteResult | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SuiteResult;
  } catch {
    return null; // being written
  }
}

test('extension-host suites in code-server', { skip: e2eSkipReason() ?? false, timeout: 240_000 }, async (t) => {
  assert.ok(existsSync(SUITE), `${SUITE} missing: build first (npm test builds)`);
  const scratch = mkdtempSync(join(tmpdir(), 'cnp-host-'));
  const workspace = join(scratch, 'workspace');
  cpSync(FIXTURE, workspace, { recursive: true });
  const resultsFile = join(scratch, 'results.json');
  const home = join(scratch, 'netpolicy-home');
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    const t0 = Date.now();
    server = await startCodeServer({
      extensionDir: [PROJECT_ROOT, RUNNER],
      workspace,
      env: { CODEX_NETPOLICY_HOST_SUITE: SUITE, CODEX_NETPOLICY_HOST_RESULTS: resultsFile, CODEX_NETPOLICY_HOME: home },
    });
    wb = await openWorkbench(server);
    t.diagnostic(`workbench ready in ${wb.readyMs} ms`);
    const result = await waitUntil(() => readResults(resultsFile), `suite results in ${resultsFile}`, 120_000, 250).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- extension host log (tail) ---\n${server!.extensionHostLog().slice(-4000)}`);
    });
    t.diagnostic(`suites finished ${Date.now() - t0} ms after code-server spawn`);
    for (const c of result.cases) t.diagnostic(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.ms} ms)${c.error ? `\n${c.error}` : ''}`);
    assert.ok(result.cases.length >= 6, `expected at least 6 cases, got ${result.cases.length}`);
    const failed = result.cases.filter((c) => !c.ok);
    assert.deepEqual(failed.map((c) => `${c.name}: ${c.error}`), [], 'every host case passes');
    assert.equal(result.passed, result.cases.length);
    assert.equal(existsSync(join(home, 'proxy.json')), false, 'no proxy state left behind');
  } finally {
    await wb?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
});
