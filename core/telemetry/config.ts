// Whether and where the proxy exports decisions over OTLP: `--otlp-endpoint`/`--otlp-protocol`
// first, then the standard OTEL_* variables. Pure (no SDK import), so the proxy decides cheaply
// whether to load the OpenTelemetry SDK at all.

type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpConfig {
  /** Explicit base URL (`--otlp-endpoint`); `/v1/logs` and `/v1/metrics` are appended. Undefined: the SDK reads OTEL_EXPORTER_OTLP_*. */
  endpoint?: string;
  logsProtocol: OtlpProtocol;
  metricsProtocol: OtlpProtocol;
  logs: boolean;
  metrics: boolean;
  /** Bounded queue and batching (OTEL_BLRP_*). */
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  /** OTEL_METRIC_EXPORT_INTERVAL. */
  metricIntervalMillis: number;
}

export class OtlpConfigError extends Error {}

type Env = Record<string, string | undefined>;

function protocolOf(value: string | undefined, what: string): OtlpProtocol | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'http/protobuf' || v === 'http/json') return v;
  // Decision: no gRPC. It needs @grpc/grpc-js (large, native-feeling) for no gain over HTTP/protobuf,
  // which every Collector receives on :4318.
  if (v === 'grpc') throw new OtlpConfigError(`${what}: grpc is not supported; use http/protobuf (Collector port 4318) or http/json`);
  throw new OtlpConfigError(`${what}: unknown protocol ${JSON.stringify(value)} (http/protobuf or http/json)`);
}

function positive(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new OtlpConfigError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function checkedUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new OtlpConfigError(`${what}: not a URL: ${JSON.stringify(redactUrl(raw))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OtlpConfigError(`${what}: must be an http:// or https:// URL`);
  return raw.replace(/\/+$/, '');
}

/** The OTLP config, or null when nothing asks for an export (the SDK is then never loaded). */
export function otlpConfig(flags: { endpoint?: string; protocol?: string }, env: Env): OtlpConfig | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const endpoint = flags.endpoint !== undefined ? checkedUrl(flags.endpoint, '--otlp-endpoint') : undefined;
  const logsFromEnv = !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT);
  const metricsFromEnv = !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  const off = (name: string): boolean => (env[name] ?? '').split(',').map((s) => s.trim().toLowerCase()).includes('none');
  const logs = (!!endpoint || logsFromEnv) && !off('OTEL_LOGS_EXPORTER');
  const metrics = (!!endpoint || metricsFromEnv) && !off('OTEL_METRICS_EXPORTER');
  if (!logs && !metrics) return null;
  const flagProtocol = protocolOf(flags.protocol, '--otlp-protocol');
  const general = protocolOf(env.OTEL_EXPORTER_OTLP_PROTOCOL, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  const maxQueueSize = positive(env, 'OTEL_BLRP_MAX_QUEUE_SIZE', 2048);
  return {
    ...(endpoint ? { endpoint } : {}),
    logsProtocol: flagProtocol ?? protocolOf(env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL') ?? general ?? 'http/protobuf',
    metricsProtocol: flagProtocol ?? protocolOf(env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') ?? general ?? 'http/protobuf',
    logs,
    metrics,
    maxQueueSize,
    maxExportBatchSize: Math.min(positive(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512), maxQueueSize),
    scheduledDelayMillis: positive(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000),
    exportTimeoutMillis: positive(env, 'OTEL_BLRP_EXPORT_TIMEOUT', 30_000),
    metricIntervalMillis: positive(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000),
  };
}

/** A URL fit for a log line: no userinfo, no query (either may carry a token). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/** Where logs go, for status lines: the flag's URL, else the variables the SDK will read. */
export function logsEndpointOf(cfg: OtlpConfig, env: Env): string {
  if (cfg.endpoint) return `${cfg.endpoint}/v1/logs`;
  if (env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) return env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
  return `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').replace(/\/+$/, '')}/v1/logs`;
}
