// The user's own (corporate) proxy that our proxy chains to (reference §8.2): read once from the
// environment the proxy was started with, or `--upstream-proxy URL` (which wins). Only http/https
// proxies; credentials in the URL are kept apart and never printed (describeProxy is the only way
// a proxy is named in messages).
import { BlockList, isIP } from 'node:net';
import { isNonPublicAddress, literalAddress } from '../match/address';
import { normalizeHost } from '../match/host';

export interface UpstreamProxy {
  protocol: 'http:' | 'https:';
  /** Host name or IP literal (no brackets). */
  host: string;
  port: number;
  /** `Basic …` for Proxy-Authorization, or null. Never logged. */
  authorization: string | null;
  /** Where it came from: `--upstream-proxy`, `HTTPS_PROXY`, `http.proxy` … */
  source: string;
}

export interface UpstreamProxyConfig {
  /** For CONNECT and TLS (HTTPS, then HTTP, then ALL). */
  secure: UpstreamProxy | null;
  /** For plain HTTP (HTTP, then ALL). */
  plain: UpstreamProxy | null;
  noProxy: NoProxy;
  /** Ignored settings, credential-free. */
  warnings: string[];
}

export type Hop =
  | { kind: 'direct'; why: 'no-proxy-configured' | 'disabled-by-policy' | 'local-target' | 'no_proxy' }
  | { kind: 'proxy'; proxy: UpstreamProxy };

export const NO_UPSTREAM: UpstreamProxyConfig = { secure: null, plain: null, noProxy: parseNoProxy(''), warnings: [] };

export class UpstreamProxyUrlError extends Error {}

/**
 * Parses a proxy URL. A value without a scheme is `http://` (as curl). SOCKS and other schemes
 * are refused: this proxy speaks HTTP CONNECT to its upstream. Errors never contain the value.
 */
