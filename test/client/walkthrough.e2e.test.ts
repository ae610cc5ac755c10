// The walkthrough (contributes.walkthroughs) in a real VS Code (code-server + chromium; skips
// without the e2e tooling): it is listed on the Welcome page and opens from "Welcome: Open
// Walkthrough...", shows its five steps, and each step's button runs its command: the proxy starts
// (the status bar tooltip then shows the proxy's own profile and the CA fingerprint in full), the
// CA dialog shows the same fingerprint, a proxied terminal and the decision log open, the policy
// opens. Restart and Stop confirm in the status bar and the output log.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  e2eSkipReason, outputChannelLog, publishScreenshot, runCommand, screenshot, terminalRun, waitForTerminalText, waitUntil, type Page,
} from '../e2e/harness';
import { withSession } from '../e2e/session';

const CONFIG = `# walkthrough e2e
default_permissions = "work"

[permissions.work.network]
enabled = true
mode = "limited"

[permissions.work.network.domains]
"api.test" = "allow"
`;
const STEPS = ['Open your policy', 'Start the proxy', 'Open a proxied terminal', 'Read the decision log', 'Trust the CA'];
/** Each step's media (docs/walkthrough/*.md, shipped in the .vsix) and its heading. */
const MEDIA: Record<string, string> = {
  'Open your policy': 'Your policy', 'Start the proxy': 'The policy proxy', 'Open a proxied terminal': 'A proxied terminal',
  'Read the decision log': 'The decision log', 'Trust the CA': 'Trust the proxy\'s CA',
};
const TITLE = 'Get started with Codex Network Policy';
const STEP = '.gettingStartedSlideDetails .getting-started-step';

async function stepTitles(page: Page): Promise<string[]> {
  return (await page.locator(`${STEP} .step-title`).allInnerTexts()).map((s) => s.trim());
}

/** Brings the walkthrough's tab back to the front when another editor covers it. */
async function showWalkthrough(page: Page): Promise<void> {
  if (await page.locator(STEP).first().isVisible()) return;
  await page.locator('.tabs-container .tab', { hasText: /Welcome|Walkthrough/ }).first().click();
  await page.locator(STEP).first().waitFor({ state: 'visible', timeout: 15_000 });
}

/** The heading of the markdown media shown next to the steps (a webview). */
async function waitForMedia(page: Page, heading: string): Promise<void> {
  const h1 = page.frameLocator('iframe.webview.ready:visible').frameLocator('iframe#active-frame').locator('h1').first();
  await waitUntil(async () => (await h1.innerText({ timeout: 3000 }).catch(() => '')).trim() === heading, `walkthrough media "${heading}"`, 30_000, 500);
}

/** Expands a step (its media follows) and clicks its button. */
async function runStep(page: Page, title: string, button: string): Promise<void> {
  await showWalkthrough(page);
  const step = page.locator(STEP, { hasText: title }).first();
  await waitUntil(async () => {
    if ((await step.getAttribute('aria-expanded')) !== 'true') await step.click();
    return (await step.getAttribute('aria-expanded')) === 'true';
  }, `step "${title}" expanded`, 15_000, 300);
  await waitForMedia(page, MEDIA[title]!);
  await step.locator('.monaco-button', { hasText: button }).first().click();
}

/** The step's own checkbox turns checked (its completionEvents fired on the command). */
async function stepDone(page: Page, id: string): Promise<void> {
  await showWalkthrough(page);
  const box = page.locator(`[data-done-step-id$="#${id}"]`).first();
  await waitUntil(async () => (await box.getAttribute('aria-checked')) === 'true', `step ${id} checked`, 20_000);
}

const fingerprintsIn = (text: string): string[] => text.match(/\b[0-9A-F]{2}(?::[0-9A-F]{2}){7,}\b/g) ?? [];

