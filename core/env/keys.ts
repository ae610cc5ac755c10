// Environment variable names a proxied terminal gets (proxy-behaviour.md §6.5, ecosystem-notes.md §6).
import { basename, dirname, resolve } from 'node:path';

/** Set to the HTTP proxy URL. Upstream's list plus WebSocket, global-agent and CGI variants. */
export const PROXY_URL_KEYS = [
  'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy',
  'WS_PROXY', 'WSS_PROXY', 'ws_proxy', 'wss_proxy',
  'YARN_HTTP_PROXY', 'YARN_HTTPS_PROXY',
  'npm_config_http_proxy', 'npm_config_https_proxy', 'npm_config_proxy',
  'NPM_CONFIG_HTTP_PROXY', 'NPM_CONFIG_HTTPS_PROXY', 'NPM_CONFIG_PROXY',
  'BUNDLE_HTTP_PROXY', 'BUNDLE_HTTPS_PROXY', 'PIP_PROXY',
  'DOCKER_HTTP_PROXY', 'DOCKER_HTTPS_PROXY',
  // Decision: also set these two (HTTP Toolkit does). global-agent reads its own variable only
  // once bootstrapped, so it is inert otherwise; CGI_HTTP_PROXY is the httpoxy-safe name
  // Python/Ruby consult when REQUEST_METHOD is set. Neither can widen what bypasses the proxy.
  'GLOBAL_AGENT_HTTP_PROXY', 'CGI_HTTP_PROXY',
] as const;

/** `socks5h://` when SOCKS5 is on (remote DNS keeps host names visible to policy), else HTTP. */
export const ALL_PROXY_KEYS = ['ALL_PROXY', 'all_proxy', 'FTP_PROXY', 'ftp_proxy'] as const;

/** Upstream's NO_PROXY family, plus global-agent's so a stale value of it cannot bypass us. */
export const NO_PROXY_KEYS = [
  'NO_PROXY', 'no_proxy', 'npm_config_noproxy', 'NPM_CONFIG_NOPROXY', 'YARN_NO_PROXY', 'BUNDLE_NO_PROXY',
  'GLOBAL_AGENT_NO_PROXY',
] as const;

/** NO_PROXY when allow_local_binding = true (upstream's newest list). */
export const LOCAL_NO_PROXY = 'localhost,127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16';

/**
 * Variables that REPLACE a tool's trust store, so they must name the combined bundle
 * (system roots + user CAs + ours). Upstream's CUSTOM_CA_ENV_KEYS minus NODE_EXTRA_CA_CERTS,
 * plus the ones upstream misses (CARGO #32648, AWS, Deno, Perl LWP).
 */
export const CA_BUNDLE_KEYS = [
  'CODEX_CA_CERTIFICATE', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO',
  'PIP_CERT', 'BUNDLE_SSL_CA_CERT', 'npm_config_cafile', 'NPM_CONFIG_CAFILE',
  'CARGO_HTTP_CAINFO', 'AWS_CA_BUNDLE', 'DENO_CERT', 'PERL_LWP_SSL_CA_FILE',
] as const;

/** ADDS to Node's built-in store (read once at process start). */
export const NODE_CA_KEY = 'NODE_EXTRA_CA_CERTS';

export const CA_ENV_KEYS = [...CA_BUNDLE_KEYS, NODE_CA_KEY] as const;


/** File names buildCaBundle writes; anything else in its directory is not ours. */
export const STABLE_BUNDLE_NAME = 'ca-bundle.pem';
export const STABLE_CA_NAME = 'ca-cert.pem';
export const HASH_BUNDLE_RE = /^ca-bundle-[0-9a-f]{64}\.pem$/;

/** True when `value` names a file buildCaBundle manages in `dir` (stable, CA or any hash bundle). */
export function isManagedCaPath(value: string, dir: string): boolean {
  const p = resolve(value.trim());
  if (dirname(p) !== resolve(dir)) return false;
  const name = basename(p);
  return name === STABLE_BUNDLE_NAME || name === STABLE_CA_NAME || HASH_BUNDLE_RE.test(name);
}
