// The proxy's stdout protocol (`codex-netpolicy proxy --json`), one JSON object per line: the
// contract between the proxy (writer) and the extension (reader), defined once as zod schemas.
// The proxy types what it writes with the inferred types (type-only imports: no zod at run time
// in the proxy); the extension parses every line with parseProxyLine. Reading is lenient where
// older proxies may omit a field (defaults below) and strict where a line would be meaningless.
import { z } from 'zod';

/** RFC 3339 time; a missing one reads as now (never a throw). */
const time = z.string().catch(() => new Date().toISOString());
const optionalText = z.string().optional().catch(undefined);

const listening = z.object({
  event: z.literal('listening'),
  /** host:port of the HTTP listener. */
  http: z.string().min(1),
  socks: z.string().nullable().catch(null),
  /** May carry the per-run credential: never log it unredacted. */
  proxyUrl: z.string().min(1),
  /** Absolute path of the CA certificate (PEM). */
  caCert: z.string().min(1),
  /** The profile and mode in force at start (later changes come as `policy` events). */
  profile: optionalText,
  mode: optionalText,
  /** Learning mode: allowlist misses are let through (flag `would_deny`); not enforcing. */
  learning: z.literal(true).optional().catch(undefined),
  /** The upstream proxy in use (credential-free description), when one is configured. */
  upstreamProxy: optionalText,
});

const names = z.array(z.string()).catch([]);
const dns = z.union([z.object({ error: z.string(), allowlisted: z.boolean().catch(false) }), z.object({ nonPublic: z.string() })]);

/**
 * Why an allowed request ended without the upstream's answer (the proxy's own status, if any).
 * `client_aborted`: the client closed its connection or reset its h2 stream before the response
 * head; the proxy answered nothing (status null) and cancelled the upstream request.
 * The proxy's own 502s (and raw tunnels it could not open) — docs/semantics.md #8 session 7:
 * `upstream_unreachable` (refused, DNS failure, no address), `upstream_tls` (handshake or
 * certificate not trusted / wrong name), `upstream_closed` (closed, reset or broke HTTP before a
 * complete response head), `upstream_proxy` (the configured corporate proxy failed or refused).
 */
const failure = z.object({
  reason: z.enum(['response_timeout', 'connect_timeout', 'client_aborted', 'upstream_unreachable', 'upstream_tls', 'upstream_closed', 'upstream_proxy']),
  /** What the proxy answered (502/504), or null when it could only close (a raw tunnel). */
  status: z.number().nullable().catch(null),
  message: z.string().catch(''),
});

const decision = z.object({
  event: z.literal('decision'),
  id: z.number().catch(0),
  time: z.string().catch(new Date(0).toISOString()),
  decision: z.enum(['allow', 'deny']),
  reason: z.string().nullable().catch(null),
  proxyError: z.string().nullable().catch(null),
  status: z.number().catch(0),
  source: z.string().catch(''),
  protocol: z.string().catch('http'),
  method: z.string().nullable().catch(null),
  host: z.string().min(1),
  port: z.number().catch(0),
  /** Path without the query string. */
  path: z.string().nullable().catch(null),
  client: z.string().catch('unknown'),
  mitm: z.boolean().catch(false),
  hook: z.string().nullable().catch(null),
  actions: names,
  headers: z.object({ strip: names, inject: names }).catch({ strip: [], inject: [] }),
  rule: z.object({ file: z.string().min(1), line: z.number().catch(1) }).nullable().catch(null),
  profile: z.string().catch(''),
  mode: z.string().catch(''),
  /** `would_deny`: let through by learning mode, denied by the allowlist otherwise. */
  flag: z.literal('would_deny').optional().catch(undefined),
  durationMs: z.number().optional().catch(undefined),
  /** One sentence saying why (core/policy/explanation.ts). Optional for older proxies' lines. */
  explanation: optionalText,
  /** The DNS cause of a `not_allowed_local` block: lookup error code or the non-public address. */
  dns: dns.optional().catch(undefined),
  /** The worker process (1…N-1) that judged it, with `proxy --workers N`; absent for the primary. */
  worker: z.number().optional().catch(undefined),
  /** Filled in from the matching `outcome` line by readers that merge them (the decision log). */
  upstreamStatus: z.number().optional().catch(undefined),
  bytes: z.number().optional().catch(undefined),
  failure: failure.optional().catch(undefined),
});