test('walkthrough e2e: Welcome page and command, five steps, each step\'s command; tooltip profile and fingerprint; Restart/Stop confirm', { skip: e2eSkipReason() ?? false, timeout: 420_000 }, async (t) => {
  await withSession(t, { name: 'walkthrough-e2e', files: { '.codex/config.toml': CONFIG } }, async ({ page, server, scratch, lap }) => {
    // 1. Listed on the Welcome page; opening it there shows the five steps in order.
    await runCommand(page, 'Help: Welcome');
    const card = page.locator('.getting-started-category', { hasText: TITLE }).first();
    await card.waitFor({ state: 'visible', timeout: 30_000 });
    await card.click();
    assert.deepEqual(await waitUntil(async () => { const s = await stepTitles(page); return s.length === STEPS.length ? s : null; }, 'the walkthrough steps', 20_000), STEPS);
    await waitForMedia(page, MEDIA[STEPS[0]!]!);
    publishScreenshot(await screenshot(page, 'walkthrough'));
    lap('walkthrough from the Welcome page');
    await runCommand(page, 'View: Close All Editors');
    await page.locator(STEP).first().waitFor({ state: 'hidden', timeout: 10_000 });

    // 2. …and from the command palette.
    await runCommand(page, 'Welcome: Open Walkthrough...');
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: TITLE }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    assert.deepEqual(await waitUntil(async () => { const s = await stepTitles(page); return s.length === STEPS.length ? s : null; }, 'the walkthrough steps (command)', 20_000), STEPS);
    lap('walkthrough opened both ways');

    // 3. Start the proxy: running, confirmed with where it runs; the step is checked.
    const status = page.locator('.statusbar-item', { hasText: 'Codex proxy' }).first();
    assert.match(await status.innerText(), /Codex proxy: off/);
    await runStep(page, 'Start the proxy', 'Start Proxy');
    await waitUntil(async () => /Codex proxy: 0 ✓ 0 ✗/.test(await status.innerText()), 'status bar: running', 30_000);
    await page.locator('.statusbar-item', { hasText: /Codex policy proxy started on 127\.0\.0\.1:\d+, profile work \(limited mode\)/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await stepDone(page, 'startProxy');

    // The tooltip: the profile the proxy announced, the mode, and the CA fingerprint in full.
    const fingerprint = new X509Certificate(readFileSync(join(scratch, 'home', 'ca', 'ca.pem'))).fingerprint256;
    const tooltip = await waitUntil(async () => {
      await status.hover();
      const text = await page.locator('.workbench-hover').first().innerText({ timeout: 3000 }).catch(() => '');
      return /CA SHA-256/.test(text) ? text : null;
    }, 'status bar tooltip with the fingerprint', 20_000, 500);
    t.diagnostic(`tooltip: ${tooltip.replace(/\s+/g, ' ')}`);
    assert.match(tooltip, /Profile\s+work\b/);
    assert.match(tooltip, /Mode\s+limited\b/);
    assert.equal(fingerprintsIn(tooltip).join(':'), fingerprint, 'the tooltip shows the whole fingerprint (two rows of 16 bytes)');
    await screenshot(page, 'walkthrough-status-tooltip');
    await page.locator('.part.editor').first().hover();
    lap('proxy started from the walkthrough');

    // 4. Trust the CA: the dialog shows the same fingerprint, in one piece.
    await runStep(page, 'Trust the CA', 'Reveal CA Certificate');
    const dialog = page.locator('.monaco-dialog-box').first();
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    const ca = await dialog.innerText();
    assert.match(ca, /SHA-256 fingerprint:/);
    assert.deepEqual(fingerprintsIn(ca), [fingerprint]);
    await screenshot(page, 'walkthrough-ca');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    await stepDone(page, 'ca');

    // 5. Open a proxied terminal: its shell has the proxy's environment.
    await runStep(page, 'Open a proxied terminal', 'Open Proxied Terminal');
    await waitUntil(async () => (await page.locator('.terminal-wrapper.active .xterm-rows').first().innerText().catch(() => '')).trim().length > 0, 'proxied shell prompt', 30_000);
    await terminalRun(page, 'echo "marker=$CODEX_NETPOLICY_PROXY proxy=${HTTPS_PROXY%%:*}"');
    assert.match(await waitForTerminalText(page, /^marker=\S* proxy=\S*\s*$/m, 20_000), /^marker=1 proxy=http\s*$/m);
    await stepDone(page, 'terminal');

    // 6. Read the decision log: the panel opens.
    await runStep(page, 'Read the decision log', 'Show Decision Log');
    // The walkthrough's own markdown media is a webview too: take the visible one.
    const frame = page.frameLocator('iframe.webview.ready:visible').frameLocator('iframe#active-frame');
    await frame.locator('[data-testid="filter"]').waitFor({ state: 'visible', timeout: 30_000 });
    await stepDone(page, 'log'); // the panel covered the walkthrough: back to its tab

    // 7. Open your policy: the policy in force opens in an editor (no file search involved).
    await runStep(page, 'Open your policy', 'Open your policy');
    await page.locator('.tabs-container .tab.active', { hasText: 'config.toml' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    lap('every step ran its command');

    // 8. Restart and Stop confirm in the status bar and in the output log.
    await runCommand(page, 'Codex Network Policy: Restart Proxy');
    const restarted = /Codex policy proxy restarted on 127\.0\.0\.1:\d+, profile work \(limited mode\)/;
    await page.locator('.statusbar-item', { hasText: restarted }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await waitUntil(() => restarted.test(outputChannelLog(server, 'Codex Network Policy')), 'restart in the output log', 15_000);
    await runCommand(page, 'Codex Network Policy: Stop Proxy');
    await page.locator('.statusbar-item', { hasText: 'Codex policy proxy stopped' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await waitUntil(() => /Codex policy proxy stopped/.test(outputChannelLog(server, 'Codex Network Policy')), 'stop in the output log', 15_000);
    await waitUntil(async () => /Codex proxy: off/.test(await status.innerText()), 'status bar: off', 15_000);
    lap('restart and stop confirmed');
  });
});
