// Self-test of the e2e harness: a real VS Code (code-server) with a tiny probe extension,
// driven through chromium. Skips unless scripts/e2e/setup.sh has prepared the tooling.
//   cd /work/main && node --import tsx --test test/e2e/harness.test.ts
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  e2eSkipReason,
  loadE2eTooling,
  openFile,
  openTerminal,
  openWorkbench,
  processTreeRssMb,
  PROJECT_ROOT,
  runCommand,
  screenshot,
  startCodeServer,
  terminalRun,
  waitForNotification,
  waitForProblem,
  waitForTerminalText,
  waitUntil,
  type CodeServer,
  type Workbench,
} from './harness';

const skip = e2eSkipReason();
const PROBE_EXT = join(PROJECT_ROOT, 'test', 'e2e', 'fixtures', 'hello-ext');

test('e2e harness: probe extension, command palette, notification, Problems, webview, terminal', { skip: skip ?? false, timeout: 240_000 }, async (t) => {
  const tooling = loadE2eTooling();
  assert.ok(tooling);
  t.diagnostic(`code-server ${tooling.codeServerVersion}, playwright-core ${tooling.playwrightCoreVersion}, ${tooling.chromiumVersion}`);
  const scratch = mkdtempSync(join(tmpdir(), 'cnp-e2e-ws-'));
  const workspace = join(scratch, 'workspace');
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'hello.txt'), 'hello from the e2e workspace\n');
  writeFileSync(join(workspace, 'broken.json'), '{\n  "key": \n}\n');
  const marker = join(scratch, 'marker.json');

  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  const t0 = Date.now();
  try {
    server = await startCodeServer({ extensionDir: PROBE_EXT, workspace, env: { E2E_PROBE_MARKER: marker } });
    const tHttp = Date.now() - t0;
    wb = await openWorkbench(server);
    const { page } = wb;
    t.diagnostic(`code-server answered HTTP after ${tHttp} ms; workbench + extension host ready ${wb.readyMs} ms later (${Date.now() - t0} ms total)`);

    // onStartupFinished activation of the linked probe extension.
    await server.waitForActivation('e2e-probe.hello');
    await waitUntil(() => existsSync(`${marker}.activated`), 'probe activation marker', 30_000);

    // Command palette -> extension command -> notification + marker file from the extension host.
    await runCommand(page, 'E2E Probe: Say Hello');
    const toast = await waitForNotification(page, 'Hello from e2e-probe');
    assert.match(toast, /Hello from e2e-probe \(VS Code 1\.\d+/);
    await waitUntil(() => existsSync(marker), 'marker file', 10_000);
    const written = JSON.parse(readFileSync(marker, 'utf8')) as { text: string; vscodeVersion: string };
    assert.match(written.text, /^Hello from e2e-probe/);
    t.diagnostic(`extension host reports VS Code ${written.vscodeVersion}`);

    // Quick Open + a built-in language server's diagnostics in the Problems view.
    await openFile(page, 'hello.txt');
    await page.locator('.monaco-editor .view-lines', { hasText: 'hello from the e2e workspace' }).first().waitFor({ timeout: 10_000 });
    await openFile(page, 'broken.json');
    const problems = await waitForProblem(page, /Value expected/);
    assert.match(problems, /broken\.json/);

    // Webview: the iframe loads from the server (no CDN) and its script can post back.
    await runCommand(page, 'E2E Probe: Open Webview');
    await waitUntil(() => existsSync(`${marker}.webview`), 'webview script to post a message', 20_000);
    const heading = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame').locator('#probe');
    assert.equal(await heading.innerText({ timeout: 10_000 }), 'e2e webview body');

    // Integrated terminal: type, run, read back.
    await openTerminal(page);
    await terminalRun(page, 'echo e2e-$((6*7))');
    const text = await waitForTerminalText(page, /^e2e-42\s*$/m);
    assert.match(text, /echo e2e-\$\(\(6\*7\)\)/);

    const shot = await screenshot(page, 'e2e-harness');
    t.diagnostic(`screenshot: ${shot}`);
    t.diagnostic(`memory: code-server tree ${processTreeRssMb(server.pid)} MiB RSS`);
    const external = wb.externalRequests();
    t.diagnostic(`non-loopback requests from the page (all blocked): ${external.length ? external.join(', ') : 'none'}`);
    t.diagnostic(`whole scenario ${Date.now() - t0} ms`);
  } catch (e) {
    if (wb) await screenshot(wb.page, 'e2e-harness-failure').catch(() => undefined);
    if (server) t.diagnostic(`code-server log tail:\n${server.logs().slice(-4000)}`);
    throw e;
  } finally {
    await wb?.close();
    if (server) {
      const pid = server.pid;
      await server.stop();
      assert.equal(existsSync(`/proc/${pid}`), false, 'code-server process still running after stop()');
    }
    rmSync(scratch, { recursive: true, force: true });
  }
});
