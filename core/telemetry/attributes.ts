// A decision event as OpenTelemetry attributes: semantic conventions where they exist, `codex.*`
// for the rest. Built only from the event's names and numbers — the event itself never holds a
// header value, a query string or a secret (core/proxy/events.ts), and nothing else is read here.
import { hostname, userInfo } from 'node:os';
import {
  ATTR_CLIENT_ADDRESS, ATTR_CLIENT_PORT, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION, ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { DecisionEvent } from '../proxy/protocol';

export interface PolicyDigests {
  /** SHA-256 over config.toml and requirements.toml together: which effective policy decided. */
  policy: string;
  /** SHA-256 of requirements.toml alone (`sha256sum` of the managed file), or '' without one. */
  requirements: string;
}

export type Attributes = Record<string, string | number | boolean | string[]>;

/** Log record event name and the decision counter's name. */
export const DECISION_EVENT_NAME = 'codex.netpolicy.decision';
export const DECISION_COUNTER = 'codex.netpolicy.decisions';
export const DROPPED_COUNTER = 'codex.netpolicy.otlp.dropped_log_records';
// Incubating semantic conventions, copied as the package recommends (their entry point is not stable).
const ATTR_HOST_NAME = 'host.name';
const ATTR_USER_NAME = 'user.name';
const ATTR_PROCESS_PID = 'process.pid';

/** OSI application protocol of the client's request (semantic conventions' `network.protocol.name`). */
function protocolName(p: string): string {
  return p.startsWith('socks5') ? 'socks' : 'http';
}

/** The proxy answered itself (a denial, a CONNECT or SOCKS reply): only then is `status` a response status. */
function proxyAnswered(e: DecisionEvent): boolean {
  return e.decision === 'deny' || e.protocol === 'https_connect' || e.protocol.startsWith('socks5');
}

function splitClient(client: string): { address: string; port?: number } | null {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(client);
  return m ? { address: m[1]!, port: Number(m[2]) } : null;
}

export function decisionAttributes(e: DecisionEvent, digests: PolicyDigests): Attributes {
  const a: Attributes = {
    [ATTR_SERVER_ADDRESS]: e.host,
    [ATTR_SERVER_PORT]: e.port,
    [ATTR_NETWORK_PROTOCOL_NAME]: protocolName(e.protocol),
    'codex.decision': e.decision,
    'codex.profile': e.profile,
    'codex.mode': e.mode,
    'codex.source': e.source,
    'codex.protocol': e.protocol,
    'codex.mitm': e.mitm,
  };
  if (e.method) a[ATTR_HTTP_REQUEST_METHOD] = e.method;
  if (e.path !== null) a[ATTR_URL_PATH] = e.path;
  if (proxyAnswered(e) && e.status > 0) a[ATTR_HTTP_RESPONSE_STATUS_CODE] = e.status;
  const client = splitClient(e.client);
  if (client) {
    a[ATTR_CLIENT_ADDRESS] = client.address;
    if (client.port !== undefined) a[ATTR_CLIENT_PORT] = client.port;
  }
  if (e.reason) a['codex.reason'] = e.reason;
  if (e.proxyError) a['codex.proxy_error'] = e.proxyError;
  if (e.hook) a['codex.hook'] = e.hook;
  if (e.actions.length) a['codex.actions'] = [...e.actions];
  if (e.headers.strip.length) a['codex.headers.stripped'] = [...e.headers.strip];
  if (e.headers.inject.length) a['codex.headers.injected'] = [...e.headers.inject];
  if (e.rule) a['codex.rule'] = `${e.rule.file}:${e.rule.line}`;
  a['codex.policy.sha256'] = digests.policy;
  if (digests.requirements) a['codex.requirements.sha256'] = digests.requirements;
  if (e.durationMs !== undefined) a['codex.duration_ms'] = e.durationMs;
  return a;
}

/** Low-cardinality attributes of the decision counter (no path, no port, no client). */
export function counterAttributes(e: DecisionEvent): Attributes {
  return { 'codex.decision': e.decision, 'codex.reason': e.reason ?? 'none', [ATTR_SERVER_ADDRESS]: e.host };
}

/** A one-line body for log viewers that show only the body. */
export function decisionBody(e: DecisionEvent): string {
  const target = `${e.host}:${e.port}${e.path ?? ''}`;
  return `${e.decision} ${e.method ?? e.protocol} ${target}${e.reason ? ` (${e.reason})` : ''}`;
}

function userName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined; // no passwd entry (some containers)
  }
}

/** Resource attributes of the proxy process; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override them (the SDK's env detector). */
export function resourceAttributes(version: string): Attributes {
  const user = userName();
  return {
    [ATTR_SERVICE_NAME]: 'codex-netpolicy',
    [ATTR_SERVICE_VERSION]: version,
    // The extension and the CLI are one package: the proxy's version is the extension's.
    'codex.extension.version': version,
    [ATTR_HOST_NAME]: hostname(),
    [ATTR_PROCESS_PID]: process.pid,
    ...(user ? { [ATTR_USER_NAME]: user } : {}),
  };
}
