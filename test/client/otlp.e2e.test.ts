// OTLP export from the extension in a real VS Code (code-server + chromium; skips without the
// tooling): the `telemetry.otlpEndpoint` setting reaches the proxy child, and decisions from a
// proxied terminal arrive at a real OTLP receiver with their attributes — no secret among them.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eSkipReason, openWorkbench, outputChannelLog, PROJECT_ROOT, runCommand, screenshot, startCodeServer, terminalRun, waitForTerminalText, waitUntil, type CodeServer, type Workbench } from '../e2e/harness';
import { hookScene } from './fixtures/hookPolicy';
import { startReceiver, type Receiver } from '../telemetry/receiver';

const CANARY = 'CANARY-otlp-e2e-51be0c2d7a';
const QUERY_CANARY = 'CANARY-otlp-query-0f9e33';


test('extension e2e: decisions from a proxied terminal arrive at the OTLP receiver', { skip: e2eSkipReason() ?? false, timeout: 300_000 }, async (t) => {
  const scene = await hookScene('cnp-otlp-e2e-', CANARY);
  const { scratch, ws, plainPort: pp, securePort: sp } = scene;
  const receiver: Receiver = await startReceiver();
  t.after(async () => {
    scene.close();
    await receiver.close();
  });
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  try {
    server = await startCodeServer({
      extensionDir: PROJECT_ROOT, workspace: ws,
      env: { CODEX_NETPOLICY_HOME: join(scratch, 'home'), E2E_TOKEN: CANARY, OTEL_BLRP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '500' },
      settings: {
        'codexNetworkPolicy.telemetry.otlpEndpoint': receiver.url,
        'codexNetworkPolicy.proxy.extraArgs': scene.proxyArgs,
      },
    });
    wb = await openWorkbench(server);
    const { page } = wb;
    await server.waitForActivation('codex-netpolicy.codex-network-policy');
    const status = page.locator('.statusbar-item', { hasText: 'Codex proxy' }).first();
    await status.waitFor({ timeout: 30_000 });
    await runCommand(page, 'Codex Network Policy: Start Proxy');
    await waitUntil(async () => /Codex proxy: 0 ✓ 0 ✗/.test(await status.innerText()), 'status bar: running', 30_000);
    await waitUntil(() => outputChannelLog(server!, 'Codex Network Policy').includes(`OTLP export to ${receiver.url}/v1/logs (http/protobuf)`), 'the OTLP start line in the extension log', 20_000);

    await runCommand(page, 'Codex Network Policy: Open Proxied Terminal');
    await waitUntil(async () => (await page.locator('.terminal-wrapper.active .xterm-rows').first().innerText().catch(() => '')).trim().length > 0, 'proxied shell prompt', 30_000);
    await terminalRun(page, `curl -s http://allowed.test:${pp}/a; echo; curl -s -o /dev/null -w 'code=%{http_code}\\n' 'http://blocked.test:${pp}/b?k=${QUERY_CANARY}'`);
    await waitForTerminalText(page, /^code=403\s*$/m, 20_000);
    await terminalRun(page, `clear; curl -sS 'https://secure.test:${sp}/api/x?k=${QUERY_CANARY}'; echo`);
    await waitForTerminalText(page, /^secret-injected\s*$/m, 20_000);

    // CONNECT + GET for secure.test, plus the two plain requests.
    await receiver.waitFor(() => receiver.logRecords().length >= 4, 30_000, 'four decision records');
    const records = receiver.logRecords();
    const blocked = records.find((r) => r.attributes['server.address'] === 'blocked.test');
    assert.equal(blocked?.attributes['codex.decision'], 'deny');
    assert.equal(blocked?.attributes['codex.reason'], 'not_allowed');
    assert.equal(blocked?.attributes['url.path'], '/b');
    assert.equal(blocked?.attributes['http.response.status_code'], 403);
    const hooked = records.find((r) => r.attributes['codex.hook'] === 'api');
    assert.equal(hooked?.attributes['http.request.method'], 'GET');
    assert.equal(hooked?.attributes['url.path'], '/api/x');
    assert.equal(hooked?.attributes['codex.profile'], 'work');
    assert.match(String(hooked?.attributes['codex.policy.sha256']), /^[0-9a-f]{64}$/);
    assert.equal(hooked?.resource['service.name'], 'codex-netpolicy');
    await receiver.waitFor(() => receiver.metricPoints('codex.netpolicy.decisions').length > 0, 20_000, 'the decision counter');
    for (const r of receiver.requests) {
      const text = r.raw.toString('latin1') + JSON.stringify(r.decoded);
      assert.ok(!text.includes(CANARY) && !text.includes(QUERY_CANARY), `no secret or query in the ${r.signal} export`);
    }
    await screenshot(page, 'otlp-e2e');
  } catch (e) {
    if (wb) await screenshot(wb.page, 'otlp-e2e-failure').catch(() => undefined);
    if (server) t.diagnostic(outputChannelLog(server, 'Codex Network Policy').slice(-4000));
    throw e;
  } finally {
    await wb?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
});
