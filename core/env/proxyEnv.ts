// The environment a terminal needs to use a running policy proxy (proxy-behaviour.md §6.5).
// Output only: nothing here may be read back to choose the proxy's own upstream (§8.2, self-loop).
import { dirname } from 'node:path';
import {
  ALL_PROXY_KEYS, CA_ENV_KEYS, LOCAL_NO_PROXY, NODE_CA_KEY, NO_PROXY_KEYS, PROXY_URL_KEYS, isManagedCaPath,
} from './keys';

export type EnvLike = Record<string, string | undefined>;

export interface ProxyEnvOptions {
  /** `http://[user:pass@]127.0.0.1:PORT`; may carry a per-run credential. */
  proxyUrl: string;
  /** `socks5h://127.0.0.1:PORT`, or null when SOCKS5 is off. `socks5://` is upgraded to `socks5h://`. */
  socksUrl: string | null;
  allowLocalBinding: boolean;
  /** Combined trust bundle; null when MITM never applies (then no CA variable is touched). */
  caBundlePath: string | null;
  /** Our CA certificate alone (used for NODE_EXTRA_CA_CERTS when the user had none). */
  caCertPath: string | null;
  /** The environment the variables will be applied over (the shell's, or the terminal's base). */
  currentEnv: EnvLike;
  /**
   * Values seen when the proxy started. A CA variable whose current value differs from both this
   * and our paths is a command-scoped override and is kept. Defaults to `currentEnv`, i.e. every
   * existing value counts as inherited and is replaced (its certificates belong in the bundle).
   */
  startupEnv?: EnvLike;
}

export interface ProxyEnvResult {
  /** Variables to set, exactly (empty strings included: NO_PROXY="" is meaningful). */
  set: Record<string, string>;
  /** Human-readable remarks; never contain a proxy credential. */
  notes: string[];
}

export function buildProxyEnv(opts: ProxyEnvOptions): ProxyEnvResult {
  const http = normaliseProxyUrl(opts.proxyUrl, 'proxyUrl', ['http:']);
  const socks = opts.socksUrl === null ? null : normaliseProxyUrl(opts.socksUrl, 'socksUrl', ['socks5h:', 'socks5:']);
  const cur = opts.currentEnv;
  const set: Record<string, string> = {};
  const notes: string[] = [];

  // A value we wrote in an earlier run (other port/credential) is not the user's setting.
  const previouslyOurs = cur.CODEX_NETPOLICY_PROXY === '1';
  const replacedProxy: string[] = [];
  for (const k of PROXY_URL_KEYS) set[k] = http;
  for (const k of ALL_PROXY_KEYS) set[k] = socks ?? http;
  for (const k of [...PROXY_URL_KEYS, ...ALL_PROXY_KEYS]) {
    if (!previouslyOurs && nonEmpty(cur[k]) && cur[k] !== set[k]) replacedProxy.push(k);
  }
  if (replacedProxy.length > 0) {
    notes.push(
      `Replaced existing proxy settings (${replacedProxy.join(', ')}); terminal traffic now goes through the policy proxy. ` +
        'Its own upstream proxy comes from its startup environment, never from these variables.',
    );
  }
  if (opts.socksUrl !== null && /^socks5:/i.test(opts.socksUrl.trim())) {
    notes.push('socksUrl used socks5://; upgraded to socks5h:// so host names (not pre-resolved IPs) reach the policy.');
  }

  // Decision: NO_PROXY = "" unless allow_local_binding (then private ranges), as upstream: local traffic is judged and logged.
  // With local binding allowed the user opted out of local protection; an empty list would still
  // have the proxy judge localhost by the allowlist and block dev servers Codex lets through. The
  // cost: that local/private traffic does not appear in the decision log (README).
  const noProxy = opts.allowLocalBinding ? LOCAL_NO_PROXY : '';
  for (const k of NO_PROXY_KEYS) set[k] = noProxy;
  if (!opts.allowLocalBinding && !previouslyOurs && NO_PROXY_KEYS.some((k) => nonEmpty(cur[k]))) {
    notes.push('Cleared NO_PROXY (and variants): with allow_local_binding = false, local traffic is also judged and logged.');
  }

  set.CODEX_NETWORK_PROXY_ACTIVE = '1';
  set.CODEX_NETWORK_ALLOW_LOCAL_BINDING = opts.allowLocalBinding ? '1' : '0';
  set.CODEX_NETPOLICY_PROXY = '1';
  set.ELECTRON_GET_USE_PROXY = 'true';
  set.NODE_USE_ENV_PROXY = '1'; // Node ≥ 22.21/24 built-in clients then honour HTTP(S)_PROXY

  if (opts.caBundlePath !== null) applyCaVars(opts, opts.caBundlePath, set, notes);
  return { set, notes };
}

