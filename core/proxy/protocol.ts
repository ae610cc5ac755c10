// The proxy's stdout protocol (`codex-netpolicy proxy --json`), one JSON object per line: the
// contract between the proxy (writer) and the extension (reader). Types only, so the extension can
// import it without pulling in the engine.

export interface ListeningEvent {
  event: 'listening';
  /** host:port of the HTTP listener. */
  http: string;
  socks: string | null;
  /** May carry the per-run credential: never log it unredacted. */
  proxyUrl: string;
  /** Absolute path of the CA certificate (PEM). */
  caCert: string;
  /** The profile and mode in force at start (later changes come as `policy` events). */
  profile?: string;
  mode?: string;
  /** Learning mode: allowlist misses are let through (flag `would_deny`); not enforcing. */
  learning?: boolean;
  /** The upstream proxy in use (credential-free description), when one is configured. */
  upstreamProxy?: string;
}

export interface DecisionEvent {
  event: 'decision';
  id: number;
  /** RFC 3339 UTC with milliseconds. */
  time: string;
  decision: 'allow' | 'deny';
  reason: string | null;
  proxyError: string | null;
  status: number;
  source: string;
  protocol: string;
  method: string | null;
  host: string;
  port: number;
  /** Path without the query string. */
  path: string | null;
  client: string;
  mitm: boolean;
  hook: string | null;
  actions: string[];
  headers: { strip: string[]; inject: string[] };
  rule: { file: string; line: number } | null;
  profile: string;
  mode: string;
  /** `would_deny`: let through by learning mode, denied by the allowlist otherwise. */
  flag?: 'would_deny';
  durationMs?: number;
  /** One sentence saying why (core/policy/explanation.ts). Optional for older proxies' lines. */
  explanation?: string;
  /** The DNS cause of a `not_allowed_local` block: lookup error code or the non-public address. */
  dns?: { error: string; allowlisted: boolean } | { nonPublic: string };
  /** The worker process (1…N-1) that judged it, with `proxy --workers N`; absent for the primary. */
  worker?: number;
  /** Filled in from the matching `outcome` line by readers that merge them (the decision log). */
  upstreamStatus?: number;
  bytes?: number;
  failure?: OutcomeFailure;
}

/** Why an allowed request ended without the upstream's answer (the proxy's own status, if any). */
export interface OutcomeFailure {
  reason: 'response_timeout' | 'connect_timeout';
  /** What the proxy answered (504), or null when it could only close (a raw tunnel). */
  status: number | null;
  message: string;
}

/**
 * How an allowed request ended, sent when it is over: the upstream's status (absent for raw
 * tunnels), bytes received from the upstream (both ways for a raw tunnel), total duration.
 */
export interface OutcomeEvent {
  event: 'outcome';
  /** The decision event's id. */
  id: number;
  upstreamStatus: number | null;
  bytes: number;
  durationMs: number;
  failure?: OutcomeFailure;
}

export interface PolicyEvent {
  event: 'policy';
  time: string;
  status: 'loaded' | 'invalid';
  profile: string | null;
  files: string[];
  diagnostics: { file: string; line: number; col: number; message: string }[];
}

interface ErrorEvent {
  event: 'error';
  time: string;
  message: string;
}

/** OTLP export status (only with --otlp-endpoint / OTEL_EXPORTER_OTLP_*): at start, when records are dropped or exports fail or recover, at stop. */
export interface TelemetryEvent {
  event: 'telemetry';
  time: string;
  status: 'started' | 'ok' | 'failing' | 'stopped';
  /** Logs endpoint without userinfo or query. */
  endpoint: string;
  protocol: string;
  /** Log records the collector accepted. */
  exported: number;
  /** Log records lost to a full queue or a failed export (after retries); the local log still has them. */
  dropped: number;
  queued: number;
  lastError: string | null;
}

export type ProxyEvent = DecisionEvent | OutcomeEvent | PolicyEvent | ErrorEvent | TelemetryEvent;

/** Every line of `proxy --json`: the listening line first, then events. */
export type ProxyLine = ListeningEvent | ProxyEvent;
