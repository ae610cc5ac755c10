// OTLP configuration: flags over OTEL_* variables, clear errors, and the SDK bundle loaded only on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { OtlpConfigError, otlpConfig, redactUrl } from '../../core/telemetry/config';
import { CLI, runCli, tempFile } from '../helpers/cli';

test('nothing configured: no OTLP (the SDK is never loaded)', () => {
  assert.equal(otlpConfig({}, {}), null);
  assert.equal(otlpConfig({}, { OTEL_EXPORTER_OTLP_HEADERS: 'x=y' }), null);
});

test('--otlp-endpoint wins; protocol from flag, then signal variable, then general, default http/protobuf', () => {
  const c = otlpConfig({ endpoint: 'http://collector:4318/' }, {})!;
  assert.equal(c.endpoint, 'http://collector:4318');
  assert.equal(c.logsProtocol, 'http/protobuf');
  assert.ok(c.logs && c.metrics);
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' };
  const e = otlpConfig({}, env)!;
  assert.equal(e.endpoint, undefined, 'the SDK reads the variables itself');
  assert.equal(e.logsProtocol, 'http/json');
  assert.equal(e.metricsProtocol, 'http/protobuf');
  assert.equal(otlpConfig({ protocol: 'http/protobuf' }, env)!.logsProtocol, 'http/protobuf');
});

test('signal-specific endpoints and *_EXPORTER=none select what is exported; OTEL_SDK_DISABLED turns all off', () => {
  const logsOnly = otlpConfig({}, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://c:4318/v1/logs' })!;
  assert.deepEqual([logsOnly.logs, logsOnly.metrics], [true, false]);
  const noMetrics = otlpConfig({ endpoint: 'http://c:4318' }, { OTEL_METRICS_EXPORTER: 'none' })!;
  assert.deepEqual([noMetrics.logs, noMetrics.metrics], [true, false]);
  assert.equal(otlpConfig({ endpoint: 'http://c:4318' }, { OTEL_SDK_DISABLED: 'true' }), null);
});

test('bounded queue and batch sizes from OTEL_BLRP_*; the batch never exceeds the queue', () => {
  const c = otlpConfig({ endpoint: 'http://c:4318' }, { OTEL_BLRP_MAX_QUEUE_SIZE: '10', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '50' })!;
  assert.equal(c.maxQueueSize, 10);
  assert.equal(c.maxExportBatchSize, 10);
  assert.throws(() => otlpConfig({ endpoint: 'http://c:4318' }, { OTEL_BLRP_MAX_QUEUE_SIZE: '-1' }), /OTEL_BLRP_MAX_QUEUE_SIZE must be a positive integer/);
});

test('bad protocol or URL: a clear error naming the setting; gRPC is refused with the alternative', () => {
  assert.throws(() => otlpConfig({ endpoint: 'http://c:4318', protocol: 'grpc' }, {}), (e: unknown) => e instanceof OtlpConfigError && /--otlp-protocol: grpc is not supported; use http\/protobuf/.test(e.message));
  assert.throws(() => otlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }), /OTEL_EXPORTER_OTLP_PROTOCOL: unknown protocol "thrift"/);
  assert.throws(() => otlpConfig({ endpoint: 'ftp://c' }, {}), /--otlp-endpoint: must be an http/);
});

test('endpoints in status lines lose userinfo and query', () => {
  assert.equal(redactUrl('https://user:tok3n@c.example:4318/v1/logs?api_key=tok3n'), 'https://c.example:4318/v1/logs');
});

test('the CLI rejects a bad OTLP setting before starting (usage error, exit 64)', () => {
  const config = tempFile('config.toml', 'default_permissions = ":workspace"\n');
  const r = runCli(['proxy', '--config', config, '--otlp-endpoint', 'http://127.0.0.1:1', '--otlp-protocol', 'grpc']);
  assert.equal(r.code, 64, r.stderr);
  assert.match(r.stderr, /grpc is not supported/);
});

test('the SDK bundle is loaded only when OTLP is configured', () => {
  // cli.js alone, without its sibling otlp.js: the proxy starts; asking for OTLP then fails to load it.
  const dir = mkdtempSync(join(tmpdir(), 'cnp-lazy-'));
  try {
    copyFileSync(CLI, join(dir, 'cli.js'));
    const config = tempFile('config.toml', 'default_permissions = ":workspace"\n');
    const env = { PATH: process.env.PATH ?? '', HOME: dir, CODEX_NETPOLICY_HOME: join(dir, 'home') };
    const run = (extra: string[]) => spawnSync(process.execPath, [join(dir, 'cli.js'), 'proxy', '--json', '--config', config, '--ca-dir', join(dir, 'ca'), ...extra], { encoding: 'utf8', env, timeout: 5000, killSignal: 'SIGTERM' });
    const plain = run([]);
    assert.match(plain.stdout, /"event":"listening"/, plain.stderr);
    const withOtlp = run(['--otlp-endpoint', 'http://127.0.0.1:1']);
    assert.equal(withOtlp.status, 1, 'fails at start, before listening');
    assert.doesNotMatch(withOtlp.stdout, /listening/);
    assert.match(withOtlp.stderr, /otlp\.js/, 'the missing SDK bundle is what fails');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
