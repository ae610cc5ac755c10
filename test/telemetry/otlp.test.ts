// OTLP export end to end: real curl through the real proxy process to local upstreams, the
// decisions arriving at a real OTLP/HTTP receiver (decoded with the official proto types), in
// protobuf and JSON; batching; a collector that hangs or is down; canary secrets nowhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { curl } from '../proxy/integration/clients';
import { disposeProxy, fixture, startProxy, tempDir, type ProxyEvent, type RunningProxy, type TempDir } from '../proxy/integration/harness';
import { startUpstreams, type Upstreams } from '../proxy/integration/upstreams';
import { startReceiver, type Receiver } from './receiver';

const ENV_CANARY = `canary-env-${randomBytes(12).toString('hex')}`;
const FILE_CANARY = `canary-file-${randomBytes(12).toString('hex')}`;
const CLIENT_CANARY = `canary-client-${randomBytes(12).toString('hex')}`;
const QUERY_CANARY = `canary-query-${randomBytes(12).toString('hex')}`;
const CANARIES = [ENV_CANARY, FILE_CANARY, CLIENT_CANARY, QUERY_CANARY];

function assertNoCanary(what: string, text: string): void {
  for (const c of CANARIES) assert.ok(!text.includes(c), `${what} contains ${c.split('-').slice(0, 2).join('-')}`);
}

const telemetry = (p: RunningProxy): ProxyEvent[] => p.events.filter((e) => e.event === 'telemetry');
const auditDecisions = (p: RunningProxy): Record<string, unknown>[] =>
  readFileSync(p.auditPath!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'decision');

async function startWith(secrets: TempDir, args: string[], env: Record<string, string>): Promise<RunningProxy> {
  const secretFile = join(secrets.path, 'audit-key');
  writeFileSync(secretFile, `${FILE_CANARY}\n`, { mode: 0o600 });
  return startProxy({ config: fixture('inject.toml', { AUDIT_SECRET_FILE: secretFile }), env: { IT_GITHUB_TOKEN: ENV_CANARY, ...env }, upstreamCa: [up.https.caCertPath], audit: true, args });
}

/** A hooked MITM request (secrets injected), a plain denied request with a query, a CONNECT denial. */
async function traffic(p: RunningProxy): Promise<void> {
  const hooked = await curl(`https://api.github.test:${up.https.port}/repos/myorg/app?token=${QUERY_CANARY}`, {
    proxy: p.proxyUrl, cacert: p.listening.caCert, headers: [`Authorization: Bearer ${CLIENT_CANARY}`, 'x-echo-quiet: 1'],
  });
  assert.equal(hooked.status, 200, hooked.stderr);
  const denied = await curl(`http://other.test:${up.http.port}/private/x?key=${QUERY_CANARY}`, { proxy: p.proxyUrl, headers: [`X-Api-Key: ${CLIENT_CANARY}`] });
  assert.equal(denied.status, 403);
  const tunnel = await curl(`https://tracker.test:${up.https.port}/`, { proxy: p.proxyUrl, cacert: p.listening.caCert });
  assert.equal(tunnel.connectStatus, 403);
}

let up: Upstreams;
let secrets: TempDir;
before(async () => {
  up = await startUpstreams();
  secrets = tempDir('otlp-secrets-');
});
after(async () => {
  await up?.close();
  secrets?.cleanup();
});

