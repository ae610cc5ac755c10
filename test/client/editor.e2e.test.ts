// The editor features of issue 13 in a real VS Code (code-server + chromium; skips without the e2e
// tooling): semantic highlighting of profile, hook and action names and `pattern:`/`literal:`
// prefixes (rendered colours and VS Code's token inspector); the hover on an undefined action
// speaks about that problem with a did-you-mean; the did-you-mean quick fix comes first and fixes
// it (and likewise for a misspelled profile name and key); whole-table snippets are offered only in
// their file kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goTo, hoverAt, inspectToken, lineText, lineTokens, quickFixes, suggestLabels, type RenderedToken } from '../e2e/editor';
import { e2eSkipReason, openFile, publishScreenshot, screenshot, waitUntil, type Page } from '../e2e/harness';
import { withSession } from '../e2e/session';

const CONFIG = `default_permissions = "work"

[permissions.work.network]
enabled = true

[permissions.work.network.domains]
"api.test" = "allow"

[permissions.work.network.mitm.hooks.api_write]
host = "api.test"
methods = ["POST"]
path_prefixes = ["pattern:/v1/repos/*/issues", "literal:/v1/raw*"]
action = ["strip_credentails"]

[permissions.work.network.mitm.actions.strip_credentials]
strip_request_headers = ["authorization"]
`;
const REQUIREMENTS = `[experimental_network.domains]
"evil.example.com" = "deny"

`;
const CONFIG_SNIPPETS = ['codex-hook', 'codex-action-env', 'codex-action-file'];
const REQUIREMENTS_SNIPPETS = ['codex-requirements-network', 'codex-managed-hooks'];

