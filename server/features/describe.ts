// Plain-language summaries for hover: what a MITM hook matches and does, what an action does,
// what a host pattern covers, and how a profile is built. Secrets are named by their source
// (environment variable or file) only; injected values are never read here.
import { closest } from '../../core/lower/closest';
import { BUILTIN_PROFILES, builtinDocs, type BuiltinProfile } from '../../core/model/profile';
import { parseDomainPattern } from '../../core/match/domains';
import { parseMatcherSpec } from '../../core/match/hooks';
import { resolveProfile, type ResolveInput } from '../../core/lower/resolve';
import type { DocumentAnalysis } from '../context';
import { strings, table } from '../../core/toml/values';

const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';
const orList = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`);

export function resolveInput(a: DocumentAnalysis): ResolveInput {
  return a.kind === 'config'
    ? { config: a.doc, ...(a.requirements ? { requirements: a.requirements } : {}) }
    : { requirements: a.doc, ...(a.config ? { config: a.config } : {}) };
}

/** The merged network table of a profile (extends chain applied), if it resolves. */
export function mergedNetwork(a: DocumentAnalysis, profile: string): Record<string, unknown> | undefined {
  try {
    return resolveProfile({ ...resolveInput(a), profile }).profile?.network;
  } catch {
    return undefined;
  }
}

function pathMatcherText(spec: string): string {
  const m = parseMatcherSpec(spec);
  return m.form === 'pattern' ? `the whole path matches glob ${code(m.text)}` : `the path starts with ${code(m.text)}`;
}

function valueMatcherText(spec: string): string {
  const m = parseMatcherSpec(spec);
  return m.form === 'pattern' ? `matches glob ${code(m.text)}` : `is exactly ${code(m.text)}`;
}

/** What an action does: strip and inject header names, secret sources by name only. */
function describeActionOps(action: Record<string, unknown> | undefined): string {
  if (!action) return 'not defined in this profile or its parents';
  const ops: string[] = [];
  const strip = strings(action.strip_request_headers);
  if (strip.length) ops.push(`strips ${strip.map(code).join(', ')}`);
  const inject = Array.isArray(action.inject_request_headers) ? action.inject_request_headers : [];
  for (const raw of inject) {
    const e = table(raw);
    if (!e) continue;
    const name = typeof e.name === 'string' ? code(e.name) : 'a header';
    const source = typeof e.secret_env_var === 'string' ? `environment variable ${code(e.secret_env_var)}`
      : typeof e.secret_file === 'string' ? `file ${code(e.secret_file)}` : 'an unspecified secret source';
    ops.push(`injects ${name} from ${source}${typeof e.prefix === 'string' ? ' (with a prefix)' : ''}`);
  }
  return ops.length ? ops.join('; ') : 'does nothing (Codex rejects an action without operations)';
}

export function describeAction(name: string, action: Record<string, unknown> | undefined, defined: readonly string[] = []): string {
  // A hover on the undefined name speaks about that problem, not about what actions do.
  if (!action) {
    const near = closest(name, defined);
    const known = defined.length ? `Actions defined for this profile: ${defined.map(code).join(', ')}.` : 'This profile defines no actions yet.';
    return `**Undefined MITM action ${code(name)}**: no \`mitm.actions.${name}\` table in this profile or its parents, so Codex rejects the policy.${near ? ` Did you mean ${code(near)}?` : ''}\n\n${known} The quick fix offers the closest name, or creates the action.`;
  }
  return `**MITM action ${code(name)}**: ${describeActionOps(action)}.\n\nStrip runs before inject; the injected values are secrets and never appear in logs or the decision log.`;
}

