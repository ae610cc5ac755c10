// MITM semantics no loader checks: actions nothing uses, hooks an earlier hook always wins over,
// hooks on hosts the domains deny or never allow, network tables Codex never turns on, and
// secrets the editor's environment or disk cannot supply.
import type { PolicyDiagnostic } from '../diagnostics';
import { compileDomainSet, type DomainSet } from '../match/domains';
import { normalizeHookHost, parseMatcherSpec } from '../match/hooks';
import { normalizeHost } from '../match/host';
import { secretSourceOf } from '../lower/mitm';
import { availableProfiles, resolveProfile, type ResolveInput } from '../lower/resolve';
import type { LoadedDocument } from '../toml/load';
import type { PathSegment } from '../toml/positions';
import { strings, table } from '../toml/values';
import { mitmPath, networkPath } from '../model/keyPaths';

export interface SemanticOptions {
  /** Whether an environment variable is set where the check runs (editor, CLI). */
  envHas?: (name: string) => boolean;
  /** Whether a file exists; enables the `secret_file` existence check. */
  fileExists?: (path: string) => boolean;
}

type Emit = (d: PolicyDiagnostic) => void;

interface NetworkTable {
  doc: LoadedDocument;
  profile: string;
  path: PathSegment[];
  net: Record<string, unknown>;
}

/** Every `[permissions.<name>.network]` table as written, in both documents. */
function networkTables(docs: readonly LoadedDocument[]): NetworkTable[] {
  const out: NetworkTable[] = [];
  for (const doc of docs) {
    for (const [profile, body] of Object.entries(table(doc.value?.permissions) ?? {})) {
      const net = table(table(body)?.network);
      if (net) out.push({ doc, profile, path: networkPath(profile), net });
    }
  }
  return out;
}

export function checkMitmSemantics(input: ResolveInput, opts: SemanticOptions, emit: Emit): void {
  const docs = [input.config, input.requirements].filter((d): d is LoadedDocument => !!d && !!d.value);
  const tables = networkTables(docs);
  checkUnusedActions(tables, emit);
  for (const t of tables) checkUnreachableHooks(t, emit);
  for (const t of tables) checkSecrets(t, opts, emit);
  checkProfilesSemantics(input, emit);
}

function checkUnusedActions(tables: NetworkTable[], emit: Emit): void {
  // Conservative: an action counts as used if any hook in any profile of either file names it
  // (profiles inherit actions along `extends`, and across layers).
  const used = new Set<string>();
  for (const t of tables) {
    for (const hook of Object.values(table(table(t.net.mitm)?.hooks) ?? {})) strings(table(hook)?.action).forEach((a) => used.add(a));
  }
  for (const t of tables) {
    for (const name of Object.keys(table(table(t.net.mitm)?.actions) ?? {})) {
      if (used.has(name)) continue;
      emit({
        path: mitmPath(t.path, 'actions', name), target: 'key', severity: 'warning', code: 'mitm-unused-action', file: t.doc.kind,
        message: `action \`${name}\` is not used by any hook: it never runs. Reference it in a hook's \`action\` list or remove it.`,
        data: { action: name, profile: t.profile },
      });
    }
  }
}

interface HookFacts {
  name: string;
  host: string;
  methods: Set<string>;
  /** Literal prefixes (plain or `literal:`), at least one. */
  prefixes: string[];
  query: Map<string, string[]>;
  headers: Map<string, string[]>;
}

/**
 * What `covers` compares, for a hook it can judge: one whose path prefixes are all literal and not
 * none. Any other hook neither covers nor is covered (globs are never judged), so it is left out
 * before its query and header lists are built (#8: the first analysis of 1,000 glob hooks).
 */
function hookFacts(name: string, raw: unknown): HookFacts | undefined {
  const hook = table(raw);
  if (!hook || typeof hook.host !== 'string' || !Array.isArray(hook.methods) || !Array.isArray(hook.path_prefixes) || hook.path_prefixes.length === 0) return undefined;
  const prefixes: string[] = [];
  for (const p of hook.path_prefixes) {
    if (typeof p !== 'string') return undefined;
    const m = parseMatcherSpec(p);
    if (m.form === 'pattern') return undefined;
    prefixes.push(m.text);
  }
  const lists = (v: unknown, lower: boolean): Map<string, string[]> =>
    new Map(Object.entries(table(v) ?? {}).map(([k, vals]) => [lower ? k.toLowerCase() : k, strings(vals)]));
  return {
    name, host: normalizeHost(hook.host), methods: new Set(strings(hook.methods).map((m) => m.trim().toUpperCase())),
    prefixes, query: lists(hook.query, false), headers: lists(hook.headers, true),
  };
}

