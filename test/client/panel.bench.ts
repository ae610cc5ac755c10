// Decision log under load in a real VS Code (code-server): N requests through the real proxy
// (loopback; host names via --resolve), then how fast the webview catches up and responds.
// Not a test (no timed assertions): node --import tsx test/client/panel.bench.ts [N]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eSkipReason, openWorkbench, outputChannelLog, PROJECT_ROOT, runCommand, startCodeServer, waitUntil } from '../e2e/harness';

const N = Number(process.argv[2] ?? 10_000);

async function main(): Promise<void> {
  const skip = e2eSkipReason();
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const upstream = createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const up = (upstream.address() as { port: number }).port;
  const scratch = mkdtempSync(join(tmpdir(), 'cnp-bench-'));
  const ws = join(scratch, 'ws');
  mkdirSync(join(ws, '.codex'), { recursive: true });
  writeFileSync(join(ws, '.codex', 'config.toml'), 'default_permissions = "work"\n[permissions.work.network]\nenabled = true\nallow_local_binding = true\n[permissions.work.network.domains]\n"a.test" = "allow"\n');
  const server = await startCodeServer({
    extensionDir: PROJECT_ROOT, workspace: ws, env: { CODEX_NETPOLICY_HOME: join(scratch, 'home') },
    settings: { 'codexNetworkPolicy.proxy.extraArgs': ['--resolve', 'a.test=127.0.0.1', '--resolve', 'b.test=127.0.0.1'] },
  });
  const wb = await openWorkbench(server);
  try {
    const { page } = wb;
    await server.waitForActivation('codex-netpolicy.codex-network-policy');
    await runCommand(page, 'Codex Network Policy: Start Proxy');
    const m = await waitUntil(() => /Proxy listening on 127\.0\.0\.1:(\d+)/.exec(outputChannelLog(server, 'Codex Network Policy')), 'proxy listening', 30_000);
    const proxyPort = Number(m[1]);
    await runCommand(page, 'Codex Network Policy: Show Decision Log');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const count = frame.locator('[data-testid="count"]');
    await count.waitFor({ timeout: 20_000 });

    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const one = (i: number) => new Promise<void>((res) => {
      const host = i % 4 === 0 ? 'b.test' : 'a.test';
      const req = request({ host: '127.0.0.1', port: proxyPort, agent, path: `http://${host}:${up}/item/${i}`, headers: { host: `${host}:${up}` } }, (r) => { r.resume(); r.on('end', () => res()); });
      req.on('error', () => res());
      req.end();
    });
    const t0 = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => { while (next < N) await one(next++); }));
    const tSent = Date.now() - t0;
    await waitUntil(async () => (await count.innerText()).startsWith(`${N} of ${N} shown`), `${N} rows in the log`, 300_000, 100);
    const tShown = Date.now() - t0;
    const domRows = await frame.locator('[data-testid="row"]').count();

    const list = frame.locator('[data-testid="list"]');
    await list.click();
    const timeIt = async (what: string, f: () => Promise<void>) => {
      const s = Date.now();
      await f();
      return `${what} ${Date.now() - s} ms`;
    };
    const lastPos = String(N - 1);
    const results = [
      await timeIt('End → last row rendered+selected', async () => {
        await page.keyboard.press('End');
        await frame.locator(`[data-testid="row"][data-pos="${lastPos}"].selected`).waitFor({ timeout: 10_000 });
      }),
      await timeIt('Home → first row selected', async () => {
        await page.keyboard.press('Home');
        await frame.locator('[data-testid="row"][data-pos="0"].selected').waitFor({ timeout: 10_000 });
      }),
      await timeIt('20× PageDown', async () => {
        for (let i = 0; i < 20; i++) await page.keyboard.press('PageDown');
      }),
      await timeIt('filter "host:b.test" applied', async () => {
        await frame.locator('[data-testid="filter"]').fill('host:b.test');
        await waitUntil(async () => (await count.innerText()).startsWith(`${N / 4} of ${N} shown`), 'filtered', 10_000, 20);
      }),
    ];
    console.log(JSON.stringify({ requests: N, sentMs: tSent, allRowsShownMs: tShown, domRowsAfterLoad: domRows, interactions: results }, null, 2));
  } finally {
    await wb.close();
    await server.stop();
    upstream.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
