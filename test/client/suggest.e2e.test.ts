// Issue 15 in a real VS Code (code-server + chromium; skips without the e2e tooling). Loopback only.
// A denied curl → Suggest Policy from Decision Log → refactor preview → Apply → the next curl
// passes; a brokered token reaches only its bound host while the terminal holds a dummy; learning
// mode shows in the status bar and the terminal banner.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOrCreateCa } from '../../core/ca';
import {
  e2eSkipReason, openWorkbench, PROJECT_ROOT, runCommand, screenshot, startCodeServer, terminalRun, waitForTerminalText, waitUntil,
  type CodeServer, type Workbench,
} from '../e2e/harness';

const REAL = `ghp_E2Ecanary${'7c1d9a55b0e4f2'.repeat(2)}x`;

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 20_000_000 && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

test('extension e2e: suggest from the decision log, brokered token, learning mode', { skip: e2eSkipReason() ?? false, timeout: 400_000 }, async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'cnp-suggest-e2e-'));
  const ws = join(scratch, 'ws');
  mkdirSync(join(ws, '.codex'), { recursive: true });
  const plain = createHttp((_q, r) => r.end('upstream-ok'));
  const upstreamCa = await loadOrCreateCa(join(scratch, 'upstream-ca'));
  const seen: string[] = [];
  const secure = createHttps({ SNICallback: (name, cb) => cb(null, upstreamCa.secureContextFor(name)) }, (q, r) => {
    const auth = q.headers.authorization ?? '';
    seen.push(`${q.headers.host?.split(':')[0]} ${auth}`);
    r.end(auth === `Bearer ${REAL}` ? 'auth=real\n' : auth ? 'auth=other\n' : 'auth=none\n');
  });
  const [pp, sp] = [await listen(plain), await listen(secure)];
  t.after(() => { plain.close(); secure.close(); });
  const config = join(ws, '.codex', 'config.toml');
  writeFileSync(config, `# e2e policy: keep this comment
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true

[permissions.work.network.domains]
"allowed.test" = "allow"  # the only host at first
"gh.test" = "allow"
"elsewhere.test" = "allow"
`);
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    server = await startCodeServer({
      extensionDir: PROJECT_ROOT, workspace: ws,
      env: { CODEX_NETPOLICY_HOME: join(scratch, 'home'), E2E_GH_TOKEN: REAL },
      settings: {
        'codexNetworkPolicy.proxy.extraArgs': ['--resolve', 'allowed.test=127.0.0.1', '--resolve', 'blocked.test=127.0.0.1', '--resolve', 'gh.test=127.0.0.1', '--resolve', 'elsewhere.test=127.0.0.1', '--resolve', 'notlisted.test=127.0.0.1', '--upstream-ca', upstreamCa.certPath],
        'codexNetworkPolicy.broker.enabled': true,
        'codexNetworkPolicy.broker.credentials': [{ env: 'E2E_GH_TOKEN', hosts: ['gh.test'] }],
      },
    });
    wb = await openWorkbench(server);
    const { page } = wb;
    await server.waitForActivation('codex-netpolicy.codex-network-policy');
    const status = page.locator('.statusbar-item', { hasText: /Codex proxy|Learning/ }).first();
    await runCommand(page, 'Codex Network Policy: Start Proxy');
    await waitUntil(async () => /Codex proxy: 0 ✓ 0 ✗/.test(await status.innerText()), 'status bar: running', 30_000);
    await runCommand(page, 'Codex Network Policy: Open Proxied Terminal');
    await waitUntil(async () => (await page.locator('.terminal-wrapper.active .xterm-rows').first().innerText().catch(() => '')).trim().length > 0, 'proxied shell prompt', 30_000);

    // 1. Denied → Suggest → preview → Apply → passes.
    await terminalRun(page, `curl -s -o /dev/null -w 'first=%{http_code}\\n' http://blocked.test:${pp}/b`);
    await waitForTerminalText(page, /^first=403\s*$/m, 20_000);
    await runCommand(page, 'Codex Network Policy: Suggest Policy from Decision Log');
    const preview = page.locator('.bulk-edit-panel, .refactor-preview, [id="refactorPreview"]').first();
    const apply = page.locator('.monaco-button', { hasText: /^Apply$/ }).first();
    await apply.waitFor({ state: 'visible', timeout: 20_000 });
    // The preview tree fills in asynchronously: one checkbox row per suggested entry.
    const previewText = await waitUntil(async () => {
      const text = await preview.innerText().catch(() => '');
      return /"blocked\.test" = "allow"/.test(text) ? text : null;
    }, 'the preview lists the suggested entry', 15_000);
    t.diagnostic(`preview: ${previewText.replace(/\s+/g, ' ').slice(0, 300)}`);
    // Suggested entries start unchecked (needsConfirmation): tick this one, then apply.
    await page.locator('.monaco-list-row', { hasText: '"blocked.test" = "allow"' }).first().locator('.edit-checkbox').click();
    await screenshot(page, 'suggest-preview');
    await apply.click();
    await waitUntil(() => readFileSync(config, 'utf8').includes('"blocked.test" = "allow"'), 'config saved with the suggestion', 20_000);
    assert.ok(readFileSync(config, 'utf8').startsWith('# e2e policy: keep this comment\n'), 'comments kept');
    assert.match(readFileSync(config, 'utf8'), /"allowed\.test" = "allow" {2}# the only host at first\n/);
    await waitUntil(async () => {
      await terminalRun(page, `clear; curl -s -o /dev/null -w 'again=%{http_code}\\n' http://blocked.test:${pp}/b`);
      return /again=200/.test(await waitForTerminalText(page, /^again=\d+\s*$/m, 10_000));
    }, 'blocked.test passes after the edit', 30_000, 500);

    // 2. Brokered token: the terminal holds a dummy; only gh.test sees the real value.
    await terminalRun(page, 'clear; echo "tok=$E2E_GH_TOKEN"');
    const tok = /^tok=(\S*)\s*$/m.exec(await waitForTerminalText(page, /^tok=\S+\s*$/m, 10_000))![1]!;
    assert.ok(tok.startsWith('ghp_') && tok.length === REAL.length && tok !== REAL, `the terminal holds a dummy (${tok.slice(0, 6)}…)`);
    await terminalRun(page, `clear; curl -sS -H "Authorization: Bearer $E2E_GH_TOKEN" https://gh.test:${sp}/user; curl -sS --cacert ${upstreamCa.certPath} -H "Authorization: Bearer $E2E_GH_TOKEN" https://elsewhere.test:${sp}/x; echo done`);
    const out = await waitForTerminalText(page, /^done\s*$/m, 20_000);
    assert.match(out, /auth=real[\s\S]*auth=other/, 'bound host got the real token, the other host the dummy');
    assert.deepEqual(seen.filter((s) => s.includes(REAL)).map((s) => s.split(' ')[0]), ['gh.test']);

    // 3. Learning mode: status bar warning, terminal banner.
    await runCommand(page, 'Codex Network Policy: Start Proxy in Learning Mode (not enforcing)…');
    const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Start Learning' }).first();
    await confirm.waitFor({ state: 'visible', timeout: 10_000 });
    await confirm.click();
    const learning = page.locator('.statusbar-item', { hasText: 'Learning: not enforcing' }).first();
    await learning.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await learning.getAttribute('class') ?? '', /warning-kind/, 'warning colour');
    await runCommand(page, 'Codex Network Policy: Open Proxied Terminal');
    await waitForTerminalText(page, /LEARNING, not enforcing/, 20_000);
    await terminalRun(page, `clear; curl -s -o /dev/null -w 'learn=%{http_code}\\n' http://notlisted.test:${pp}/`);
    await waitForTerminalText(page, /^learn=200\s*$/m, 20_000);
    await screenshot(page, 'learning-mode');
    await runCommand(page, 'Codex Network Policy: Restart Proxy');
    await waitUntil(async () => /Codex proxy: /.test(await page.locator('.statusbar-item', { hasText: /Codex proxy: \d/ }).first().innerText().catch(() => '')), 'restart ends learning', 30_000);

    assert.deepEqual(filesContaining(server.userDataDir, REAL), [], 'the real token is in no file of the editor');
  } catch (e) {
    if (wb) await screenshot(wb.page, 'suggest-e2e-failure').catch(() => undefined);
    throw e;
  } finally {
    await wb?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
});
