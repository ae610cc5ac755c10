// Editor helpers for the code-server e2e tests: move the cursor, read a rendered line with the
// colour of each token, ask VS Code's own token inspector which semantic token sits under the
// cursor, and read the hover widget. Everything is read from the workbench DOM.
import { runCommand, waitUntil, type Page } from './harness';

const EDITOR = '.editor-group-container.active .monaco-editor';
const QUICK_INPUT_BOX = '.quick-input-widget .quick-input-box input';

/** Cursor position from the status bar ("Ln 14, Col 24 (13 selected)"). */
export async function cursorAt(page: Page): Promise<{ line: number; col: number; selected: number }> {
  const texts = await page.locator('.part.statusbar .statusbar-item').allInnerTexts();
  const m = texts.map((x) => /Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(x)).find(Boolean);
  if (!m) return { line: 0, col: 0, selected: 0 };
  return { line: Number(m[1]), col: Number(m[2]), selected: Number(m[3] ?? 0) };
}

/** Go to Line (Ctrl+G) in the active editor: 1-based line and, optionally, column. */
export async function goTo(page: Page, line: number, col?: number): Promise<void> {
  await page.locator(`${EDITOR} .view-lines`).first().click();
  const input = page.locator(QUICK_INPUT_BOX);
  // Go to Line keeps the quick input open in `:` mode (not a command palette entry).
  await waitUntil(async () => {
    if (!(await input.isVisible())) await page.keyboard.press('Control+G');
    await input.waitFor({ state: 'visible', timeout: 2000 });
    return (await input.inputValue()).startsWith(':');
  }, 'Go to Line input', 15_000, 300);
  await input.fill(col ? `:${line}:${col}` : `:${line}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 5000 });
  await waitUntil(async () => {
    const c = await cursorAt(page);
    return c.line === line && (!col || c.col === col);
  }, `cursor at ${line}:${col ?? 1}`, 10_000);
}

export interface RenderedToken { text: string; color: string }

/** The spans of rendered 1-based line `n` (matched to its gutter number by offset), with their colour. */
export async function lineTokens(page: Page, n: number): Promise<RenderedToken[]> {
  const json = await page.evaluate(`(() => {
    const ed = document.querySelector('${EDITOR}');
    if (!ed) return '[]';
    const num = [...ed.querySelectorAll('.margin-view-overlays .line-numbers')].find((e) => e.textContent.trim() === '${n}');
    if (!num) return '[]';
    const top = num.parentElement.style.top;
    const line = [...ed.querySelectorAll('.view-lines .view-line')].find((l) => l.style.top === top);
    if (!line) return '[]';
    return JSON.stringify([...line.querySelectorAll('span > span')].map((s) => ({ text: s.textContent.replace(/\\u00a0/g, ' '), color: getComputedStyle(s).color })));
  })()`);
  return JSON.parse(String(json)) as RenderedToken[];
}

/** Text of rendered 1-based line `n`. */
export async function lineText(page: Page, n: number): Promise<string> {
  return (await lineTokens(page, n)).map((t) => t.text).join('');
}

/**
 * "Developer: Inspect Editor Tokens and Scopes" at a position: the semantic token type VS Code
 * applied there (null when none), and the widget's text.
 */
export async function inspectToken(page: Page, line: number, col: number): Promise<{ semantic: string | null; text: string }> {
  await goTo(page, line, col);
  await runCommand(page, 'Developer: Inspect Editor Tokens and Scopes');
  const widget = page.locator('.token-inspect-widget').first();
  const text = await waitUntil(async () => {
    const t = await widget.innerText().catch(() => '');
    return /textmate scopes/.test(t) ? t : null;
  }, `token inspector at ${line}:${col}`, 15_000);
  await page.keyboard.press('Escape');
  await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  return { semantic: /semantic token type\s+(\S+)/.exec(text)?.[1] ?? null, text };
}

/**
 * "Show or Focus Hover" at a position; waits until the visible hover's text matches `until`
 * (language server answers can arrive after the marker part) and returns that text.
 */
export async function hoverAt(page: Page, line: number, col: number, until: RegExp): Promise<string> {
  await goTo(page, line, col);
  const read = () => page.evaluate(`[...document.querySelectorAll('${EDITOR} .monaco-hover, .monaco-hover')].filter((e) => e.offsetParent).map((e) => e.innerText).join('\\n')`);
  let last = '';
  try {
    return await waitUntil(async () => {
      if (!String(await read()).trim()) await runCommand(page, 'Show or Focus Hover');
      last = String(await read());
      return until.test(last) ? last : null;
    }, `hover matching ${String(until)}`, 30_000, 500);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- hover shows ---\n${last}`, { cause: e });
  }
}

const SUGGEST_ROW = '.editor-widget.suggest-widget .monaco-list-row';

/**
 * Triggers suggest (Ctrl+Space) at the cursor until the widget's labels satisfy `ready`
 * (the language server's items can arrive after the word-based ones); returns the labels.
 */
export async function suggestLabels(page: Page, ready: (labels: string[]) => boolean, what: string): Promise<string[]> {
  const rows = page.locator(SUGGEST_ROW);
  return waitUntil(async () => {
    if ((await rows.count()) === 0) await page.keyboard.press('Control+Space');
    await rows.first().waitFor({ state: 'visible', timeout: 3000 });
    const labels = (await page.locator(`${SUGGEST_ROW} .label-name`).allInnerTexts()).map((s) => s.trim());
    return ready(labels) ? labels : null;
  }, what, 20_000, 500);
}

/**
 * Opens the quick fix menu (Ctrl+.) at the cursor once it lists at least `min` fixes; returns
 * their labels in menu order and whether the first is focused (what Enter applies).
 */
export async function quickFixes(page: Page, min = 1): Promise<{ labels: string[]; firstFocused: boolean }> {
  const rows = page.locator('.action-widget .monaco-list-row.action');
  const labels = await waitUntil(async () => {
    if ((await rows.count()) === 0) await page.keyboard.press('Control+.');
    await rows.first().waitFor({ state: 'visible', timeout: 3000 });
    const out: string[] = [];
    for (let i = 0, n = await rows.count(); i < n; i++) out.push((await rows.nth(i).getAttribute('aria-label')) ?? '');
    if (out.length >= min) return out;
    await page.keyboard.press('Escape'); // opened before the diagnostic arrived: ask again
    return null;
  }, `quick fix menu with ${min} fixes`, 30_000, 500);
  return { labels, firstFocused: /\bfocused\b/.test((await rows.first().getAttribute('class')) ?? '') };
}
