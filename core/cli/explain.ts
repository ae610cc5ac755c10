// `codex-netpolicy explain`: what the proxy would do with one request, with no network traffic.
import { decide, type Decision, type HeaderLookup, type Resolution } from '../policy/decide';
import { explanationOf } from '../policy/explanation';
import type { CompiledPolicy } from '../policy/compile';
import { normalizeHost } from '../match/host';
import { parseAbsoluteUrl, type Target } from '../net/target';
import { many, one, parseArgs, UsageError } from './args';
import { formatDiagnostic, loadPolicyFiles } from './policyFiles';
import { parseResolveOverrides, type ResolveOverrides } from './resolveOverrides';
import { describeHop, describeProxy, hopFor, upstreamProxyConfig, UpstreamProxyUrlError, type UpstreamProxyConfig } from '../net/upstreamProxy';

const EXPLAIN_HELP = `Usage: codex-netpolicy explain [--json] [--config FILE] [--requirements FILE] [--profile NAME]
                              [--resolve HOST=IP]... [--header 'Name: value']... [--upstream-proxy URL]
                              METHOD URL

Shows what the proxy would do with the request: for an https URL the CONNECT decision, then
the request inside the tunnel, and the hop an allowed request takes (direct, or via the upstream
proxy from --upstream-proxy or this environment's HTTPS_PROXY/HTTP_PROXY/ALL_PROXY, NO_PROXY
honoured; credentials never shown). Sends nothing. Host names without --resolve count as public;
--resolve HOST= (empty address) makes that name fail to resolve.`;

export interface ExplainOutput {
  decision: 'allow' | 'deny';
  reason: string | null;
  proxyError: string | null;
  status: number;
  mitm: boolean;
  hook: string | null;
  headers: { strip: string[]; inject: string[] };
  rule: { file: string; line: number } | null;
  /** The same sentence the proxy's decision event carries. */
  explanation: string;
  /** How an allowed request leaves the proxy; null when denied (nothing is sent). */
  hop?: { route: 'direct' | 'upstream-proxy'; proxy: string | null; description: string } | null;
}

export interface ExplainRequest {
  method: string;
  url: string;
  headers: [string, string][];
  resolve: ResolveOverrides;
}

/** The decision for a URL as the proxy would make it (CONNECT first for https). */
export function explainRequest(policy: CompiledPolicy, req: ExplainRequest): { final: Decision; connect?: Decision } | { error: string } {
  const target = parseAbsoluteUrl(req.url);
  if ('error' in target) return { error: target.error };
  const host = normalizeHost(decodeZone(target.host));
  const resolution = resolutionFor(host, req.resolve);
  const headerMap = new Map<string, string[]>();
  for (const [k, v] of req.headers) headerMap.set(k.toLowerCase(), [...(headerMap.get(k.toLowerCase()) ?? []), v]);
  const lookup: HeaderLookup = (n) => headerMap.get(n);
  const hostHeader = headerMap.get('host')?.[0] ?? authorityFor(target);
  if (target.scheme === 'https' || target.scheme === 'wss') {
    const connect = decide(policy, { kind: 'connect', authority: `${bracket(target.host)}:${target.port}`, resolution });
    if (connect.decision === 'deny' || !connect.mitm) return { final: connect, connect };
    const inner = decide(policy, {
      kind: 'inner', tunnelHost: connect.host, port: target.port, method: req.method, path: target.path, query: target.query,
      hostHeader, headers: lookup, resolution,
    });
    return { final: inner, connect };
  }
  const plain = decide(policy, {
    kind: 'http', method: req.method, host: decodeZone(target.host), port: target.port, scheme: target.scheme, explicitPort: target.explicitPort,
    path: target.path, query: target.query, hostHeader, headers: lookup, resolution,
  });
  return { final: plain };
}