/** Every request `later` matches, `earlier` matches too (sufficient, never necessary). */
function covers(earlier: HookFacts, later: HookFacts): boolean {
  if (earlier.host !== later.host) return false;
  for (const m of later.methods) if (!earlier.methods.has(m)) return false;
  // Literal prefix vs literal prefix only (hookFacts): globs are never judged (no false positives).
  if (!later.prefixes.every((lp) => earlier.prefixes.some((ep) => ep !== '' && lp.startsWith(ep)))) return false;
  // Each constraint of the earlier hook must be implied by one of the later hook: same name,
  // and the later hook's allowed values a subset of the earlier's (same matcher strings).
  const implied = (e: Map<string, string[]>, l: Map<string, string[]>, emptyMeansPresent: boolean) => {
    for (const [k, ev] of e) {
      const lv = l.get(k);
      if (!lv) return false;
      if (emptyMeansPresent && ev.length === 0) continue;
      if (lv.length === 0 || !lv.every((x) => ev.includes(x))) return false;
    }
    return true;
  };
  return implied(earlier.query, later.query, false) && implied(earlier.headers, later.headers, true);
}

function checkUnreachableHooks(t: NetworkTable, emit: Emit): void {
  const byHost = new Map<string, HookFacts[]>();
  for (const [name, raw] of Object.entries(table(table(t.net.mitm)?.hooks) ?? {})) {
    const f = hookFacts(name, raw);
    if (!f) continue;
    let facts = byHost.get(f.host);
    if (!facts) byHost.set(f.host, (facts = []));
    const winner = facts.find((e) => covers(e, f));
    if (winner) {
      emit({
        path: mitmPath(t.path, 'hooks', name), target: 'key', severity: 'warning', code: 'mitm-hook-unreachable', file: t.doc.kind,
        message: `hook \`${name}\` can never match: the earlier hook \`${winner.name}\` for ${f.host} matches every request it would (first match wins). Move it above \`${winner.name}\` or narrow the earlier hook.`,
        related: [{ path: mitmPath(t.path, 'hooks', winner.name), message: `\`${winner.name}\` matches first`, file: t.doc.kind }],
        data: { hook: name, coveredBy: winner.name },
      });
    }
    facts.push(f);
  }
}

function checkSecrets(t: NetworkTable, opts: SemanticOptions, emit: Emit): void {
  for (const [name, raw] of Object.entries(table(table(t.net.mitm)?.actions) ?? {})) {
    const inject = table(raw)?.inject_request_headers;
    if (!Array.isArray(inject)) continue;
    inject.forEach((entryRaw, i) => {
      const entry = table(entryRaw);
      const p: PathSegment[] = [...mitmPath(t.path, 'actions', name), 'inject_request_headers', i];
      // Only a well-formed source is looked up; a malformed one already has its lowering error.
      const source = entry ? secretSourceOf(entry) : undefined;
      if (opts.envHas && source && 'envVar' in source && !opts.envHas(source.envVar)) {
        emit({
          path: [...p, 'secret_env_var'], target: 'value', severity: 'information', code: 'mitm-secret-env-unset', file: t.doc.kind,
          message: `environment variable \`${source.envVar}\` is not set in this environment. The proxy reads it when it starts and refuses to start without it; make sure it is set there.`,
          data: { variable: source.envVar },
        });
      }
      if (opts.fileExists && source && 'file' in source && !opts.fileExists(source.file)) {
        emit({
          path: [...p, 'secret_file'], target: 'value', severity: 'warning', code: 'mitm-secret-file-missing', file: t.doc.kind,
          message: `secret_file \`${source.file}\` does not exist here; the proxy reads it at start and fails without it.`,
          data: { file: source.file },
        });
      }
    });
  }
}