/** 1-based line and column of the `nth` occurrence of `needle` in CONFIG. */
function at(needle: string, nth = 0): { line: number; col: number } {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = CONFIG.indexOf(needle, i + 1);
  assert.ok(i >= 0, needle);
  const before = CONFIG.slice(0, i).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/**
 * `name` is painted as its own token, in another colour than `plain` (a neighbour TextMate alone
 * colours: the `network` key of a header, the quote of a string). Without semantic tokens the
 * whole header key or string is one span.
 */
async function paintedApart(page: Page, name: string, plain: string, nth = 0): Promise<RenderedToken[]> {
  const { line } = at(name, nth);
  const tokens = await lineTokens(page, line);
  const own = tokens.find((t) => t.text === name);
  const base = tokens.find((t) => t.text === plain);
  assert.ok(own, `${name} is its own token on line ${line}: ${JSON.stringify(tokens)}`);
  assert.ok(base, `${plain} on line ${line}: ${JSON.stringify(tokens)}`);
  assert.notEqual(own.color, base.color, `${name} is coloured apart from ${plain} on line ${line}`);
  return tokens;
}

test('editor e2e: semantic tokens, hover and did-you-mean fix on an undefined action, snippets by file kind', { skip: e2eSkipReason() ?? false, timeout: 480_000 }, async (t) => {
  await withSession(t, { name: 'editor-e2e', files: { '.codex/config.toml': CONFIG, '.codex/requirements.toml': REQUIREMENTS } }, async ({ page, lap }) => {
    await openFile(page, '.codex/config.toml');
    lap('config.toml open');

    // 1. Semantic highlighting. The hook name gets its own colour once the server's tokens arrive.
    // Tokens arrive after the TextMate colours (and may repaint line by line): retry the whole check.
    await waitUntil(async () => {
      await paintedApart(page, 'work', '"'); // default_permissions = "work"
      await paintedApart(page, 'work', 'network', 1); // [permissions.work.network]
      await paintedApart(page, 'api_write', 'hooks');
      await paintedApart(page, 'strip_credentials', 'actions');
      await paintedApart(page, 'strip_credentails', '"');
      await paintedApart(page, 'literal:', '"');
      const matchers = await paintedApart(page, 'pattern:', '"');
      // Only the prefix is a keyword: the path after it keeps the string's colour.
      const rest = matchers.find((x) => x.text.startsWith('/v1/repos'));
      assert.equal(rest?.color, matchers.find((x) => x.text === '"')?.color, 'the path after `pattern:` stays a string');
      return true;
    }, 'semantic colours on every name and prefix', 60_000, 500);
    // VS Code's own inspector names the semantic token type (one place of each type: each takes seconds).
    const expected: [string, number, string][] = [
      ['"work"', 1, 'namespace'], ['api_write', 0, 'function'], ['strip_credentails', 0, 'method'], ['pattern:', 0, 'keyword'],
    ];
    for (const [needle, offset, type] of expected) {
      const p = at(needle);
      const seen = await inspectToken(page, p.line, p.col + offset + 1);
      assert.equal(seen.semantic, type, `semantic token at ${needle}: ${seen.text}`);
    }
    const plain = at('hooks.api_write');
    assert.equal((await inspectToken(page, plain.line, plain.col + 1)).semantic, null, 'a plain header key has no semantic token');
    await screenshot(page, 'editor-semantic-tokens');
    lap('semantic tokens');

    // 2. The hover on the undefined action speaks about that problem (not strip/inject ordering).
    const ref = at('strip_credentails');
    const hover = await hoverAt(page, ref.line, ref.col + 3, /Did you mean/);
    assert.match(hover, /references undefined action `strip_credentails`/, 'the diagnostic itself');
    assert.match(hover, /Undefined MITM action strip_credentails: no mitm\.actions\.strip_credentails table/);
    assert.match(hover, /Did you mean strip_credentials\?/);
    assert.doesNotMatch(hover, /Strip runs before inject/);
    publishScreenshot(await screenshot(page, 'editor-hover-undefined-action'));
    await page.keyboard.press('Escape');
    lap('hover');

    // 3. Quick fix: "Did you mean" is first and focused (preferred), before "Create action"; applying it fixes the name.
    await goTo(page, ref.line, ref.col + 3);
    const { labels, firstFocused } = await quickFixes(page, 2);
    t.diagnostic(`quick fixes: ${JSON.stringify(labels)}`);
    assert.match(labels[0]!, /^Did you mean `strip_credentials`\?/);
    assert.ok(labels.slice(1).some((l) => /^Create action `strip_credentails`/.test(l)), 'creating the action is still offered, after');
    assert.ok(firstFocused, 'the did-you-mean fix is focused: Enter applies it');
    await screenshot(page, 'editor-quick-fix');
    await page.keyboard.press('Enter');
    await waitUntil(async () => (await lineText(page, ref.line)).trim() === 'action = ["strip_credentials"]', 'the fix applied', 15_000);
    // Now the same place hovers as a defined action: the hover followed the diagnostic away.
    const fixed = await hoverAt(page, ref.line, ref.col + 3, /MITM action strip_credentials/);
    assert.match(fixed, /MITM action strip_credentials: strips authorization/);
    assert.doesNotMatch(fixed, /undefined/i);
    await page.keyboard.press('Escape');

    // A misspelled profile name and a misspelled key: the closest known name comes first too.
    const typos: [string, string, RegExp][] = [['work', 'wrok', /^Did you mean `work`\?/], ['enabled', 'enabeld', /^Change to `enabled`/]];
    for (const [good, typo, first] of typos) {
      const p = at(good);
      const before = await lineText(page, p.line);
      await goTo(page, p.line, p.col);
      await page.keyboard.press('Control+Shift+ArrowRight');
      await page.keyboard.type(typo);
      await waitUntil(async () => (await lineText(page, p.line)) === before.replace(good, typo), `${typo} typed`, 10_000);
      await goTo(page, p.line, p.col + 1);
      const fixes = await quickFixes(page);
      t.diagnostic(`${typo}: ${JSON.stringify(fixes.labels)}`);
      assert.match(fixes.labels[0]!, first);
      assert.ok(fixes.firstFocused);
      await page.keyboard.press('Enter');
      await waitUntil(async () => (await lineText(page, p.line)) === before, `${typo} fixed back to ${good}`, 15_000);
    }
    lap('quick fixes');

    // 4. Snippets in a config.toml hook table: the config ones, none of requirements.toml's.
    await goTo(page, ref.line + 1, 1);
    await page.keyboard.type('codex');
    const inConfig = await suggestLabels(page, (l) => CONFIG_SNIPPETS.every((s) => l.includes(s)), 'config snippets in the hook table');
    t.diagnostic(`config.toml suggestions: ${JSON.stringify(inConfig)}`);
    for (const s of REQUIREMENTS_SNIPPETS) assert.ok(!inConfig.includes(s), `${s} is not offered in config.toml`);
    await screenshot(page, 'editor-snippets-config');
    await page.keyboard.press('Escape');

    // …and the reverse in requirements.toml.
    await openFile(page, '.codex/requirements.toml');
    await goTo(page, 3, 1);
    await page.keyboard.type('codex');
    const inRequirements = await suggestLabels(page, (l) => REQUIREMENTS_SNIPPETS.every((s) => l.includes(s)), 'requirements snippets');
    t.diagnostic(`requirements.toml suggestions: ${JSON.stringify(inRequirements)}`);
    for (const s of CONFIG_SNIPPETS) assert.ok(!inRequirements.includes(s), `${s} is not offered in requirements.toml`);
    await screenshot(page, 'editor-snippets-requirements');
    await page.keyboard.press('Escape');
    lap('snippets');
  });
});
