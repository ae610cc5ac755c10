// Policy tests and the effective policy in a real VS Code (code-server + chromium; skips without
// the e2e tooling): a failing [[case]] shows in the Problems view and clears when fixed in the
// editor; the *Codex Effective Policy* tree shows a managed deny winning over a user allow (the
// allow greyed as inert) and its row opens requirements.toml on the deny's line.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cursorAt, goTo } from '../e2e/editor';
import {
  e2eSkipReason, openFile, openWorkbench, PROJECT_ROOT, runCommand, screenshot, startCodeServer, waitForProblem, waitUntil,
  type CodeServer, type Workbench,
} from '../e2e/harness';

const CONFIG = `default_permissions = "work"

[permissions.work.network]
enabled = true

[permissions.work.network.domains]
"api.github.com" = "allow"
"evil.example.com" = "allow"
`;
const REQUIREMENTS = `[experimental_network.domains]
"evil.example.com" = "deny"
`;
const TESTS = `config = ".codex/config.toml"
requirements = ".codex/requirements.toml"

[[case]]
name = "GitHub API"
request = "GET https://api.github.com/repos/acme/app"
expect = "allow"

[[case]]
name = "evil is reachable"
request = "GET https://evil.example.com/"
expect = "allow"
`;
const FAILED = 'evil is reachable';
const EXPECT_LINE = TESTS.split('\n').lastIndexOf('expect = "allow"') + 1; // 1-based
const DENY_LINE = REQUIREMENTS.split('\n').indexOf('"evil.example.com" = "deny"') + 1;

test('policy tests + effective policy e2e: failing case in Problems, fixed; managed deny over user allow in the tree', { skip: e2eSkipReason() ?? false, timeout: 420_000 }, async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'cnp-pt-e2e-'));
  const ws = join(scratch, 'ws');
  mkdirSync(join(ws, '.codex'), { recursive: true });
  writeFileSync(join(ws, '.codex', 'config.toml'), CONFIG);
  writeFileSync(join(ws, '.codex', 'requirements.toml'), REQUIREMENTS);
  writeFileSync(join(ws, 'policy.policytest.toml'), TESTS);
  // Workspace settings: code-server ignores machine-scoped keys in the (browser-side) user settings.
  mkdirSync(join(ws, '.vscode'));
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'codexNetworkPolicy.requirementsPath': join(ws, '.codex', 'requirements.toml') }));
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  const t0 = Date.now();
  const lap = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    server = await startCodeServer({
      extensionDir: PROJECT_ROOT, workspace: ws, env: { CODEX_NETPOLICY_HOME: join(scratch, 'home') },
    });
    wb = await openWorkbench(server);
    const { page } = wb;
    await server.waitForActivation('codex-netpolicy.codex-network-policy', 180_000); // generous: the suite runs e2e tests side by side
    lap('workbench ready');

    // 1. The failing case is an error on its [[case]], with the actual decision.
    await openFile(page, 'policy.policytest.toml');
    await waitForProblem(page, FAILED, 60_000);
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: FAILED }).first();
    const label = (await row.getAttribute('aria-label')) ?? '';
    t.diagnostic(`problem: ${label}`);
    assert.match(label, /^Error: /);
    assert.match(label, /expected allow, got deny \(denied\)/);
    assert.match(label, /at line 9 and character 1/, 'on the second [[case]] header');
    assert.equal(await page.locator('.markers-panel .monaco-list-row', { hasText: 'GitHub API' }).count(), 0, 'the passing case has no diagnostic');
    await screenshot(page, 'policytest-failing');
    lap('failing case in Problems');

    // 2. Fix the expectation in the editor: the diagnostic clears.
    await goTo(page, EXPECT_LINE);
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('expect = "deny"');
    await waitUntil(async () => (await page.locator('.markers-panel .monaco-list-row', { hasText: FAILED }).count()) === 0, 'the failing case cleared', 20_000);
    lap('cleared after the fix');

    // 3. The effective policy tree: the managed deny is in force, the user allow inert with why.
    await runCommand(page, 'Codex Network Policy: Show Effective Policy');
    // Room for the tree: fold the Explorer's folder section and close the bottom panel.
    const folders = page.locator('.pane-header', { hasText: 'ws' }).first();
    if ((await folders.getAttribute('aria-expanded')) === 'true') await folders.click();
    await runCommand(page, 'View: Close Panel').catch(() => undefined);
    const tree = page.locator('.pane', { hasText: 'Codex Effective Policy' }).first();
    const denyRow = tree.locator('.monaco-list-row', { hasText: 'deny evil.example.com' }).first();
    await denyRow.waitFor({ state: 'visible', timeout: 30_000 });
    const denyText = await denyRow.innerText();
    t.diagnostic(`deny row: ${JSON.stringify(denyText)}`);
    assert.match(denyText, new RegExp(`managed · requirements\\.toml:${DENY_LINE}`));
    const allowRow = tree.locator('.monaco-list-row', { hasText: 'allow evil.example.com' }).first();
    await allowRow.waitFor({ state: 'visible', timeout: 10_000 });
    const allowText = await allowRow.innerText();
    t.diagnostic(`inert row: ${JSON.stringify(allowText)}`);
    assert.match(allowText, /inert: overridden by managed deny `evil\.example\.com`/);
    await screenshot(page, 'effective-policy-tree');

    // 4. The deny row links to its line in requirements.toml.
    await denyRow.click();
    await page.locator('.tabs-container .tab.active', { hasText: 'requirements.toml' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await waitUntil(async () => (await cursorAt(page)).line === DENY_LINE, `cursor on requirements.toml:${DENY_LINE}`, 10_000);
    lap('tree row opened the source line');
  } catch (e) {
    if (wb) await screenshot(wb.page, 'policytest-e2e-failure').catch(() => undefined);
    if (server) t.diagnostic(server.extensionHostLog().slice(-3000));
    throw e;
  } finally {
    await wb?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
});
