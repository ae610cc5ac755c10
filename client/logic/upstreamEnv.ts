// The upstream proxy the extension hands to its proxy child (reference §8.2): VS Code's
// `http.proxy` setting, else the extension host's own HTTPS_PROXY/HTTP_PROXY/ALL_PROXY (and
// NO_PROXY) — never the child-facing values the extension injects into terminals, and never a
// URL that points at a proxy this extension started (self-loop). The child reads them from its
// startup environment like any `codex-netpolicy proxy`; credentials stay out of argv.
import { tmpdir } from 'node:os';
import * as tls from 'node:tls';
import { writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { EnvLike } from '../../core/env';

const PROXY_KEYS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'] as const;
const NO_PROXY_KEYS = ['NO_PROXY', 'no_proxy'] as const;

export interface UpstreamSettings {
  /** VS Code's `http.proxy` (empty: unset). */
  httpProxy: string;
  /** VS Code's `http.noProxy`. */
  noProxy: readonly string[];
}

/** `host:port` of a proxy URL (default ports filled in), or null when unparsable. */
function endpointOf(url: string): string | null {
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim()) ? url.trim() : `http://${url.trim()}`);
    const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    return `${host === 'localhost' ? '127.0.0.1' : host}:${port}`;
  } catch {
    return null;
  }
}

/**
 * Variables to add to the proxy child's (already cleaned) environment. `own` are the proxy URLs
 * this extension's proxies listened on; a candidate pointing at one of them is dropped.
 */
export function upstreamProxyEnv(hostEnv: EnvLike, settings: UpstreamSettings, own: readonly string[]): { env: Record<string, string>; notes: string[] } {
  const ownEndpoints = new Set(own.map(endpointOf).filter((e): e is string => e !== null));
  const loops = (v: string): boolean => {
    const e = endpointOf(v);
    return e !== null && ownEndpoints.has(e);
  };
  const env: Record<string, string> = {};
  const notes: string[] = [];
  if (settings.httpProxy.trim()) {
    if (loops(settings.httpProxy)) notes.push('http.proxy points at the Codex policy proxy itself: not used as its upstream (self-loop).');
    else {
      env.HTTPS_PROXY = env.HTTP_PROXY = settings.httpProxy.trim();
      const noProxy = settings.noProxy.length ? settings.noProxy.join(',') : firstOf(hostEnv, NO_PROXY_KEYS);
      if (noProxy) env.NO_PROXY = noProxy;
    }
    return { env, notes };
  }
  // Values a codex-netpolicy proxy wrote for its terminals (VS Code started from one) are ours.
  if (hostEnv.CODEX_NETPOLICY_PROXY === '1') return { env, notes: PROXY_KEYS.some((k) => hostEnv[k]) ? ['The editor was started from a proxied terminal: its proxy variables are not used as the upstream proxy.'] : [] };
  for (const k of PROXY_KEYS) {
    const v = hostEnv[k];
    if (v === undefined || !v.trim()) continue;
    if (loops(v)) {
      notes.push(`${k} points at the Codex policy proxy itself: not used as its upstream (self-loop).`);
      continue;
    }
    env[k] = v;
  }
  for (const k of NO_PROXY_KEYS) if (hostEnv[k] !== undefined && Object.keys(env).length) env[k] = hostEnv[k]!;
  return { env, notes };
}

function firstOf(env: EnvLike, keys: readonly string[]): string | undefined {
  for (const k of keys) if (env[k]?.trim()) return env[k];
  return undefined;
}

type SystemCaGetter = (type: 'system') => string[];

/**
 * VS Code's system certificates (`http.systemCertificates`) as a PEM file for `--upstream-ca`:
 * the OS store as this extension host's Node reads it (macOS keychain, Windows store, Linux
 * bundle). Null when this Node has no system store API or it is empty.
 */
export function writeSystemCertificates(dir: string = tmpdir()): string | null {
  const get = (tls as unknown as { getCACertificates?: SystemCaGetter }).getCACertificates;
  if (!get) return null;
  let pems: string[];
  try {
    pems = get('system');
  } catch {
    return null;
  }
  if (!pems.length) return null;
  const file = join(dir, 'system-certificates.pem');
  writeFileSync(file, pems.join('\n'), { mode: 0o644 });
  return file;
}

/**
 * In an untrusted workspace, the policy file that comes from one of its folders (so the proxy
 * must not start from it: a cloned repository's policy could inject secrets into requests it
 * chooses), or null when every policy file lives outside the workspace (e.g. $CODEX_HOME).
 */
export function untrustedPolicyFile(files: readonly (string | undefined)[], folders: readonly string[]): string | null {
  for (const f of files) {
    if (!f) continue;
    if (folders.some((d) => f === d || f.startsWith(d.endsWith(sep) ? d : d + sep))) return f;
  }
  return null;
}
