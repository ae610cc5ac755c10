// A real OTLP/HTTP receiver for tests: decodes what arrives with the protobuf types generated from
// the official opentelemetry-proto definitions (shipped by @opentelemetry/otlp-transformer 0.210,
// installed as `otlp-proto-root`), for both OTLP/HTTP protobuf and OTLP/HTTP JSON. Can also play a
// collector that hangs (accepts, never answers) or refuses with 503.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

interface ProtoType {
  decode(b: Uint8Array): unknown;
  fromObject(o: unknown): unknown;
  toObject(m: unknown, o: Record<string, unknown>): Record<string, unknown>;
}
const proto = (createRequire(import.meta.url)('otlp-proto-root/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType } }; metrics: { v1: { ExportMetricsServiceRequest: ProtoType } } } } };
}).opentelemetry.proto.collector;
const TYPES = { logs: proto.logs.v1.ExportLogsServiceRequest, metrics: proto.metrics.v1.ExportMetricsServiceRequest };

type AttrValue = string | number | boolean | AttrValue[] | null;
type Attrs = Record<string, AttrValue>;
type Obj = Record<string, unknown>;

interface ReceivedLogRecord {
  resource: Attrs;
  scope: string;
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: AttrValue;
  attributes: Attrs;
}

interface ReceivedMetricPoint {
  resource: Attrs;
  name: string;
  value: number;
  attributes: Attrs;
}

interface ExportRequest {
  signal: 'logs' | 'metrics';
  contentType: string;
  /** The body exactly as received (for secret scans). */
  raw: Buffer;
  /** The decoded request as a plain object (camelCase, as OTLP/JSON). */
  decoded: Obj;
}

export interface Receiver {
  url: string;
  port: number;
  requests: ExportRequest[];
  /** Requests held open in hang mode. */
  held: number;
  logRecords(): ReceivedLogRecord[];
  metricPoints(name: string): ReceivedMetricPoint[];
  waitFor(pred: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

function anyValue(v: unknown): AttrValue {
  const o = (v ?? {}) as Obj;
  if ('stringValue' in o) return String(o.stringValue);
  if ('boolValue' in o) return Boolean(o.boolValue);
  if ('intValue' in o) return Number(o.intValue);
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('arrayValue' in o) return (((o.arrayValue as Obj).values as unknown[]) ?? []).map(anyValue);
  return null;
}

function attrs(list: unknown): Attrs {
  const out: Attrs = {};
  for (const kv of (list as { key: string; value: unknown }[] | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function decode(signal: 'logs' | 'metrics', contentType: string, raw: Buffer): Obj {
  const type = TYPES[signal];
  const toObject = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true };
  if (contentType.includes('application/x-protobuf')) return type.toObject(type.decode(raw), toObject);
  if (contentType.includes('application/json')) {
    // fromObject follows the proto's field names and types (proto3 JSON: 64-bit integers as strings).
    return type.toObject(type.fromObject(JSON.parse(raw.toString('utf8'))), toObject);
  }
  throw new Error(`unexpected content-type ${contentType}`);
}

export async function startReceiver(mode: 'ok' | 'hang' | 'fail' = 'ok'): Promise<Receiver> {
  const requests: ExportRequest[] = [];
  const held = new Set<ServerResponse>();
  const waiters = new Set<() => void>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const signal = req.url === '/v1/logs' ? 'logs' : req.url === '/v1/metrics' ? 'metrics' : null;
      if (!signal || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const contentType = req.headers['content-type'] ?? '';
      const raw = Buffer.concat(chunks);
      if (mode === 'hang') {
        held.add(res);
        for (const w of [...waiters]) w();
        return;
      }
      if (mode === 'fail') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      let decoded: Obj;
      try {
        decoded = decode(signal, contentType, raw);
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e));
        return;
      }
      requests.push({ signal, contentType, raw, decoded });
      for (const w of [...waiters]) w();
      // An empty Export*ServiceResponse: zero bytes in protobuf, `{}` in JSON.
      if (contentType.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const logRecords = (): ReceivedLogRecord[] =>
    requests.filter((r) => r.signal === 'logs').flatMap((r) =>
      ((r.decoded.resourceLogs as Obj[]) ?? []).flatMap((rl) =>
        ((rl.scopeLogs as Obj[]) ?? []).flatMap((sl) =>
          ((sl.logRecords as Obj[]) ?? []).map((lr) => ({
            resource: attrs((rl.resource as Obj | undefined)?.attributes),
            scope: String((sl.scope as Obj | undefined)?.name ?? ''),
            timeUnixNano: String(lr.timeUnixNano ?? ''),
            severityNumber: Number(lr.severityNumber ?? 0),
            severityText: String(lr.severityText ?? ''),
            eventName: String(lr.eventName ?? ''),
            body: anyValue(lr.body),
            attributes: attrs(lr.attributes),
          })))));

  const metricPoints = (name: string): ReceivedMetricPoint[] =>
    requests.filter((r) => r.signal === 'metrics').flatMap((r) =>
      ((r.decoded.resourceMetrics as Obj[]) ?? []).flatMap((rm) =>
        ((rm.scopeMetrics as Obj[]) ?? []).flatMap((sm) =>
          ((sm.metrics as Obj[]) ?? []).filter((m) => m.name === name).flatMap((m) =>
            (((m.sum as Obj | undefined)?.dataPoints as Obj[]) ?? []).map((p) => ({
              resource: attrs((rm.resource as Obj | undefined)?.attributes),
              name,
              value: Number(p.asInt ?? p.asDouble ?? 0),
              attributes: attrs(p.attributes),
            }))))));

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get held() {
      return held.size;
    },
    logRecords,
    metricPoints,
    waitFor: (pred, timeoutMs = 15_000, what = 'the receiver') =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pred()) return;
          clearTimeout(t);
          waiters.delete(check);
          resolve();
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; ${requests.length} export requests so far`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
