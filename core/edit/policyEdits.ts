// Text edits that change a policy file the way a person would: one inserted or replaced line,
// comments and formatting untouched. Positions come from core/toml/positions (0-based, LSP).
// The extension turns these into a WorkspaceEdit; tests apply them with applyEdits().
import { indexToml, type Position, type TomlIndex, type TomlNode } from '../toml/positions';
import { normalizeDomainKey } from '../lower/domainKey';
import { normalizeHost } from '../match/host';
import { normalizeHookHost, parseMatcherSpec } from '../match/hooks';
import { actionPath, actionsPath, domainsPath, hookPath, hooksPath, mitmPath, networkPath, profilePath } from '../model/keyPaths';

export interface TextEdit {
  range: { start: Position; end: Position };
  newText: string;
}

export type EditResult = { edits: TextEdit[]; summary: string } | { error: string };

const BARE = /^[A-Za-z0-9_-]+$/;
const keyText = (k: string): string => (BARE.test(k) ? k : JSON.stringify(k));
export const tomlString = (s: string): string => JSON.stringify(s); // JSON string escapes are valid TOML basic-string escapes
export const eol = (text: string): string => (text.includes('\r\n') ? '\r\n' : '\n');
export const pathText = (p: readonly string[]): string => p.map(keyText).join('.');

function profileError(profile: string | null | undefined): string | null {
  if (!profile) return 'No permission profile is active; set `default_permissions` or the codexNetworkPolicy.profile setting first.';
  if (profile.startsWith(':')) return `The built-in profile \`${profile}\` has no network table to edit; select a custom profile (Codex Network Policy: Select Profile).`;
  return null;
}

/** Position where a new line may be inserted after `node` (start of the following line). */
function lineAfter(text: string, ix: TomlIndex, node: TomlNode): { pos: Position; lead: string } {
  const endOff = ix.offsetAt(node.range.end);
  const nl = text.indexOf('\n', endOff);
  if (nl < 0) return { pos: ix.positionAt(text.length), lead: eol(text) };
  return { pos: ix.positionAt(nl + 1), lead: '' };
}

export function appendAtEnd(text: string, ix: TomlIndex, block: string): TextEdit {
  const nl = eol(text);
  const trimmedEnd = text.replace(/[\r\n]+$/, '');
  const lead = text.length === 0 ? '' : trimmedEnd.length === text.length ? nl + nl : text.endsWith(nl + nl) ? '' : nl;
  return { range: { start: ix.positionAt(text.length), end: ix.positionAt(text.length) }, newText: lead + block };
}

