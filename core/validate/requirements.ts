// requirements.toml rules beyond types: network form mixing, managed allowlists, and the
// list rules whose wording Codex fixes (config_requirements.rs).
import type { PolicyDiagnostic } from '../diagnostics';
import type { PathSegment } from '../toml/positions';
import { checkDomains } from './network';
import { table } from '../toml/values';


export function checkRequirements(req: Record<string, unknown>, emit: (d: PolicyDiagnostic) => void): void {
  const net = table(req.experimental_network);
  if (net) {
    const base: PathSegment[] = ['experimental_network'];
    if ('domains' in net) {
      for (const legacy of ['allowed_domains', 'denied_domains']) {
        if (legacy in net) {
          emit({ path: [...base, legacy], target: 'key', severity: 'error', code: 'requirements-network-mixed',
            message: '`experimental_network.domains` cannot be combined with legacy `allowed_domains` or `denied_domains`',
            related: [{ path: [...base, 'domains'], message: 'canonical `domains` table here' }] });
        }
      }
    }
    if ('unix_sockets' in net && 'allow_unix_sockets' in net) {
      emit({ path: [...base, 'allow_unix_sockets'], target: 'key', severity: 'error', code: 'requirements-network-mixed',
        message: '`experimental_network.unix_sockets` cannot be combined with legacy `allow_unix_sockets`',
        related: [{ path: [...base, 'unix_sockets'], message: 'canonical `unix_sockets` table here' }] });
    }
    checkDomains(table(net.domains), [...base, 'domains'], emit, true);
    (['allowed_domains', 'denied_domains'] as const).forEach((k) => {
      const list = net[k];
      if (!Array.isArray(list)) return;
      list.forEach((p, i) => {
        if (p === '*' || p === '[*]' || p === '**.[*]') {
          emit({ path: [...base, k, i], target: 'value', severity: 'error', code: k === 'allowed_domains' ? 'domain-global-managed' : 'domain-global-deny',
            message: k === 'allowed_domains' ? 'managed allowlists may not contain the global wildcard `*`' : 'unsupported global wildcard domain pattern `*` in the denylist' });
        }
      });
    });
  }
  checkManagedDefault(req, emit);
  if (Array.isArray(req.remote_sandbox_config)) {
    req.remote_sandbox_config.forEach((raw, i) => {
      const entry = table(raw);
      if (!entry) return;
      for (const key of ['hostname_patterns', 'allowed_sandbox_modes']) {
        if (!(key in entry)) emit({ path: ['remote_sandbox_config', i], target: 'key', severity: 'error', code: 'requirements-missing-field', message: `missing field \`${key}\``, data: { field: key } });
      }
    });
  }
  const rules = table(req.rules);
  if (rules && Array.isArray(rules.prefix_rules)) checkPrefixRules(rules.prefix_rules, emit);
}

/** config/mod.rs validate_required_permission_profile_catalog, with Codex's wording. */
function checkManagedDefault(req: Record<string, unknown>, emit: (d: PolicyDiagnostic) => void): void {
  const defaultProfile = req.default_permissions;
  const allowed = table(req.allowed_permission_profiles);
  if (!allowed) {
    if (defaultProfile !== undefined) {
      emit({ path: ['default_permissions'], target: 'key', severity: 'error', code: 'requirements-default-without-allowlist',
        message: 'requirements.toml default_permissions requires allowed_permission_profiles',
        data: { insert: `allowed_permission_profiles = { ${tomlKey(String(defaultProfile))} = true }` } });
    }
    return;
  }
  const isAllowed = (n: string) => allowed[n] === true;
  if (typeof defaultProfile !== 'string') {
    if (defaultProfile === undefined && !(isAllowed(':workspace') && isAllowed(':read-only'))) {
      const first = Object.keys(allowed).find(isAllowed);
      emit({ path: ['allowed_permission_profiles'], target: 'key', severity: 'error', code: 'requirements-default-missing',
        message: 'requirements.toml default_permissions must be set unless allowed_permission_profiles allows both `:workspace` and `:read-only`',
        ...(first ? { data: { insert: `default_permissions = ${JSON.stringify(first)}` } } : {}) });
    }
    return;
  }
  if (!isAllowed(defaultProfile)) {
    emit({ path: ['default_permissions'], target: 'value', severity: 'error', code: 'requirements-default-not-allowed',
      message: `requirements.toml default_permissions \`${defaultProfile}\` must be allowed by allowed_permission_profiles` });
  }
}

/** A TOML key: bare when it can be, else quoted. */
function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

// requirements_exec_policy.rs `to_policy`, with its wording (every problem, not just the first).
function checkPrefixRules(list: unknown[], emit: (d: PolicyDiagnostic) => void): void {
  const base: PathSegment[] = ['rules', 'prefix_rules'];
  const bad = (path: PathSegment[], target: 'key' | 'value', message: string) =>
    emit({ path, target, severity: 'error', code: 'requirements-rules-invalid', message: `invalid rules in requirements: ${message}` });
  if (list.length === 0) bad(base, 'value', 'rules prefix_rules cannot be empty');
  list.forEach((raw, i) => {
    const rule = table(raw);
    if (!rule) return;
    const p = [...base, i];
    const at = `rules prefix_rule at index ${i}`;
    if (typeof rule.justification === 'string' && !rule.justification.trim()) bad([...p, 'justification'], 'value', `${at} has an empty justification`);
    if (!('pattern' in rule)) emit({ path: p, target: 'key', severity: 'error', code: 'requirements-missing-field', message: 'missing field `pattern`', data: { field: 'pattern' } });
    else if (Array.isArray(rule.pattern) && rule.pattern.length === 0) bad([...p, 'pattern'], 'value', `${at} has an empty pattern`);
    else if (Array.isArray(rule.pattern)) {
      rule.pattern.forEach((tok, j) => {
        const t = table(tok);
        const reason = t && tokenProblem(t);
        if (reason) bad([...p, 'pattern', j], 'value', `${at} has an invalid pattern token at index ${j}: ${reason}`);
      });
    }
    if (!('decision' in rule)) bad(p, 'key', `${at} is missing a decision`);
    else if (rule.decision === 'allow') {
      bad([...p, 'decision'], 'value', `${at} has decision 'allow', which is not permitted in requirements.toml: Codex merges these rules with other config and uses the most restrictive result (use 'prompt' or 'forbidden')`);
    }
  });
}

function tokenProblem(t: Record<string, unknown>): string | undefined {
  const hasToken = t.token !== undefined;
  const hasAny = t.any_of !== undefined;
  if (hasToken && hasAny) return 'set either token or any_of, not both';
  if (!hasToken && !hasAny) return 'set either token or any_of';
  if (hasToken) return typeof t.token === 'string' && !t.token.trim() ? 'token cannot be empty' : undefined;
  if (!Array.isArray(t.any_of)) return undefined;
  if (t.any_of.length === 0) return 'any_of cannot be empty';
  return t.any_of.some((x) => typeof x === 'string' && !x.trim()) ? 'any_of cannot include empty tokens' : undefined;
}
