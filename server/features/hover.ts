// Hover: model docs on keys, header segments and values; summaries on hooks, actions, host
// patterns and profiles (describe.ts).
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import type { PathSegment, Position, Range, TomlNode } from '../../core/toml/positions';
import type { DocumentAnalysis, FeatureRegistration } from '../context';
import { describeAction, describeDomain, describeHook, describeProfile, mergedNetwork } from './describe';
import { enumDoc, enumValues, keyDoc, schemaFor } from './model';
import { contains } from './references';
import { table } from '../../core/toml/values';
import { actionOf, hookActionRef, hookOf, hookPath, isDomainEntry, isProfileSelector, networkPath, profileOf } from '../../core/model/keyPaths';

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const s of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[s as string] : undefined;
  return v;
}


/** Path spelled by the key segment under the cursor (header or key), if any. */
function keyPathAt(node: TomlNode, pos: Position): { path: PathSegment[]; range: Range } | undefined {
  const segs = node.keySegmentRanges ?? [];
  const k = segs.findIndex((r) => contains(r, pos));
  if (k < 0) return undefined;
  let idx: number;
  if (node.kind === 'table' || node.kind === 'array-table') {
    let seen = -1;
    idx = node.path.findIndex((s) => typeof s === 'string' && ++seen === k);
  } else idx = node.path.length - segs.length + k;
  return idx < 0 ? undefined : { path: node.path.slice(0, idx + 1), range: segs[k]! };
}

function hoverText(a: DocumentAnalysis, path: PathSegment[], onValue: boolean): string | undefined {
  const value = a.doc.value;
  const profile = profileOf(path);
  if (profile !== undefined && path.length === 2 && !onValue) return describeProfile(a, profile);
  // The merged network of the profile a path lies in (falls back to the table as written).
  const network = (p: string) => mergedNetwork(a, p) ?? table(valueAt(value, networkPath(p)));
  const hook = hookOf(path);
  if (hook && (hook.rest.length === 0 || (hook.rest.length === 1 && hook.rest[0] === 'host'))) {
    const written = table(valueAt(value, hookPath(hook.profile, hook.name)));
    if (written) return describeHook(hook.name, written, network(hook.profile));
  }
  const action = actionOf(path);
  if (action && action.rest.length === 0 && !onValue) {
    return describeAction(action.name, table(table(table(network(action.profile)?.mitm)?.actions)?.[action.name]));
  }
  const ref = hookActionRef(path);
  if (ref) {
    const name = valueAt(value, path);
    if (typeof name === 'string') {
      const actions = table(table(network(ref.profile)?.mitm)?.actions) ?? {};
      return describeAction(name, table(actions[name]), Object.keys(actions));
    }
  }
  if (isDomainEntry(path)) return describeDomain(String(path[path.length - 1]), valueAt(value, path));
  if (onValue && isProfileSelector(path)) {
    const name = valueAt(value, path);
    if (typeof name === 'string') return describeProfile(a, name);
  }
  const schema = schemaFor(a.kind, path);
  if (!schema) return undefined;
  // An array element is documented by its array's key.
  const keyPath = typeof path[path.length - 1] === 'number' ? path.slice(0, -1) : path;
  const keySchema = schemaFor(a.kind, keyPath) ?? schema;
  const last = [...keyPath].reverse().find((s): s is string => typeof s === 'string');
  const doc = keyDoc(keySchema, last);
  if (onValue && enumValues(schema).length) {
    const v = valueAt(value, path);
    const e = enumDoc(schema);
    return [typeof v === 'string' ? `\`${JSON.stringify(v)}\`` : '', e && !doc.includes(e) ? e : '', doc].filter(Boolean).join('\n\n');
  }
  return doc || undefined;
}

export const register: FeatureRegistration = (ctx) => {
  ctx.connection.onHover((params) => ctx.safe<Hover | null>('hover', null, () => {
    const a = ctx.analysis(params.textDocument.uri);
    if (!a) return null;
    const node = a.doc.index.nodeAt(params.position);
    if (!node) return null;
    const key = keyPathAt(node, params.position);
    let text: string | undefined;
    let range: Range | undefined;
    if (key) {
      text = hoverText(a, key.path, false);
      range = key.range;
    } else if (node.valueRange && contains(node.valueRange, params.position)) {
      text = hoverText(a, node.path, true);
      range = node.valueRange;
    } else if (node.headerRange && contains(node.headerRange, params.position)) {
      text = hoverText(a, node.path, false);
      range = node.headerRange;
    }
    return text ? { contents: { kind: MarkupKind.Markdown, value: text }, ...(range ? { range } : {}) } : null;
  }));
};
