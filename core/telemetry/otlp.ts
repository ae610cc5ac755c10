// OTLP export of decisions with the OpenTelemetry SDK: one log record per decision through a
// BatchLogRecordProcessor (bounded queue, batches; the OTLP exporter retries with backoff), and a
// decision counter through a PeriodicExportingMetricReader. Loaded lazily (its own bundle,
// dist/otlp.js) only when OTLP is configured. Emitting never waits on the network: a collector
// that is down costs a request nothing, and the records it cannot take are counted as dropped.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DecisionEvent, ProxyEvent, TelemetryEvent } from '../proxy/protocol';
import { counterAttributes, decisionAttributes, decisionBody, DECISION_COUNTER, DECISION_EVENT_NAME, DROPPED_COUNTER, resourceAttributes, type PolicyDigests } from './attributes';
import { logsEndpointOf, redactUrl, type OtlpConfig } from './config';

type TelemetryStatus = Omit<TelemetryEvent, 'event' | 'time'>;

export interface OtlpSinkOptions {
  config: OtlpConfig;
  env: Record<string, string | undefined>;
  version: string;
  /** Digests of the policy files in force, stamped on every record. */
  digests: () => PolicyDigests;
  /** Status for the proxy's event stream (drops, failures, recovery); throttled here. */
  report: (s: TelemetryStatus) => void;
  /** Minimum time between two reports while records are being dropped. */
  reportEveryMs?: number;
}

export interface OtlpSink {
  onEvent(e: ProxyEvent): void;
  stats(): { exported: number; dropped: number; queued: number; lastError: string | null };
  /** Flushes what is queued, waiting at most `timeoutMs`; what is left is counted as dropped. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** Counts what each export did; `pending` is every record handed to the processor and not yet settled. */
class Counters {
  exported = 0;
  dropped = 0;
  pending = 0;
  failing = false;
  lastError: string | null = null;
  /** After stop: late export results no longer change the final counts. */
  closed = false;
}

class CountingExporter implements LogRecordExporter {
  constructor(private readonly inner: LogRecordExporter, private readonly c: Counters, private readonly settled: (ok: boolean) => void) {}

  export(records: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.inner.export(records, (r) => {
      if (this.c.closed) return done(r);
      this.c.pending -= records.length;
      if (r.code === ExportResultCode.SUCCESS) this.c.exported += records.length;
      else {
        this.c.dropped += records.length;
        this.c.lastError = r.error?.message ?? 'export failed';
      }
      this.settled(r.code === ExportResultCode.SUCCESS);
      done(r);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function resourceOf(version: string): Resource {
  return resourceFromAttributes(resourceAttributes(version)).merge(detectResources({ detectors: [envDetector] }));
}

function logExporter(cfg: OtlpConfig): LogRecordExporter {
  const url = cfg.endpoint ? { url: `${cfg.endpoint}/v1/logs` } : {};
  return cfg.logsProtocol === 'http/json' ? new JsonLogExporter(url) : new ProtoLogExporter(url);
}

function metricReader(cfg: OtlpConfig): PeriodicExportingMetricReader {
  const url = cfg.endpoint ? { url: `${cfg.endpoint}/v1/metrics` } : {};
  const exporter = cfg.metricsProtocol === 'http/json' ? new JsonMetricExporter(url) : new ProtoMetricExporter(url);
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: cfg.metricIntervalMillis, exportTimeoutMillis: Math.min(cfg.metricIntervalMillis, 30_000) });
}

export function startOtlpExport(opts: OtlpSinkOptions): OtlpSink {
  const { config: cfg, env } = opts;
  const c = new Counters();
  const resource = resourceOf(opts.version);
  const endpoint = redactUrl(logsEndpointOf(cfg, env));
  const status = (state: TelemetryStatus['status']): TelemetryStatus => ({
    status: state, endpoint, protocol: cfg.logsProtocol, exported: c.exported, dropped: c.dropped, queued: c.pending, lastError: c.lastError,
  });

  // Throttled reporting: a drop or failure is reported at once, then at most every reportEveryMs.
  const every = opts.reportEveryMs ?? 5000;
  let lastReport = 0;
  let reportedDropped = 0;
  let timer: NodeJS.Timeout | null = null;
  const reportSoon = (): void => {
    if (timer) return;
    const wait = Math.max(0, lastReport + every - Date.now());
    timer = setTimeout(() => {
      timer = null;
      lastReport = Date.now();
      reportedDropped = c.dropped;
      opts.report(status(c.failing ? 'failing' : 'ok'));
    }, wait);
    timer.unref();
  };
  const settled = (ok: boolean): void => {
    const recovered = ok && c.failing;
    c.failing = !ok;
    if (recovered || c.dropped !== reportedDropped) reportSoon();
  };

  const logs = cfg.logs
    ? new LoggerProvider({
        resource,
        processors: [new BatchLogRecordProcessor({
          exporter: new CountingExporter(logExporter(cfg), c, settled), maxQueueSize: cfg.maxQueueSize, maxExportBatchSize: cfg.maxExportBatchSize, scheduledDelayMillis: cfg.scheduledDelayMillis, exportTimeoutMillis: cfg.exportTimeoutMillis,
        })],
      })
    : null;
  const logger = logs?.getLogger('codex-netpolicy', opts.version);
  const meters = cfg.metrics ? new MeterProvider({ resource, readers: [metricReader(cfg)] }) : null;
  const meter = meters?.getMeter('codex-netpolicy', opts.version);
  const decisions = meter?.createCounter(DECISION_COUNTER, { unit: '{decision}', description: 'Decisions of the Codex network policy proxy' });
  meter?.createObservableCounter(DROPPED_COUNTER, { unit: '{log_record}', description: 'Decision log records the OTLP exporter could not deliver' })
    .addCallback((r) => r.observe(c.dropped));
  opts.report(status('started'));

  const emit = (e: DecisionEvent): void => {
    decisions?.add(1, counterAttributes(e));
    if (!logger) return;
    // Our bound includes the batch in flight, so the SDK's own queue never overflows unseen.
    if (c.pending >= cfg.maxQueueSize) {
      c.dropped++;
      reportSoon();
      return;
    }
    c.pending++;
    logger.emit({
      eventName: DECISION_EVENT_NAME,
      timestamp: new Date(e.time),
      severityNumber: e.decision === 'allow' ? SeverityNumber.INFO : SeverityNumber.WARN,
      severityText: e.decision === 'allow' ? 'INFO' : 'WARN',
      body: decisionBody(e),
      attributes: decisionAttributes(e, opts.digests()),
    });
  };

  let closing: Promise<void> | null = null;
  return {
    onEvent: (e) => {
      if (e.event === 'decision' && !closing) emit(e);
    },
    stats: () => ({ exported: c.exported, dropped: c.dropped, queued: c.pending, lastError: c.lastError }),
    shutdown: (timeoutMs) => {
      closing ??= (async () => {
        if (timer) clearTimeout(timer);
        const flush = Promise.allSettled([logs?.shutdown(), meters?.shutdown()]);
        let t: NodeJS.Timeout | undefined;
        await Promise.race([flush, new Promise<void>((r) => (t = setTimeout(r, timeoutMs)))]);
        clearTimeout(t);
        // Whatever is still queued or in flight now will not reach the collector.
        c.dropped += c.pending;
        c.pending = 0;
        c.closed = true;
        opts.report(status('stopped'));
      })();
      return closing;
    },
  };
}
