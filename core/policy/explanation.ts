// One short sentence that says why a decision came out as it did. Made here only, from decide()'s
// result (the proxy adds the DNS detail through `Decision.dns`), and used by the proxy's events,
// its block bodies, `explain` and the decision log. Names only: never a header value or a query.
import type { Decision } from './decide';

/** The parts of a decision the sentence needs (a Decision satisfies it). */
export type Explainable = Pick<Decision, 'decision' | 'reason' | 'status' | 'message' | 'host' | 'port' | 'protocol' | 'mitm' | 'hook' | 'headers' | 'dns' | 'wouldDeny'> & {
  rule: { file: string; line: number; path?: readonly (string | number)[] } | null;
};

/** The request the decision was about, where known. */
export interface RequestLine {
  method?: string | null;
  path?: string | null;
}

export function explanationOf(d: Explainable, req: RequestLine = {}): string {
  return d.decision === 'allow' ? allowed(d) : blocked(d, req);
}

/** `config.toml:26`: the file's base name and line. */
function ruleLabel(rule: { file: string; line: number } | null): string | null {
  if (!rule) return null;
  const base = rule.file.split(/[\\/]/).pop() ?? rule.file;
  return `${base}:${rule.line}`;
}

function code(s: string): string {
  return `\`${s}\``;
}

function names(list: readonly string[]): string {
  return list.map(code).join(', ');
}

/** The domain pattern a rule stands for, when it is a `domains` entry. */
function patternOf(rule: Explainable['rule']): string | null {
  const path = rule?.path;
  if (!path || path.length < 2) return null;
  return path[path.length - 2] === 'domains' ? String(path[path.length - 1]) : null;
}

function at(rule: Explainable['rule']): string {
  const label = ruleLabel(rule);
  return label ? ` at ${label}` : '';
}

function byRule(d: Explainable): string {
  const pattern = patternOf(d.rule);
  const label = ruleLabel(d.rule);
  if (pattern && label) return ` by ${code(pattern)} (${label})`;
  return label ? ` by ${label}` : '';
}

function allowed(d: Explainable): string {
  if (d.wouldDeny) return `${d.host} is not in the allowlist; learning mode let it through (would_deny)`;
  if (d.hook) {
    const parts = [`matched hook ${code(d.hook)}${at(d.rule)}`];
    if (d.headers.strip.length) parts.push(`stripped ${names(d.headers.strip)}`);
    if (d.headers.inject.length) parts.push(`injected ${names(d.headers.inject)}`);
    return parts.join(', ');
  }
  if (!d.rule) return `${d.host} is allowed: the network is unrestricted in this profile`;
  const base = `${d.host} is allowed${byRule(d)}`;
  if (d.protocol === 'https_connect' || d.protocol === 'socks5_tcp') {
    return d.mitm ? `${base}; the tunnel is decrypted so each request is judged` : `${base}; the tunnel is not decrypted`;
  }
  return base;
}

function blocked(d: Explainable, req: RequestLine): string {
  const method = req.method ?? null;
  switch (d.reason) {
    case 'denied':
      return `${d.host} is denied${byRule(d)}, and a deny always wins`;
    case 'not_allowed':
      return `${d.host} is not in the allowlist`;
    case 'not_allowed_local':
      return local(d);
    case 'method_not_allowed':
      if (d.protocol.startsWith('socks5')) return `${d.protocol === 'socks5_udp' ? 'SOCKS5 UDP' : `SOCKS5 to port ${d.port}`} is not allowed in limited mode${at(d.rule)}`;
      return `${method ?? 'this method'} is not allowed in limited mode${at(d.rule)}${d.hook ? ` (hook ${code(d.hook)} matched)` : ''}`;
    case 'mitm_hook_denied': {
      const what = method ? `${method} ${req.path ?? '/'}` : 'this request';
      return `no hook on ${d.host} matches ${what}, and a hooked host blocks what no hook allows (first hook${at(d.rule)})`;
    }
    case 'mitm_required':
      return `${d.host} has hooks, which run only inside a decrypted HTTPS tunnel, so this ${d.protocol.startsWith('socks5') ? `SOCKS5 connection to port ${d.port}` : 'plain HTTP request'} is blocked`;
    case 'proxy_disabled':
      return `the network proxy is disabled in this profile${at(d.rule)}`;
    case null:
      return `the proxy answered ${d.status}: ${d.message ?? 'bad request'}`;
    default:
      return `${d.host} is blocked by the policy (${d.reason})${at(d.rule)}`;
  }
}

function local(d: Explainable): string {
  const dns = d.dns;
  if (dns && 'error' in dns) {
    const tail = dns.allowlisted ? '' : ' (it is not in the allowlist either)';
    return `${d.host} could not be resolved (${dns.error}), and Codex fails closed${tail}`;
  }
  if (dns && 'nonPublic' in dns) return `${d.host} resolves to ${dns.nonPublic}, a local/private address, and allow_local_binding is off`;
  return `${d.host} is a local/private address, and allow_local_binding is off`;
}