export function parseProxyUrl(raw: string, source: string): UpstreamProxy {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new UpstreamProxyUrlError(`${source}: not a valid proxy URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UpstreamProxyUrlError(`${source}: ${u.protocol.slice(0, -1)} proxies are not supported (http and https only)`);
  }
  if (!u.hostname) throw new UpstreamProxyUrlError(`${source}: the proxy URL has no host`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  const authorization = user || pass ? `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` : null;
  return { protocol: u.protocol, host, port, authorization, source };
}

type Env = Record<string, string | undefined>;

/** First non-blank value of the keys, upper case first (upstream's order). */
function firstSet(env: Env, keys: readonly string[]): [string, string] | null {
  for (const k of keys) {
    const v = env[k];
    if (v !== undefined && v.trim() !== '') return [k, v];
  }
  return null;
}

/**
 * The upstream proxy configuration for a proxy process: `explicit` (`--upstream-proxy`) wins,
 * else the startup environment. Environment values a codex-netpolicy proxy wrote for its own
 * children (`CODEX_NETPOLICY_PROXY=1`) are never used: chaining to ourselves is a loop.
 */
export function upstreamProxyConfig(env: Env, explicit?: string): UpstreamProxyConfig {
  const warnings: string[] = [];
  const noProxy = parseNoProxy(firstSet(env, ['NO_PROXY', 'no_proxy'])?.[1] ?? '');
  if (explicit !== undefined) {
    const p = parseProxyUrl(explicit, '--upstream-proxy');
    return { secure: p, plain: p, noProxy, warnings };
  }
  if (env.CODEX_NETPOLICY_PROXY === '1') {
    if (firstSet(env, ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'])) {
      warnings.push('the proxy variables of this environment were set by a codex-netpolicy proxy (CODEX_NETPOLICY_PROXY=1); not chaining to them (self-loop). Pass --upstream-proxy to chain explicitly');
    }
    return { ...NO_UPSTREAM, warnings };
  }
  const read = (keys: readonly string[]): UpstreamProxy | null => {
    const hit = firstSet(env, keys);
    if (!hit) return null;
    try {
      return parseProxyUrl(hit[1], hit[0]);
    } catch (e) {
      warnings.push(`ignoring ${(e as Error).message}`);
      return null;
    }
  };
  const https = read(['HTTPS_PROXY', 'https_proxy']);
  const http = read(['HTTP_PROXY', 'http_proxy']);
  const all = read(['ALL_PROXY', 'all_proxy']);
  return { secure: https ?? http ?? all, plain: http ?? all, noProxy, warnings };
}

/**
 * Which hop a judged request takes. Upstream's rules: no upstream when the policy forbids it or
 * none is configured; loopback/private IP literals and `localhost` always go direct. Ours on top
 * (docs/semantics.md, #12): a NO_PROXY match goes direct.
 */
export function hopFor(cfg: UpstreamProxyConfig, allowed: boolean, host: string, port: number, secure: boolean): Hop {
  const proxy = secure ? cfg.secure : cfg.plain;
  if (!proxy) return { kind: 'direct', why: 'no-proxy-configured' };
  if (!allowed) return { kind: 'direct', why: 'disabled-by-policy' };
  const h = normalizeHost(host);
  const literal = literalAddress(h);
  if (h === 'localhost' || (literal !== null && literal !== 'invalid' && isNonPublicAddress(literal) === true)) return { kind: 'direct', why: 'local-target' };
  if (cfg.noProxy.matches(h, port)) return { kind: 'direct', why: 'no_proxy' };
  return { kind: 'proxy', proxy };
}

/** How a hop reads in messages and `explain`: never with credentials. */
export function describeHop(hop: Hop): string {
  if (hop.kind === 'proxy') return `via upstream proxy ${describeProxy(hop.proxy)} (from ${hop.proxy.source})`;
  switch (hop.why) {
    case 'no-proxy-configured': return 'direct (no upstream proxy configured)';
    case 'disabled-by-policy': return 'direct (allow_upstream_proxy = false)';
    case 'local-target': return 'direct (local target: never sent to the upstream proxy)';
    case 'no_proxy': return 'direct (NO_PROXY matches)';
  }
}

/** `http://host:port`, plus a note when credentials are configured; the credentials never. */
export function describeProxy(p: UpstreamProxy): string {
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${p.protocol}//${host}:${p.port}${p.authorization ? ' with credentials' : ''}`;
}

export interface NoProxy {
  matches(host: string, port: number): boolean;
}

/**
 * NO_PROXY as curl and most tools read it: comma/space separated; `*` matches everything;
 * `example.com`, `.example.com` and `*.example.com` match the domain and its subdomains;
 * `host:port` only that port; IP literals exactly, CIDR ranges for IP literal targets.
 */
export function parseNoProxy(value: string): NoProxy {
  const entries = value.split(/[\s,]+/).map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (entries.includes('*')) return { matches: () => true };
  const ranges = new BlockList();
  let hasRanges = false;
  const names: { name: string; port: number | null }[] = [];
  for (const e of entries) {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(e);
    if (cidr && isIP(cidr[1]!)) {
      const family = isIP(cidr[1]!) === 6 ? 'ipv6' : 'ipv4';
      try {
        ranges.addSubnet(cidr[1]!, Number(cidr[2]), family);
        hasRanges = true;
      } catch {
        // an impossible prefix length: the entry matches nothing
      }
      continue;
    }
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(e) ?? (isIP(e) ? null : /^([^:]+):(\d+)$/.exec(e));
    const name = (m ? m[1]! : e).replace(/^\*?\./, '');
    names.push({ name: normalizeHost(name), port: m?.[2] ? Number(m[2]) : null });
  }
  return {
    matches: (rawHost, port) => {
      const host = normalizeHost(rawHost).replace(/%.*$/, '');
      for (const n of names) {
        if (n.port !== null && n.port !== port) continue;
        if (host === n.name || (!isIP(host) && host.endsWith(`.${n.name}`))) return true;
      }
      if (hasRanges && isIP(host)) return ranges.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4');
      return false;
    },
  };
}
