// `npm run demo` in a real VS Code (code-server + chromium; skips without the e2e tooling), offline:
// the demo's stand-ins answer for its hosts. Every TRY-ME request is typed into a proxied terminal
// and gives its promised output; the decision log then shows status/duration/size, sorts, groups by
// host, draws the overview, and its detail pane leads with the explanation and the rule (a link to
// the rule's line), raw fields folded; the list works from the keyboard (aria-activedescendant).
// The screenshots it takes are the README's images (copied to docs/images).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TRY_ME } from '../../scripts/demo/tryMe';
import { cursorAt, lineText } from '../e2e/editor';
import { prepareDemo, type Demo } from '../../scripts/demo/workspace';
import {
  e2eSkipReason, openFile, openWorkbench, PROJECT_ROOT, publishScreenshot, runCommand, screenshot, startCodeServer, terminalRun, waitForNotification, waitForTerminalText, waitUntil,
  type CodeServer, type Workbench,
} from '../e2e/harness';

test('demo e2e: every TRY-ME request in a proxied terminal, then the decision log', { skip: e2eSkipReason() ?? false, timeout: 420_000 }, async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'cnp-demo-e2e-'));
  let demo: Demo | undefined;
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    demo = await prepareDemo(PROJECT_ROOT);
    server = await startCodeServer({
      extensionDir: PROJECT_ROOT, workspace: demo.workspace, settings: demo.settings,
      env: { ...demo.env, CODEX_NETPOLICY_HOME: join(scratch, 'home') },
    });
    wb = await openWorkbench(server);
    const { page } = wb;
    await server.waitForActivation('codex-netpolicy.codex-network-policy');
    const status = page.locator('.statusbar-item', { hasText: 'Codex proxy' }).first();
    await waitUntil(async () => /Codex proxy: \d+ ✓ \d+ ✗/.test(await status.innerText()), 'status bar: running (autoStart)', 60_000);

    await openFile(page, '.codex/config.toml');
    await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: 20_000 });
    publishScreenshot(await screenshot(page, 'editor'));

    await runCommand(page, 'Codex Network Policy: Open Proxied Terminal');
    await waitUntil(async () => (await page.locator('.terminal-wrapper.active .xterm-rows').first().innerText().catch(() => '')).trim().length > 0, 'proxied shell prompt', 30_000);
    for (const [i, tm] of TRY_ME.entries()) {
      // The command exactly as TRY-ME.md shows it; its output goes to a file the test reads.
      const out = join(scratch, `try-${i}.txt`);
      await terminalRun(page, `clear; ${tm.command} > ${out} 2>&1; echo tried-${i}`);
      await waitForTerminalText(page, new RegExp(`^tried-${i}\\s*$`, 'm'), 30_000);
      const text = readFileSync(out, 'utf8');
      for (const re of tm.expect.output ?? []) assert.match(text, re, `${tm.command}: ${text}`);
      for (const re of tm.expect.absent ?? []) assert.doesNotMatch(text, re, `${tm.command}: ${text}`);
      t.diagnostic(`TRY-ME ${i + 1} ok: ${tm.command}`);
    }

    await runCommand(page, 'Codex Network Policy: Show Decision Log');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const rows = frame.locator('[data-testid="row"]');
    await waitUntil(async () => (await rows.count()) >= TRY_ME.length, 'rows for the TRY-ME requests', 20_000);
    // Upstream status arrives with the outcome: the hooked GET shows 200 and a size.
    const pulls = frame.locator('[data-testid="row"][data-hook="github_controlled_access"]').first();
    await waitUntil(async () => (await pulls.locator('.c-status').innerText()) === '200', 'upstream status 200 on the injected GET', 10_000);
    assert.match(await pulls.locator('.c-bytes').innerText(), /\d+(\.\d)? (B|KB)/);
    assert.match(await pulls.locator('.c-duration').innerText(), /\d+ ms|\d\.\d s/);

    // The overview draws bars and lists the top blocked hosts.
    assert.ok((await frame.locator('[data-testid="overview-chart"] rect').count()) > 0, 'overview bars');
    assert.match(await frame.locator('[data-testid="top-blocked"]').innerText(), /tracker\.example\.com \(\d+\)/);

    // Sorting by status puts the 403s first (descending), and the header says so to screen readers.
    await frame.locator('[data-testid="sort-status"]').click();
    assert.equal(await frame.locator('[data-testid="sort-status"]').locator('xpath=..').getAttribute('aria-sort'), 'descending');
    assert.equal(await rows.first().locator('.c-status').innerText(), '403');

    // A blocked row: the sentence and the rule lead, Allow host is the primary action.
    await frame.locator('[data-testid="row"][data-host="tracker.example.com"]').first().click();
    const why = await frame.locator('[data-testid="explanation"]').innerText();
    assert.match(why, /tracker\.example\.com is denied by `tracker\.example\.com` \(config\.toml:\d+\), and a deny always wins/);
    assert.match(await frame.locator('[data-testid="rule-link"]').innerText(), /^Rule: config\.toml:\d+$/);
    assert.equal(await frame.locator('[data-testid="allow-host"]').getAttribute('class'), 'primary');
    // …the raw fields come last, folded.
    assert.equal(await frame.locator('[data-testid="raw-fields"]').getAttribute('open'), null, 'raw fields folded');
    assert.match(await frame.locator('[data-testid="detail"]').innerText(), /^[^\n]*denied by[\s\S]*\nRule: config\.toml:\d+[\s\S]*All fields/);
    // The DNS failure is told apart from a local-address block.
    await frame.locator('[data-testid="row"][data-host="mirror.company.invalid"]').first().click();
    assert.match(await frame.locator('[data-testid="explanation"]').innerText(), /mirror\.company\.invalid could not be resolved \([A-Z_]+\), and Codex fails closed/);
    publishScreenshot(await screenshot(page, 'decision-log'));

    // Group by host: one header per host with counts; Enter collapses a group from the keyboard.
    await frame.locator('[data-testid="group-by-host"]').click();
    const groups = frame.locator('[data-testid="group"]');
    await waitUntil(async () => (await groups.count()) >= 5, 'one group per host', 10_000);
    assert.match(await frame.locator('[data-testid="group"][data-host="api.github.com"]').innerText(), /api\.github\.com\s+—\s+\d+ requests?: \d+ allowed, \d+ blocked/);
    publishScreenshot(await screenshot(page, 'decision-log-grouped'));

    // Keyboard and screen readers: from the filter, ArrowDown enters the list; the active item is
    // announced through aria-activedescendant; Enter collapses and expands a group; arrows move.
    const list = frame.locator('[data-testid="list"]');
    const activeId = async () => (await list.getAttribute('aria-activedescendant')) ?? '';
    await frame.locator('[data-testid="filter"]').press('ArrowDown');
    await list.press('Home');
    const firstId = await waitUntil(async () => { const id = await activeId(); return id === 'item-0' ? id : null; }, 'the first item active', 10_000);
    const firstGroup = frame.locator(`#${firstId}`);
    assert.equal(await firstGroup.getAttribute('data-testid'), 'group');
    assert.equal(await firstGroup.getAttribute('aria-selected'), 'true');
    const groupOf = frame.locator(`[data-testid="group"][data-host="${(await firstGroup.getAttribute('data-host'))!}"]`);
    assert.equal(await groupOf.getAttribute('aria-expanded'), 'true');
    await list.press('Enter');
    await waitUntil(async () => (await groupOf.getAttribute('aria-expanded')) === 'false', 'Enter collapsed the group', 10_000);
    assert.match((await groupOf.getAttribute('aria-label')) ?? '', /collapsed$/);
    await list.press('ArrowDown');
    await waitUntil(async () => (await activeId()) === 'item-1', 'ArrowDown moved the active item', 10_000);
    await list.press('ArrowUp');
    await waitUntil(async () => (await activeId()) === firstId, 'ArrowUp moved back', 10_000);
    await list.press('Enter');
    await waitUntil(async () => (await groupOf.getAttribute('aria-expanded')) === 'true', 'Enter expanded the group again', 10_000);

    // The rule in the detail pane is a link: it opens the policy on the rule's line.
    await frame.locator('[data-testid="row"][data-host="tracker.example.com"]').first().click();
    const ruleLine = Number(/config\.toml:(\d+)$/.exec(await frame.locator('[data-testid="rule-link"]').innerText())![1]);
    await frame.locator('[data-testid="rule-link"]').click();
    await page.locator('.tabs-container .tab.active', { hasText: 'config.toml' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await waitUntil(async () => (await cursorAt(page)).line === ruleLine, `cursor on config.toml:${ruleLine}`, 10_000);
    assert.match(await lineText(page, ruleLine), /tracker\.example\.com/);

    // Commands answer: Start while running says where it runs (the proxy's own profile), Stop and
    // Start confirm in the status bar.
    await runCommand(page, 'Codex Network Policy: Start Proxy');
    assert.match(await waitForNotification(page, /already running on/), /already running on 127\.0\.0\.1:\d+, profile workspace \(full mode\)/);
    await runCommand(page, 'Codex Network Policy: Stop Proxy');
    await page.locator('.statusbar-item', { hasText: 'Codex policy proxy stopped' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await runCommand(page, 'Codex Network Policy: Start Proxy');
    await page.locator('.statusbar-item', { hasText: /Codex policy proxy started on 127\.0\.0\.1:\d+, profile workspace/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
  } catch (e) {
    if (wb) await screenshot(wb.page, 'demo-e2e-failure').catch(() => undefined);
    throw e;
  } finally {
    await wb?.close();
    await server?.stop();
    await demo?.close();
    rmSync(demo?.workspace ?? join(scratch, 'none'), { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});