export function describeHook(hookName: string, hook: Record<string, unknown>, network: Record<string, unknown> | undefined): string {
  const host = typeof hook.host === 'string' ? hook.host : '(no host)';
  const methods = strings(hook.methods).map((m) => code(m.toUpperCase()));
  const paths = strings(hook.path_prefixes).map(pathMatcherText);
  const parts: string[] = [];
  let what = `Matches ${methods.length ? orList(methods) : 'no'} requests to ${code(host)}`;
  if (paths.length) what += ` where ${orList(paths)}`;
  parts.push(what);
  for (const [k, v] of Object.entries(table(hook.query) ?? {})) {
    const vals = strings(v).map(valueMatcherText);
    parts.push(`query parameter ${code(k)} must be present with a value that ${vals.length ? orList(vals) : 'is listed'}`);
  }
  for (const [k, v] of Object.entries(table(hook.headers) ?? {})) {
    const vals = strings(v).map(valueMatcherText);
    parts.push(vals.length ? `header ${code(k)} must have a value that ${orList(vals)}` : `header ${code(k)} must be present`);
  }
  const actions = table(table(network?.mitm)?.actions) ?? {};
  const applied = strings(hook.action).map((a) => `${code(a)} (${describeActionOps(table(actions[a]))})`);
  const does = applied.length ? `Then applies ${applied.join(', then ')}.` : 'It applies no action.';
  return [
    `**MITM hook ${code(hookName)}** on ${code(host)}`,
    `${parts.join('; ')}. ${does}`,
    `Requests to ${code(host)} are decrypted (MITM). Hooks for a host are tried in file order and the first match wins; requests to ${code(host)} matching no hook are blocked. In limited mode only GET/HEAD/OPTIONS pass even when matched.`,
  ].join('\n\n');
}

export function describeDomain(pattern: string, permission: unknown): string {
  const p = parseDomainPattern(pattern);
  let what: string;
  if (!p.ok) what = `Invalid pattern: ${p.error}.`;
  else {
    const b = p.base;
    switch (p.kind) {
      case 'exact': what = `Matches exactly ${code(b)}: not its subdomains (use ${code('**.' + b)} for both).`; break;
      case 'subdomains': what = `Matches any subdomain of ${code(b)} (e.g. ${code('api.' + b)}, ${code('a.b.' + b)}), **not** the apex ${code(b)} itself.`; break;
      case 'apexAndSubdomains': what = `Matches ${code(b)} itself and any subdomain (e.g. ${code('api.' + b)}).`; break;
      case 'global': what = 'Matches every host (valid only as `allow`).'; break;
      default: what = `Glob over the host name (normalised: ${code(p.normalized)}).`;
    }
  }
  const perm = permission === 'allow' ? 'Permission: **allow** (unless a deny also matches: deny always wins).'
    : permission === 'deny' ? 'Permission: **deny**: blocked even when an allow entry matches.'
    : typeof permission === 'string' ? `Permission ${code(permission)} is not \`allow\` or \`deny\`.` : '';
  return [`**Host pattern ${code(pattern)}**`, what, perm].filter(Boolean).join('\n\n');
}

const isBuiltin = (n: string): n is BuiltinProfile => (BUILTIN_PROFILES as readonly string[]).includes(n);

export function describeProfile(a: DocumentAnalysis, name: string): string {
  if (isBuiltin(name)) return `**Built-in profile ${code(name)}**\n\n${builtinDocs[name]}`;
  const profiles = new Map<string, { body: Record<string, unknown>; managed: boolean }>();
  const input = resolveInput(a);
  for (const doc of [input.config, input.requirements]) {
    for (const [n, body] of Object.entries(table(doc?.value?.permissions) ?? {})) {
      const t = table(body);
      if (t && !profiles.has(n)) profiles.set(n, { body: t, managed: doc!.kind === 'requirements' });
    }
  }
  const own = profiles.get(name);
  if (!own) return `**Profile ${code(name)}**: not defined${name.startsWith(':') ? ' (unknown built-in)' : ''}.`;
  const chain: string[] = [name];
  for (let cur = own.body.extends; typeof cur === 'string' && !chain.includes(cur); ) {
    chain.push(cur);
    cur = profiles.get(cur)?.body.extends;
  }
  const net = mergedNetwork(a, name);
  const parts = [`**Permission profile ${code(name)}**${own.managed ? ' (managed, requirements.toml)' : ''}`];
  if (typeof own.body.description === 'string') parts.push(own.body.description);
  parts.push(chain.length > 1 ? `Extends: ${chain.map(code).join(' → ')}` : 'Extends nothing (network restricted unless `network.enabled = true`).');
  if (net) {
    const domains = Object.keys(table(net.domains) ?? {}).length;
    const hooks = Object.keys(table(table(net.mitm)?.hooks) ?? {}).length;
    parts.push(`Network (merged): ${net.enabled === true ? 'enabled' : 'not enabled'}, mode ${code(typeof net.mode === 'string' ? net.mode : 'full')}, ${domains} host pattern(s), ${hooks} MITM hook(s).`);
  }
  return parts.join('\n\n');
}
