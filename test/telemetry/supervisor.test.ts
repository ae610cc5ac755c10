// The extension side: the supervisor passes the OTLP setting to the real proxy child, and the
// drop count of an unreachable collector shows up in the extension's log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxySupervisor } from '../../client/proxySupervisor';
import { parseProxyLine as parseEventLine } from '../../core/proxy/protocol';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function get(proxy: string, url: string): Promise<number> {
  const [host, port] = proxy.split(':');
  return new Promise((res, rej) => {
    const req = request({ host, port: Number(port), method: 'GET', path: url, headers: { host: new URL(url).host } }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', rej);
    req.end();
  });
}

test('telemetry events parse; an unknown status is an error event', () => {
  const e = parseEventLine('{"event":"telemetry","time":"2026-01-01T10:00:00.000Z","status":"failing","endpoint":"http://c:4318/v1/logs","protocol":"http/protobuf","exported":3,"dropped":2,"queued":0,"lastError":"ECONNREFUSED"}');
  assert.deepEqual(e, { event: 'telemetry', time: '2026-01-01T10:00:00.000Z', status: 'failing', endpoint: 'http://c:4318/v1/logs', protocol: 'http/protobuf', exported: 3, dropped: 2, queued: 0, lastError: 'ECONNREFUSED' });
  assert.equal(parseEventLine('{"event":"telemetry","status":"weird"}').event, 'error');
});

test('real proxy child with --otlp-endpoint of a dead collector: requests served, drops in the extension log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-otlp-client-'));
  const upstream: Server = createServer((_q, r) => r.end('upstream ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.after(() => upstream.close());
  const port = (upstream.address() as { port: number }).port;
  const dead = await new Promise<number>((resolve) => {
    const s = createTcpServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const config = join(dir, 'config.toml');
  writeFileSync(config, 'default_permissions = "work"\n[permissions.work.network]\nenabled = true\nallow_local_binding = true\n[permissions.work.network.domains]\n"allowed.test" = "allow"\n');
  const logs: { level: string; msg: string }[] = [];
  const sup = new ProxySupervisor({
    nodePath: process.execPath, cliPath: CLI,
    env: () => ({ ...process.env, OTEL_BLRP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_TIMEOUT: '1000', OTEL_METRICS_EXPORTER: 'none' }),
    args: () => ['--config', config, '--ca-dir', join(dir, 'ca'), '--resolve', 'allowed.test=127.0.0.1', '--otlp-endpoint', `http://127.0.0.1:${dead}`],
    log: { info: (m) => logs.push({ level: 'info', msg: m }), warn: (m) => logs.push({ level: 'warn', msg: m }), error: (m) => logs.push({ level: 'error', msg: m }) },
    onDecision: () => undefined,
  });
  t.after(() => sup.stop());
  const s = await sup.start();
  assert.ok(s.kind === 'running', JSON.stringify(logs));
  assert.equal(await get(s.listening.http, `http://allowed.test:${port}/a`), 200);
  const end = Date.now() + 20_000;
  while (!logs.some((l) => l.level === 'warn' && /OTLP export .* failing .* 1 dropped/.test(l.msg))) {
    if (Date.now() > end) assert.fail(`no drop report in the log:\n${logs.map((l) => `${l.level} ${l.msg}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(logs.some((l) => l.level === 'info' && l.msg === `OTLP export to http://127.0.0.1:${dead}/v1/logs (http/protobuf)`));
});
