// Upstream's block reasons, their `x-proxy-error` values and messages (np/reasons.rs, np/responses.rs).
/** Why a request was blocked: upstream's reasons, plus `udp_unsupported` (ours: SOCKS5 UDP is not relayed). */
export type Reason =
  | 'denied'
  | 'not_allowed'
  | 'not_allowed_local'
  | 'method_not_allowed'
  | 'mitm_required'
  | 'mitm_hook_denied'
  | 'policy_denied'
  | 'proxy_disabled'
  | 'unix_socket_unsupported'
  | 'udp_unsupported';

export function proxyErrorFor(reason: Reason): string {
  switch (reason) {
    case 'not_allowed':
    case 'not_allowed_local':
      return 'blocked-by-allowlist';
    case 'denied':
      return 'blocked-by-denylist';
    case 'method_not_allowed':
      return 'blocked-by-method-policy';
    case 'mitm_hook_denied':
      return 'blocked-by-mitm-hook';
    case 'mitm_required':
      return 'blocked-by-mitm-required';
    default:
      return 'blocked-by-policy';
  }
}

export function messageFor(reason: Reason): string {
  switch (reason) {
    case 'not_allowed':
      return 'Domain not in allowlist.';
    case 'not_allowed_local':
      return 'Sandbox policy blocks local/private network addresses.';
    case 'denied':
      return 'Domain denied by the sandbox policy.';
    case 'method_not_allowed':
      return 'Method not allowed in limited mode.';
    case 'mitm_hook_denied':
      return 'HTTPS request denied by MITM hook policy.';
    case 'mitm_required':
      return 'MITM required for limited HTTPS.';
    case 'proxy_disabled':
      return 'network proxy is disabled';
    case 'udp_unsupported':
      return 'SOCKS5 UDP ASSOCIATE is not supported';
    default:
      return 'Request blocked by network policy.';
  }
}

/** Methods limited mode lets through (exact, case-sensitive, as upstream). */
export const LIMITED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
