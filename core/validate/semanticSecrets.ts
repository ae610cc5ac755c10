// Inline secrets: values that look like credentials written straight into a policy file. The
// message names the key only; the value never leaves this module (it may be a live token).
import type { PolicyDiagnostic } from '../diagnostics';
import type { LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { table } from '../toml/values';


const TOKEN_PREFIXES = /^(?:sk-|sk_live_|rk_live_|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|xox[abposr]-|AKIA|ASIA|AIza|npm_|hf_|Bearer\s+\S|Basic\s+\S|Token\s+\S)/;
const JWT = /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$/;

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Whether a string value looks like a credential rather than a name, path, URL or `${VAR}`. */
function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (v.length < 8) return false;
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(v)) return false; // an env reference
  if (TOKEN_PREFIXES.test(v) || JWT.test(v)) return true;
  // Long, dense, no spaces or path/URL structure: random key material.
  if (v.length >= 24 && !/[\s/:]/.test(v) && /[0-9]/.test(v) && /[A-Za-z]/.test(v) && entropy(v) >= 3.5) return true;
  return false;
}

export function checkInlineSecrets(doc: LoadedDocument, emit: (d: PolicyDiagnostic) => void): void {
  const value = doc.value;
  if (!value) return;
  const flag = (path: PathSegment[], where: string, advice: string) =>
    emit({
      path, target: 'value', severity: 'warning', code: 'inline-secret', file: doc.kind,
      message: `${where} looks like a credential written into the file. Anyone who can read ${doc.kind === 'config' ? 'config.toml' : 'requirements.toml'} (and every backup or commit of it) can use it; ${advice}`,
      data: { key: String(path[path.length - 1]) },
    });
  const scan = (tbl: Record<string, unknown> | undefined, base: PathSegment[], where: (k: string) => string, advice: string) => {
    for (const [k, v] of Object.entries(tbl ?? {})) {
      if (typeof v === 'string' && looksLikeSecret(v)) flag([...base, k], where(k), advice);
    }
  };
  for (const [name, raw] of Object.entries(table(value.mcp_servers) ?? {})) {
    const server = table(raw);
    const base: PathSegment[] = ['mcp_servers', name];
    scan(table(server?.env), [...base, 'env'], (k) => `\`mcp_servers.${name}.env.${k}\``, 'name the variable in `env_vars` instead so Codex passes it from your environment.');
    scan(table(server?.http_headers), [...base, 'http_headers'], (k) => `header \`${k}\` of \`mcp_servers.${name}\``, 'use `env_http_headers` (header → environment variable) or `bearer_token_env_var` instead.');
  }
  const injections = table(value.experimental_network)?.header_injections;
  if (Array.isArray(injections)) {
    injections.forEach((raw, i) => {
      scan(table(table(raw)?.headers), ['experimental_network', 'header_injections', i, 'headers'], (k) => `injected header \`${k}\``,
        'requirements.toml is often world-readable (/etc/codex): restrict its permissions and prefer a short-lived credential.');
    });
  }
}
