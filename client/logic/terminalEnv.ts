// The environment proxied terminals get, and the hover text describing it. Built in-process with
// core/env; the description never contains the proxy credential (the env values may).
import { buildProxyEnv, redactCredentials, type EnvLike, type ProxyEnvOptions } from '../../core/env';

export interface TerminalEnvInput
  extends Pick<ProxyEnvOptions, 'proxyUrl' | 'socksUrl' | 'allowLocalBinding' | 'caBundlePath' | 'caCertPath' | 'currentEnv'> {
  profile: string | null;
  listen: string;
}

export interface TerminalEnv {
  env: Record<string, string>;
  /** Markdown for `environmentVariableCollection.description` and tooltips: credential-free. */
  description: string;
  notes: string[];
}

export function terminalEnv(i: TerminalEnvInput): TerminalEnv {
  const { set, notes } = buildProxyEnv({
    proxyUrl: i.proxyUrl, socksUrl: i.socksUrl, allowLocalBinding: i.allowLocalBinding,
    caBundlePath: i.caBundlePath, caCertPath: i.caCertPath, currentEnv: i.currentEnv,
  });
  const lines = [
    `Codex Network Policy: traffic goes through the policy proxy at \`${redactCredentials(i.proxyUrl)}\`` +
      (i.profile ? ` (profile \`${i.profile}\`)` : '') + '.',
  ];
  if (i.caBundlePath) lines.push(`TLS trust: \`${i.caBundlePath}\` (system roots + the proxy's local CA).`);
  lines.push(`Sets ${Object.keys(set).length} variables (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, SSL_CERT_FILE, …).`);
  return { env: set, description: lines.join('\n\n'), notes };
}

/** Proxy variables to remove from the proxy CHILD's env so it never proxies through itself (self-loop). */
export function cleanChildEnv(env: EnvLike): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    const l = k.toLowerCase();
    if (['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'ftp_proxy', 'ws_proxy', 'wss_proxy'].includes(l)) continue;
    if (l.startsWith('npm_config_') && l.endsWith('proxy')) continue;
    if (l === 'npm_config_noproxy') continue;
    out[k] = v;
  }
  out.ELECTRON_RUN_AS_NODE = '1';
  return out;
}
