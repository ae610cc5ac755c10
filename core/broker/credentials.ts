// Brokered credentials (after upstream's experimental credential broker, reference §0): a proxied
// terminal holds a dummy of the same shape instead of a real token; the proxy swaps the dummy for
// the real value in `Authorization`, only on TLS-intercepted requests to the hosts bound to that
// credential. Editor-free: the extension builds the set, the proxy enforces it.
import { randomInt } from 'node:crypto';
import { normalizeHost } from '../match/host';

/** Child-env key that carries the set to the proxy process (JSON); never a command-line argument. */
export const BROKER_ENV_KEY = 'CODEX_NETPOLICY_BROKER';

export interface CredentialBinding {
  /** The variable replaced in the terminal (`GH_TOKEN`). */
  envVar: string;
  /** Exact hosts or `*.suffix` (subdomains only). */
  hosts: string[];
}

export interface BrokeredCredential extends CredentialBinding {
  dummy: string;
  real: string;
}

const GITHUB_HOSTS = ['api.github.com', 'github.com', 'uploads.github.com', '*.ghe.com'];
const GITHUB_PREFIXES = ['github_pat_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'];

/** An `https` URL's host, else null: a credential is never bound to a cleartext endpoint. */
function httpsHost(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.hostname ? normalizeHost(u.hostname.replace(/^\[|\]$/g, '')) : null;
  } catch {
    return null;
  }
}

/** Built-in bindings (upstream's providers): GitHub cloud/enterprise tokens and the OpenAI key. */
export function defaultBindings(env: Record<string, string | undefined>): CredentialBinding[] {
  const out: CredentialBinding[] = [
    { envVar: 'GH_TOKEN', hosts: GITHUB_HOSTS },
    { envVar: 'GITHUB_TOKEN', hosts: GITHUB_HOSTS },
  ];
  const ghHost = env.GH_HOST ? normalizeHost(env.GH_HOST) : '';
  if (ghHost && !bindingMatches(GITHUB_HOSTS, ghHost)) {
    out.push({ envVar: 'GH_ENTERPRISE_TOKEN', hosts: [ghHost] }, { envVar: 'GITHUB_ENTERPRISE_TOKEN', hosts: [ghHost] });
  }
  const openai = ['api.openai.com'];
  const base = httpsHost(env.OPENAI_BASE_URL);
  if (base && !openai.includes(base)) openai.push(base);
  out.push({ envVar: 'OPENAI_API_KEY', hosts: openai });
  return out;
}

export function bindingMatches(hosts: readonly string[], host: string): boolean {
  const h = normalizeHost(host);
  return hosts.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : normalizeHost(p) === h));
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function prefixOf(real: string): string {
  const gh = GITHUB_PREFIXES.find((p) => real.startsWith(p));
  if (gh) return gh;
  const sk = /^sk-(?:[a-z]+-)?/.exec(real);
  if (sk) return sk[0];
  // A short leading word and separator (`npm_`, `glpat-`) is part of the shape, not of the secret.
  return /^[A-Za-z]{1,10}[_-]/.exec(real)?.[0] ?? '';
}

/** A random value of the same shape: same prefix and length, separators kept in place. */
export function dummyFor(real: string): string {
  const prefix = prefixOf(real);
  const len = Math.max(real.length, prefix.length + 16);
  let out = prefix;
  for (let i = prefix.length; i < len; i++) {
    const c = real[i];
    out += c !== undefined && !/[A-Za-z0-9]/.test(c) ? c : ALNUM[randomInt(ALNUM.length)]!;
  }
  return out === real ? dummyFor(real) : out;
}

/** Brokered set for the bindings whose real value exists; dummies are reused from `previous` for the same real value. */
export function brokerCredentials(bindings: readonly CredentialBinding[], realOf: (envVar: string) => string | undefined, previous: readonly BrokeredCredential[] = []): BrokeredCredential[] {
  const out: BrokeredCredential[] = [];
  for (const b of bindings) {
    const real = realOf(b.envVar)?.trim();
    if (!real || !/^[\x21-\x7e]+$/.test(real)) continue;
    const hosts = b.hosts.map((h) => (h.startsWith('*.') ? `*.${normalizeHost(h.slice(2))}` : normalizeHost(h))).filter((h) => h && h !== '*.' && !h.includes('*', 1));
    if (!hosts.length) continue;
    const reuse = previous.find((p) => p.envVar === b.envVar && p.real === real);
    out.push({ envVar: b.envVar, hosts, real, dummy: reuse?.dummy ?? dummyFor(real) });
  }
  return out;
}

/** The env overlay for a proxied terminal: each brokered variable holds its dummy. */
export function dummyEnv(creds: readonly BrokeredCredential[]): Record<string, string> {
  return Object.fromEntries(creds.map((c) => [c.envVar, c.dummy]));
}

export function encodeBrokerSpec(creds: readonly BrokeredCredential[]): string {
  return JSON.stringify(creds.map(({ envVar, hosts, dummy, real }) => ({ envVar, hosts, dummy, real })));
}

/** Parses the spec; errors name the entry, never a value. */
export function parseBrokerSpec(text: string): BrokeredCredential[] | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: `${BROKER_ENV_KEY} is not JSON` };
  }
  if (!Array.isArray(v)) return { error: `${BROKER_ENV_KEY} must be a JSON array` };
  const out: BrokeredCredential[] = [];
  for (const [i, x] of v.entries()) {
    const o = (x && typeof x === 'object' ? x : {}) as Record<string, unknown>;
    const ok = typeof o.envVar === 'string' && typeof o.dummy === 'string' && typeof o.real === 'string' && Array.isArray(o.hosts) && o.hosts.every((h) => typeof h === 'string');
    if (!ok || !(o.dummy as string) || !(o.real as string) || o.dummy === o.real) return { error: `${BROKER_ENV_KEY} entry ${i + 1} needs envVar, hosts, dummy and real (dummy ≠ real)` };
    out.push({ envVar: o.envVar as string, hosts: (o.hosts as string[]).map((h) => h.toLowerCase()), dummy: o.dummy as string, real: o.real as string });
  }
  return out;
}