/** Sets `domains["host"] = "allow" | "deny"` in the profile's network table. */
export function setDomainEdit(text: string, profile: string | null | undefined, host: string, value: 'allow' | 'deny'): EditResult {
  const pe = profileError(profile);
  if (pe) return { error: pe };
  const p = profile!;
  const h = normalizeHost(host);
  if (!h || /[\s"\\]/.test(h)) return { error: `Not a host name: ${JSON.stringify(host)}` };
  const ix = indexToml(text);
  if (ix.problems.length) return { error: `The file has TOML syntax errors (line ${ix.problems[0]!.range.start.line + 1}: ${ix.problems[0]!.message}); fix them first.` };
  const nl = eol(text);
  const domainsAt = domainsPath(p);
  const domains = ix.get(domainsAt);
  const entry = `${tomlString(h)} = ${tomlString(value)}`;
  const summary = `${value === 'allow' ? 'Allowed' : 'Denied'} ${h} in [${pathText(domainsAt)}]`;
  const wanted = normalizeDomainKey(h);

  if (domains) {
    // Decision: an existing key for the same host (any spelling that normalises alike) gets its value
    // replaced in place rather than a second, conflicting key being added.
    const same = ix.childrenOf(domainsAt).filter((n) => typeof n.path.at(-1) === 'string' && normalizeDomainKey(String(n.path.at(-1))) === wanted);
    const last = same.at(-1);
    if (last?.valueRange) return { edits: [{ range: last.valueRange, newText: tomlString(value) }], summary };
    if (domains.kind === 'table') {
      const kids = ix.childrenOf(domainsAt);
      const anchor = kids.length ? kids.reduce((a, b) => (ix.offsetAt(b.range.end) > ix.offsetAt(a.range.end) ? b : a)) : domains;
      const { pos, lead } = lineAfter(text, ix, anchor.kind === 'table' ? { ...anchor, range: anchor.headerRange ?? anchor.range } : anchor);
      return { edits: [{ range: { start: pos, end: pos }, newText: `${lead}${entry}${nl}` }], summary };
    }
    if (domains.valueKind === 'inline-table' && domains.valueRange) {
      const endOff = ix.offsetAt(domains.valueRange.end) - 1; // the closing brace
      if (text[endOff] !== '}') return { error: 'Could not find the end of the inline `domains` table.' };
      let before = endOff;
      while (before > 0 && /\s/.test(text[before - 1]!)) before--;
      const empty = text[before - 1] === '{';
      const at = ix.positionAt(before);
      return { edits: [{ range: { start: at, end: at }, newText: empty ? ` ${entry} ` : `, ${entry}` }], summary };
    }
    return { error: `\`${pathText(domainsAt)}\` is not a table; edit it by hand.` };
  }
  const network = ix.get(networkPath(p));
  if (network && network.kind !== 'table') {
    if (network.valueKind === 'inline-table') return { error: `[${pathText(networkPath(p))}] is an inline table; add the domain by hand.` };
  }
  if (!ix.get(profilePath(p))) {
    return { error: `Profile \`${p}\` is not defined in this file (it may come from requirements.toml); add the domain where the profile is defined.` };
  }
  return { edits: [appendAtEnd(text, ix, `[${pathText(domainsAt)}]${nl}${entry}${nl}`)], summary };
}

export interface HookRequest {
  host: string;
  method: string;
  path: string;
  /** Several path prefixes for one hook (default: `[path]`). */
  paths?: readonly string[];
}

export interface HookEditOptions {
  /** false: reference the pass-through action without defining it (a separate edit does, see passThroughActionEdit). */
  createAction?: boolean;
  /** The action the hook references (default: the profile's first action, else pass-through). */
  action?: string;
}

/** A path as a `path_prefixes` entry: a path that happens to start with a matcher prefix is forced literal. */
const prefixEntry = (path: string): string => {
  const raw = (path || '/').split('?')[0] || '/';
  return parseMatcherSpec(raw).form === 'plain' ? raw : `literal:${raw}`;
};

const passThroughBlock = (p: string, nl: string): string =>
  // Codex rejects empty actions; stripping proxy-authorization changes nothing upstream sees.
  `[${pathText(actionPath(p, PASS_THROUGH_ACTION))}]${nl}strip_request_headers = ["proxy-authorization"]${nl}`;

/** Name for a new hook, unique among the profile's hooks: `allow_get_api_github_com`. */
function hookName(ix: TomlIndex, profile: string, req: HookRequest): string {
  const base = `allow_${req.method.toLowerCase()}_${req.host.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}`.slice(0, 60);
  const taken = new Set(ix.childrenOf(hooksPath(profile)).map((n) => String(n.path.at(-1))));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

export const PASS_THROUGH_ACTION = 'pass_through';

/**
 * Adds a MITM hook matching this method and path prefix on the host. It references the profile's
 * first existing action, or creates a pass-through action. Hooks keep definition order (first match
 * wins), so the new hook goes after the existing ones (end of file).
 */
export function addHookEdit(text: string, profile: string | null | undefined, req: HookRequest, opts: HookEditOptions = {}): EditResult {
  const pe = profileError(profile);
  if (pe) return { error: pe };
  const p = profile!;
  const hookHost = normalizeHookHost(req.host);
  const host = hookHost.ok ? hookHost.value : '';
  if (!hookHost.ok || /[\s"\\]/.test(host)) return { error: `A hook needs an exact host, got ${JSON.stringify(req.host)}.` };
  const method = req.method.trim().toUpperCase();
  if (!/^[A-Z][A-Z0-9_-]*$/.test(method) || method === 'CONNECT') return { error: `A hook needs an HTTP method, got ${JSON.stringify(req.method)}.` };
  const rawPath = (req.path || '/').split('?')[0] || '/';
  const prefixes = (req.paths ?? [req.path]).map(prefixEntry);
  const ix = indexToml(text);
  if (ix.problems.length) return { error: `The file has TOML syntax errors (line ${ix.problems[0]!.range.start.line + 1}: ${ix.problems[0]!.message}); fix them first.` };
  if (!ix.get(profilePath(p))) return { error: `Profile \`${p}\` is not defined in this file; add the hook where the profile is defined.` };
  for (const at of [networkPath(p), mitmPath(networkPath(p)), hooksPath(p), actionsPath(p)]) {
    const n = ix.get(at);
    if (n && n.kind === 'key-value') return { error: `\`${pathText(at)}\` is written inline; add the hook by hand.` };
  }
  const nl = eol(text);
  const actions = ix.childrenOf(actionsPath(p)).map((n) => String(n.path.at(-1)));
  const action = opts.action ?? actions[0] ?? PASS_THROUGH_ACTION;
  const name = hookName(ix, p, { host, method, path: rawPath });
  let block =
    `[${pathText(hookPath(p, name))}]${nl}` +
    `host = ${tomlString(host)}${nl}methods = [${tomlString(method)}]${nl}path_prefixes = [${prefixes.map(tomlString).join(', ')}]${nl}action = [${tomlString(action)}]${nl}`;
  if (!actions.includes(action) && action === PASS_THROUGH_ACTION && opts.createAction !== false) block += `${nl}${passThroughBlock(p, nl)}`;
  const shown = req.paths && req.paths.length > 1 ? req.paths.join(', ') : rawPath;
  return { edits: [appendAtEnd(text, ix, block)], summary: `Added hook \`${name}\` (${method} ${shown} on ${host}) using action \`${action}\`` };
}

/** Defines the pass-through action unless the profile has it (null: nothing to add). */
export function passThroughActionEdit(text: string, profile: string): TextEdit | null {
  const ix = indexToml(text);
  if (ix.get(actionPath(profile, PASS_THROUGH_ACTION))) return null;
  return appendAtEnd(text, ix, passThroughBlock(profile, eol(text)));
}

/** Applies non-overlapping edits to a text; inserts at the same position land in the given order (as in VS Code). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const ix = indexToml(text);
  const withOff = edits.map((e, i) => ({ i, s: ix.offsetAt(e.range.start), e: ix.offsetAt(e.range.end), t: e.newText })).sort((a, b) => b.s - a.s || b.i - a.i);
  let out = text;
  for (const x of withOff) out = out.slice(0, x.s) + x.t + out.slice(x.e);
  return out;
}