describe('OTLP/HTTP protobuf via --otlp-endpoint', () => {
  let rcv: Receiver;
  let proxy: RunningProxy;
  before(async () => {
    rcv = await startReceiver();
    proxy = await startWith(secrets, ['--otlp-endpoint', rcv.url], { OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '300' });
    await traffic(proxy);
  });
  after(async () => {
    await disposeProxy(proxy);
    await rcv?.close();
  });

  test('each decision arrives as a log record with semantic-convention and codex attributes', async () => {
    await rcv.waitFor(() => rcv.logRecords().length >= 4, 15_000, '4 log records');
    assert.ok(rcv.requests.every((r) => r.contentType === 'application/x-protobuf'));
    const records = rcv.logRecords();
    const local = auditDecisions(proxy);
    assert.equal(records.length, local.length, 'one record per decision in the local log');
    for (const r of records) {
      assert.equal(r.eventName, 'codex.netpolicy.decision');
      assert.equal(r.resource['service.name'], 'codex-netpolicy');
      assert.match(String(r.resource['service.version']), /^\d+\.\d+\.\d+/);
      assert.ok(r.resource['host.name'] && r.resource['user.name'] !== undefined);
      assert.match(String(r.attributes['codex.policy.sha256']), /^[0-9a-f]{64}$/);
      assert.equal(r.attributes['codex.profile'], 'it');
    }
    const hooked = records.find((r) => r.attributes['codex.hook'] === 'rotate');
    assert.ok(hooked, 'the hooked request');
    assert.equal(hooked.attributes['server.address'], 'api.github.test');
    assert.equal(hooked.attributes['server.port'], up.https.port);
    assert.equal(hooked.attributes['http.request.method'], 'GET');
    assert.equal(hooked.attributes['url.path'], '/repos/myorg/app');
    assert.equal(hooked.attributes['network.protocol.name'], 'http');
    assert.equal(hooked.attributes['codex.decision'], 'allow');
    assert.deepEqual(hooked.attributes['codex.headers.injected'], ['authorization', 'x-audit-source']);
    assert.match(String(hooked.attributes['codex.rule']), /config\.toml:\d+$/);
    assert.equal(hooked.severityText, 'INFO');

    const denied = records.find((r) => r.attributes['server.address'] === 'other.test');
    assert.ok(denied);
    assert.equal(denied.attributes['codex.decision'], 'deny');
    assert.equal(denied.attributes['codex.reason'], 'not_allowed');
    assert.equal(denied.attributes['http.response.status_code'], 403);
    assert.equal(denied.attributes['url.path'], '/private/x');
    assert.equal(denied.severityText, 'WARN');

    const connect = records.find((r) => r.attributes['server.address'] === 'tracker.test');
    assert.equal(connect?.attributes['http.request.method'], 'CONNECT');
    assert.equal(connect?.attributes['http.response.status_code'], 403);
  });

  test('decisions are counted as an OTLP metric by decision, reason and host', async () => {
    await rcv.waitFor(() => rcv.metricPoints('codex.netpolicy.decisions').some((p) => p.attributes['server.address'] === 'tracker.test'), 15_000, 'the decision counter');
    const points = rcv.metricPoints('codex.netpolicy.decisions');
    const last = (host: string): number => Math.max(...points.filter((p) => p.attributes['server.address'] === host).map((p) => p.value));
    assert.equal(last('api.github.test'), 2, 'CONNECT + inner GET');
    assert.equal(last('other.test'), 1);
    const deny = points.find((p) => p.attributes['server.address'] === 'other.test')!;
    assert.deepEqual(deny.attributes, { 'codex.decision': 'deny', 'codex.reason': 'not_allowed', 'server.address': 'other.test' });
  });

  test('no secret, header value or query string reaches the receiver or the status events', async () => {
    await rcv.waitFor(() => rcv.logRecords().length >= 4);
    for (const r of rcv.requests) {
      assertNoCanary(`${r.signal} export (raw)`, r.raw.toString('latin1'));
      assertNoCanary(`${r.signal} export (decoded)`, JSON.stringify(r.decoded));
    }
    assertNoCanary('proxy stdout', proxy.stdout());
    assert.equal(telemetry(proxy)[0]?.status, 'started');
  });
});