/** Allow and deny sets from a `domains` table (invalid patterns skipped: reported elsewhere). */
function domainSets(...domainTables: (Record<string, unknown> | undefined)[]): { allow: DomainSet<true> | undefined; deny: DomainSet<true> | undefined; allowCount: number } {
  const allow: string[] = [];
  const deny: string[] = [];
  for (const d of domainTables) {
    for (const [k, v] of Object.entries(d ?? {})) (v === 'deny' ? deny : v === 'allow' ? allow : []).push(k);
  }
  const build = (list: string[]) => {
    const all = compileDomainSet(list.map((pattern) => ({ pattern, value: true as const })));
    if (all.ok) return all.set;
    // Some pattern is invalid (reported by the domain rules): drop the bad ones.
    const ok = list.filter((p) => compileDomainSet([{ pattern: p, value: true as const }]).ok);
    const r = compileDomainSet(ok.map((pattern) => ({ pattern, value: true as const })));
    return r.ok ? r.set : undefined;
  };
  return { allow: build(allow), deny: build(deny), allowCount: allow.length };
}

/** Per defined profile (merged along `extends`): hook hosts vs domains, and `enabled`. */
function checkProfilesSemantics(input: ResolveInput, emit: Emit): void {
  const reqNet = table(input.requirements?.value?.experimental_network);
  const managedDomains = table(reqNet?.domains);
  const legacyManaged: Record<string, unknown> = {};
  strings(reqNet?.allowed_domains).forEach((h) => (legacyManaged[h] = 'allow'));
  strings(reqNet?.denied_domains).forEach((h) => (legacyManaged[h] = 'deny'));
  const managedOnly = reqNet?.managed_allowed_domains_only === true;
  const seen = new Set<string>();
  for (const name of availableProfiles(input).keys()) {
    if (name.startsWith(':')) continue;
    const profile = resolveProfile({ ...input, profile: name }).profile;
    const net = profile?.network;
    if (!profile || !net) continue;
    const once = (d: PolicyDiagnostic) => {
      const key = `${d.file}|${d.code}|${JSON.stringify(d.path)}`;
      if (!seen.has(key)) {
        seen.add(key);
        emit(d);
      }
    };
    // Network configured but never switched on.
    const configured = Object.keys(net).some((k) => k !== 'enabled');
    if (configured && net.enabled !== true && reqNet?.enabled !== true) {
      const own = profile.layers[profile.layers.length - 1];
      if (own && table(own.body.network)) {
        once({
          path: ['permissions', own.name, 'network'], target: 'key', severity: 'warning', code: 'network-not-enabled', file: own.doc.kind,
          message: `\`permissions.${own.name}.network\` sets network rules but \`enabled\` is not \`true\`: Codex gives this profile no network at all, so these rules never apply. Add \`enabled = true\`.`,
          data: { profile: own.name, insert: 'enabled = true' },
        });
      }
    }
    const own = table(net.domains);
    const sets = managedOnly
      ? { ...domainSets(managedDomains, legacyManaged), deny: domainSets(managedDomains, legacyManaged, own).deny }
      : domainSets(managedDomains, legacyManaged, own);
    for (const [hookName, raw] of Object.entries(table(table(net.mitm)?.hooks) ?? {})) {
      const host = table(raw)?.host;
      if (typeof host !== 'string') continue;
      const hookHost = normalizeHookHost(host);
      if (!hookHost.ok) continue;
      const h = hookHost.value;
      // Looked up only for a finding (#8: 1,000 hooks, a handful of findings).
      const originOfHost = () => profile.originOf([...mitmPath([], 'hooks', hookName), 'host']);
      const denied = sets.deny?.matchEntry(h);
      let origin;
      if (denied) {
        if (!(origin = originOfHost())) continue;
        once({
          path: origin.path, target: 'value', severity: 'warning', code: 'mitm-hook-host-denied', file: origin.kind,
          message: `hook \`${hookName}\` is for ${h}, which the domains deny (\`${denied.pattern}\`): requests never reach the hook.`,
          data: { hook: hookName, host: h, pattern: denied.pattern },
        });
      } else if (sets.allowCount > 0 && !sets.allow?.matchEntry(h)) {
        if (!(origin = originOfHost())) continue;
        once({
          path: origin.path, target: 'value', severity: 'warning', code: 'mitm-hook-host-not-allowed', file: origin.kind,
          message: `hook \`${hookName}\` is for ${h}, which no allowed domain matches${managedOnly ? ' (only managed allow entries count: `managed_allowed_domains_only = true`)' : ''}: requests to it are blocked before the hook. Allow the host in \`domains\`.`,
          data: { hook: hookName, host: h },
        });
      }
    }
  }
}
