// Upstream's block reasons, their `x-proxy-error` values and messages (np/reasons.rs, np/responses.rs).
/** @public the reason vocabulary; Decision.reason is typed by it in the redesign (#10). */
export type Reason =
  | 'denied'
  | 'not_allowed'
  | 'not_allowed_local'
  | 'method_not_allowed'
  | 'mitm_required'
  | 'mitm_hook_denied'
  | 'policy_denied'
  | 'proxy_disabled'
  | 'unix_socket_unsupported';

export function proxyErrorFor(reason: string): string {
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

export function messageFor(reason: string): string {
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
    default:
      return 'Request blocked by network policy.';
  }
}

/** Methods limited mode lets through (exact, case-sensitive, as upstream). */
export const LIMITED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