function decodeZone(host: string): string {
  return host.replace(/%25/g, '%');
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function authorityFor(t: Target): string {
  return t.explicitPort ? `${bracket(t.host)}:${t.port}` : bracket(t.host);
}

function resolutionFor(host: string, overrides: ResolveOverrides): Resolution {
  const o = overrides.get(host);
  if (o === undefined) return { assumedPublic: true };
  return o.length === 0 ? { error: 'unresolvable' } : { addresses: o };
}

export function toOutput(d: Decision, req: { method: string; path: string | null } = { method: '', path: null }): ExplainOutput {
  return {
    decision: d.decision, reason: d.reason, proxyError: d.proxyError, status: d.status, mitm: d.mitm, hook: d.hook,
    headers: { strip: [...d.headers.strip], inject: [...d.headers.inject] },
    rule: d.rule ? { file: d.rule.file, line: d.rule.line } : null,
    explanation: explanationOf(d, requestLine(d, req)),
  };
}

/** CONNECT decisions explain the tunnel; inner and plain ones the request. */
function requestLine(d: Decision, req: { method: string; path: string | null }): { method: string; path: string | null } {
  return d.protocol === 'https_connect' ? { method: 'CONNECT', path: null } : req;
}

export function runExplain(argv: string[], io: { out: (s: string) => void; err: (s: string) => void; env: Record<string, string | undefined> }): number {
  const args = parseArgs(argv, { flags: ['json', 'help'], options: ['config', 'requirements', 'profile', 'resolve', 'header', 'upstream-proxy'] });
  if (args.flags.has('help')) {
    io.out(EXPLAIN_HELP);
    return 0;
  }
  if (args.positionals.length !== 2) throw new UsageError('explain needs METHOD and URL');
  const [method, url] = args.positionals as [string, string];
  const headers: [string, string][] = many(args, 'header').map((h) => {
    const c = h.indexOf(':');
    if (c <= 0) throw new UsageError(`--header must be 'Name: value', got ${JSON.stringify(h)}`);
    return [h.slice(0, c).trim(), h.slice(c + 1).trim()];
  });
  const resolve = parseResolveOverrides(many(args, 'resolve'));
  const config = one(args, 'config');
  const requirements = one(args, 'requirements');
  const profile = one(args, 'profile');
  const loaded = loadPolicyFiles({ ...(config ? { config } : {}), ...(requirements ? { requirements } : {}), ...(profile ? { profile } : {}), env: io.env });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.policy || errors.length) {
    for (const d of errors.length ? errors : loaded.diagnostics) io.err(formatDiagnostic(d));
    if (!errors.length && !loaded.diagnostics.length) io.err('no policy: no config.toml found (pass --config FILE)');
    return 2;
  }
  const result = explainRequest(loaded.policy, { method, url, headers, resolve });
  if ('error' in result) throw new UsageError(result.error);
  const path = pathOf(url);
  const hop = hopOfExplained(result.final, url, loaded.policy, upstreamFrom(io, one(args, 'upstream-proxy')));
  const out = { ...toOutput(result.final, { method: method.toUpperCase(), path }), hop };
  if (args.flags.has('json')) {
    io.out(JSON.stringify(out));
    return 0;
  }
  io.out(describe(method, url, result.final, result.connect, loaded.policy, out.explanation) + `\n  hop:     ${hop ? hop.description : 'none (denied: nothing is sent)'}`);
  return 0;
}

function upstreamFrom(io: { err: (s: string) => void; env: Record<string, string | undefined> }, flag: string | undefined): UpstreamProxyConfig {
  try {
    const cfg = upstreamProxyConfig(io.env, flag);
    for (const w of cfg.warnings) io.err(`warning: ${w}`);
    return cfg;
  } catch (e) {
    if (e instanceof UpstreamProxyUrlError) throw new UsageError(e.message);
    throw e;
  }
}

/** The hop the proxy would take for an allowed request (same rule as core/proxy/hop.ts). */
function hopOfExplained(d: Decision, url: string, policy: CompiledPolicy, cfg: UpstreamProxyConfig): ExplainOutput['hop'] {
  if (d.decision !== 'allow') return null;
  const t = parseAbsoluteUrl(url);
  const secure = !('error' in t) && (t.scheme === 'https' || t.scheme === 'wss');
  const hop = hopFor(cfg, policy.effective.allowUpstreamProxy, d.host, d.port, secure);
  return { route: hop.kind === 'proxy' ? 'upstream-proxy' : 'direct', proxy: hop.kind === 'proxy' ? describeProxy(hop.proxy) : null, description: describeHop(hop) };
}

function pathOf(url: string): string | null {
  const t = parseAbsoluteUrl(url);
  return 'error' in t ? null : t.path;
}

function describe(method: string, url: string, d: Decision, connect: Decision | undefined, policy: CompiledPolicy, explanation: string): string {
  const lines: string[] = [];
  const verdict = d.decision === 'allow' ? 'ALLOW' : 'DENY';
  const status = d.proxyError ? `${d.status} ${d.proxyError}` : String(d.status);
  // Like the decision log, never the query string (it often carries a token): `?…` marks one.
  const shown = url.replace(/[?#].*$/s, (q) => (q.startsWith('?') ? '?…' : ''));
  lines.push(`${verdict}  ${method.toUpperCase()} ${shown}  → ${status}`);
  lines.push(`  why:     ${explanation}`);
  if (connect && connect !== d) lines.push(`  CONNECT ${connect.host}:${connect.port}: ${connect.decision}${connect.mitm ? ', decrypted (MITM)' : ''}`);
  else if (connect) lines.push(`  CONNECT ${connect.host}:${connect.port}: ${connect.decision}${connect.mitm ? '' : ', raw tunnel (not decrypted)'}`);
  if (d.reason) lines.push(`  reason:  ${d.reason} — ${d.message ?? ''}`);
  else if (d.message) lines.push(`  error:   ${d.message}`);
  lines.push(`  profile: ${policy.effective.profile} (${policy.effective.mode} mode)`);
  if (d.hook) lines.push(`  hook:    ${d.hook}`);
  if (d.headers.strip.length) lines.push(`  strips:  ${d.headers.strip.join(', ')}`);
  if (d.headers.inject.length) lines.push(`  injects: ${d.headers.inject.join(', ')} (values hidden)`);
  lines.push(`  rule:    ${d.rule ? `${d.rule.file}:${d.rule.line}` : '(none: no rule matched)'}`);
  return lines.join('\n');
}