function applyCaVars(opts: ProxyEnvOptions, bundle: string, set: Record<string, string>, notes: string[]): void {
  const cur = opts.currentEnv;
  const startup = opts.startupEnv ?? cur;
  const managedDir = dirname(bundle);
  const ours = (v: string): boolean => v === bundle || v === opts.caCertPath || isManagedCaPath(v, managedDir);
  const replaced: string[] = [];
  for (const k of CA_ENV_KEYS) {
    const v = cur[k];
    const userValue = nonEmpty(v) && !ours(v);
    // Upstream's rule (§6.5): a non-empty value that is neither ours nor the startup value was set
    // for this command on purpose; keep it, even though intercepted TLS may then fail.
    if (userValue && v !== startup[k]) {
      notes.push(`Kept ${k}=${v} (command-scoped override); TLS to intercepted hosts fails unless it trusts the proxy CA.`);
      continue;
    }
    if (userValue) replaced.push(k);
    // Decision: NODE_EXTRA_CA_CERTS adds to Node's store, so our CA alone suffices and spares every
    // Node process parsing ~150 roots (~25 ms measured). If the user had their own value, the
    // bundle (which includes its certificates) replaces it, so their CAs keep working.
    set[k] = k === NODE_CA_KEY && !userValue && opts.caCertPath !== null ? opts.caCertPath : bundle;
  }
  if (replaced.length > 0) {
    notes.push(
      `Pointed ${replaced.join(', ')} at the combined bundle; the certificates they named are included ` +
        'when the bundle was built from the same environment.',
    );
  }
}

/**
 * Validates a proxy URL and returns `scheme://[userinfo@]host:port` (no path). Errors never echo
 * the credential.
 */
function normaliseProxyUrl(raw: string, what: string, schemes: readonly string[]): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error(`${what} is not a valid URL`); // the raw text may hold the credential
  }
  const shown = `${u.protocol}//${u.username !== '' ? '***@' : ''}${u.host}${u.pathname}`;
  const proto = u.protocol.toLowerCase();
  if (!schemes.includes(proto)) throw new Error(`${what} must use ${schemes.join(' or ')}: ${shown}`);
  if (u.hostname === '' || u.port === '') throw new Error(`${what} needs an explicit host and port: ${shown}`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '') {
    throw new Error(`${what} must not carry a path, query or fragment: ${shown}`);
  }
  const scheme = proto === 'socks5:' ? 'socks5h:' : proto;
  const auth = u.username !== '' ? `${u.username}${u.password !== '' ? `:${u.password}` : ''}@` : '';
  return `${scheme}//${auth}${u.host}`;
}

/** Replaces URL user-info (`//user:pass@`) with `//***@`, for logs and UI descriptions. */
export function redactCredentials(value: string): string {
  return value.replace(/(\/\/)[^/\s]*@/g, '$1***@'); // greedy: a raw '@' in a password stays hidden
}

/** `vars` with every value's URL credential redacted: what may be logged or shown in a hover. */
export function redactEnv(vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = redactCredentials(v);
  return out;
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}