/** How an allowed request ended: upstream status (null for raw tunnels), bytes from the upstream (both ways for a tunnel), duration. */
const outcome = z.object({
  event: z.literal('outcome'),
  /** The decision event's id. */
  id: z.number(),
  upstreamStatus: z.number().nullable().catch(null),
  bytes: z.number(),
  durationMs: z.number(),
  failure: failure.optional().catch(undefined),
});

const policy = z.object({
  event: z.literal('policy'),
  time,
  status: z.enum(['loaded', 'invalid']).catch('invalid'),
  profile: z.string().nullable().catch(null),
  files: names,
  diagnostics: z.array(z.object({ file: z.string().catch(''), line: z.number().catch(1), col: z.number().catch(1), message: z.string().catch('') })).catch([]),
});

const error = z.object({ event: z.literal('error'), time, message: z.string().catch('unknown proxy error') });

/** OTLP export status (only with --otlp-endpoint / OTEL_EXPORTER_OTLP_*): at start, on drops, failures and recovery, at stop. */
const telemetry = z.object({
  event: z.literal('telemetry'),
  time,
  status: z.enum(['started', 'ok', 'failing', 'stopped']),
  /** Logs endpoint without userinfo or query. */
  endpoint: z.string().catch(''),
  protocol: z.string().catch(''),
  /** Log records the collector accepted. */
  exported: z.number().catch(0),
  /** Log records lost to a full queue or a failed export (after retries); the local log still has them. */
  dropped: z.number().catch(0),
  queued: z.number().catch(0),
  lastError: z.string().nullable().catch(null),
});

const line = z.discriminatedUnion('event', [listening, decision, outcome, policy, error, telemetry]);

export type ListeningEvent = z.infer<typeof listening>;
export type DecisionEvent = z.infer<typeof decision>;
export type OutcomeEvent = z.infer<typeof outcome>;
export type OutcomeFailure = z.infer<typeof failure>;
export type PolicyEvent = z.infer<typeof policy>;
export type TelemetryEvent = z.infer<typeof telemetry>;
type ErrorEvent = z.infer<typeof error>;
export type ProxyEvent = DecisionEvent | OutcomeEvent | PolicyEvent | ErrorEvent | TelemetryEvent;
/** Every line of `proxy --json`: the listening line first, then events. */
export type ProxyLine = ListeningEvent | ProxyEvent;

/** One stdout line → a typed line; anything else becomes an `error` event (never a throw). */
export function parseProxyLine(text: string): ProxyLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return errorLine(`proxy wrote a non-JSON line: ${preview(text)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return errorLine(`proxy wrote a non-object line: ${preview(text)}`);
  const r = line.safeParse(v);
  if (r.success) return r.data;
  const kind = (v as { event?: unknown }).event;
  const known = typeof kind === 'string' && ['listening', 'decision', 'outcome', 'policy', 'error', 'telemetry'].includes(kind);
  if (!known) return errorLine(`proxy wrote an unknown event: ${preview(text)}`);
  const fields = [...new Set(r.error.issues.map((i) => i.path.join('.') || '(line)'))].join(', ');
  return errorLine(`proxy "${kind}" event is invalid (${fields})`);
}

function errorLine(message: string): ProxyEvent {
  return { event: 'error', time: new Date().toISOString(), message };
}

function preview(text: string): string {
  const t = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  // A garbage line might still hold a credential (e.g. a proxy URL): scrub userinfo.
  return JSON.stringify(t.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@'));
}
