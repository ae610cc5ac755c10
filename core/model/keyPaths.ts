// Key paths of the policy model, built and recognised in one place: the editor's features,
// validation, lowering and the client's policy edits all name a hook, an action, a domain or a
// profile through these, never by indexing path positions themselves.
import type { PathSegment } from '../toml/positions';

type KeyPath = readonly PathSegment[];
export type MitmKind = 'hooks' | 'actions';

export const profilePath = (profile: string): string[] => ['permissions', profile];
export const networkPath = (profile: string): string[] => ['permissions', profile, 'network'];
export const domainsPath = (profile: string): string[] => [...networkPath(profile), 'domains'];
/** `<network>.mitm`, `<network>.mitm.<kind>` or `<network>.mitm.<kind>.<name>` under any network table path. */
export function mitmPath<S extends PathSegment>(network: readonly S[], kind?: MitmKind, name?: string): (S | string)[] {
  return [...network, 'mitm', ...(kind ? [kind] : []), ...(kind && name !== undefined ? [name] : [])];
}
export const hookPath = (profile: string, name: string): string[] => mitmPath(networkPath(profile), 'hooks', name);
export const actionPath = (profile: string, name: string): string[] => mitmPath(networkPath(profile), 'actions', name);
export const actionsPath = (profile: string): string[] => mitmPath(networkPath(profile), 'actions');
export const hooksPath = (profile: string): string[] => mitmPath(networkPath(profile), 'hooks');

/** The profile a path lies in (`permissions.<profile>…`). */
export function profileOf(p: KeyPath): string | undefined {
  return p[0] === 'permissions' && typeof p[1] === 'string' ? p[1] : undefined;
}

/** `permissions.<profile>.network…`: the profile and the path inside the network table. */
export function inNetwork(p: KeyPath): { profile: string; rest: PathSegment[] } | undefined {
  const profile = profileOf(p);
  return profile !== undefined && p[2] === 'network' ? { profile, rest: p.slice(3) } : undefined;
}

/** Inside a network table: the path after its `mitm` key (`[]` for the mitm table itself). */
export function inMitm(rel: KeyPath): PathSegment[] | undefined {
  return rel[0] === 'mitm' ? rel.slice(1) : undefined;
}

export interface MitmPlace {
  profile: string;
  kind: MitmKind;
  /** The hook or action name, when the path reaches one. */
  name?: string;
  /** The path inside that hook or action (`['action', 0]`, `['inject_request_headers', 1, 'name']`). */
  rest: PathSegment[];
}

/** `permissions.<profile>.network.mitm.<hooks|actions>[.<name>[…]]`. */
export function mitmPlace(p: KeyPath): MitmPlace | undefined {
  const n = inNetwork(p);
  const m = n && inMitm(n.rest);
  if (!n || !m || (m[0] !== 'hooks' && m[0] !== 'actions')) return undefined;
  const name = m[1];
  return { profile: n.profile, kind: m[0], ...(typeof name === 'string' ? { name } : {}), rest: m.slice(2) };
}

/** The hook a path lies in (the hook table itself or anything inside it). */
export function hookOf(p: KeyPath): (MitmPlace & { name: string }) | undefined {
  const m = mitmPlace(p);
  return m?.kind === 'hooks' && m.name !== undefined ? { ...m, name: m.name } : undefined;
}

/** The action a path lies in. */
export function actionOf(p: KeyPath): (MitmPlace & { name: string }) | undefined {
  const m = mitmPlace(p);
  return m?.kind === 'actions' && m.name !== undefined ? { ...m, name: m.name } : undefined;
}

/** An entry of a hook's `action` list (`…hooks.<h>.action[i]`): the hook and the index. */
export function hookActionRef(p: KeyPath): { profile: string; hook: string; index: number } | undefined {
  const h = hookOf(p);
  return h && h.rest.length === 2 && h.rest[0] === 'action' && typeof h.rest[1] === 'number' ? { profile: h.profile, hook: h.name, index: h.rest[1] } : undefined;
}

/** A host pattern key of a `domains` table (a profile's or the managed `experimental_network`'s). */
export function isDomainEntry(p: KeyPath): boolean {
  return p[p.length - 2] === 'domains' && ((inNetwork(p)?.rest.length === 2) || (p[0] === 'experimental_network' && p.length === 3));
}

/** Where a profile name is written as a value: `default_permissions` or `permissions.<p>.extends`. */
export function isProfileSelector(p: KeyPath): boolean {
  return (p.length === 1 && p[0] === 'default_permissions') || (p.length === 3 && profileOf(p) !== undefined && p[2] === 'extends');
}