describe('OTLP/HTTP JSON via OTEL_EXPORTER_OTLP_* and batching', () => {
  test('records arrive as OTLP/JSON in batches of at most OTEL_BLRP_MAX_EXPORT_BATCH_SIZE; the rest is flushed at stop', async () => {
    const rcv = await startReceiver();
    const proxy = await startWith(secrets, [], {
      OTEL_EXPORTER_OTLP_ENDPOINT: rcv.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'none',
      // Only a full batch is sent before stop: the timer is far away.
      OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '5', OTEL_BLRP_SCHEDULE_DELAY: '600000',
    });
    try {
      for (let i = 0; i < 12; i++) {
        const r = await curl(`http://plain.test:${up.http.port}/n/${i}`, { proxy: proxy.proxyUrl });
        assert.equal(r.status, 200);
      }
      await rcv.waitFor(() => rcv.logRecords().length >= 10, 15_000, 'two full batches');
      const logs = rcv.requests.filter((r) => r.signal === 'logs');
      assert.ok(logs.every((r) => r.contentType === 'application/json'));
      assert.equal(logs.length, 2, 'two export requests of 5 records');
      assert.equal(rcv.requests.filter((r) => r.signal === 'metrics').length, 0, 'OTEL_METRICS_EXPORTER=none');
      await proxy.stop();
      assert.equal(rcv.logRecords().length, 12, 'the last 2 were flushed on SIGTERM');
      assert.deepEqual(rcv.logRecords().map((r) => r.attributes['url.path']), Array.from({ length: 12 }, (_, i) => `/n/${i}`));
      const stopped = telemetry(proxy).at(-1);
      assert.equal(stopped?.status, 'stopped');
      assert.equal(stopped?.exported, 12);
      assert.equal(stopped?.dropped, 0);
    } finally {
      await disposeProxy(proxy);
      await rcv.close();
    }
  });
});

describe('a collector that is down', () => {
  test('hanging collector: requests are served, the local log is complete, drops are counted and reported', async () => {
    const rcv = await startReceiver('hang');
    const proxy = await startWith(secrets, ['--otlp-endpoint', rcv.url], {
      OTEL_METRICS_EXPORTER: 'none', OTEL_BLRP_MAX_QUEUE_SIZE: '4', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BLRP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_TIMEOUT: '600000',
    });
    try {
      const first = await curl(`http://plain.test:${up.http.port}/0`, { proxy: proxy.proxyUrl });
      assert.equal(first.status, 200);
      await rcv.waitFor(() => rcv.held >= 1, 10_000, 'an export held open');
      // Every later request is served while the collector holds the export and never answers.
      for (let i = 1; i < 12; i++) {
        const r = await curl(`http://${i % 2 ? 'plain.test' : 'other.test'}:${up.http.port}/${i}`, { proxy: proxy.proxyUrl });
        assert.equal(r.status, i % 2 ? 200 : 403);
      }
      assert.ok(rcv.held >= 1, 'the collector still holds the export');
      assert.equal(auditDecisions(proxy).length, 12, 'the audit log has every decision');
      assert.equal(proxy.events.filter((e) => e.event === 'decision').length, 12, 'so does stdout');
      // Queue bound 4 (in flight included): 8 of 12 dropped, reported on stdout.
      const report = await proxy.waitFor((e) => e.event === 'telemetry' && e.dropped === 8, { timeoutMs: 15_000, what: 'a report of 8 dropped records' });
      assert.equal(report.status, 'ok');
      assert.equal(report.queued, 4);
      await proxy.stop();
      const stopped = telemetry(proxy).at(-1)!;
      assert.equal(stopped.status, 'stopped');
      assert.equal(stopped.dropped, 12, 'what was still queued at stop is counted too');
    } finally {
      await disposeProxy(proxy);
      await rcv.close();
    }
  });

  test('refused connections: export fails after retries, reported as failing; requests and the local log are unaffected', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const proxy = await startWith(secrets, ['--otlp-endpoint', `http://127.0.0.1:${port}`], { OTEL_METRICS_EXPORTER: 'none', OTEL_BLRP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_TIMEOUT: '1500' });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await curl(`http://plain.test:${up.http.port}/${i}`, { proxy: proxy.proxyUrl })).status, 200);
      assert.equal(auditDecisions(proxy).length, 5);
      const failing = await proxy.waitFor((e) => e.event === 'telemetry' && e.status === 'failing' && Number(e.dropped) > 0, { timeoutMs: 20_000, what: 'a failing report' });
      assert.ok(failing.lastError, 'the error is named');
      assert.equal(failing.exported, 0);
    } finally {
      await disposeProxy(proxy);
    }
  });
});
