// Hover: model docs on keys, header segments and values; summaries on hooks, actions, host
// patterns and profiles (describe.ts).
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import type { PathSegment, Position, Range, TomlNode } from '../../core/toml/positions';
import type { DocumentAnalysis, FeatureRegistration } from '../context';
import { describeAction, describeDomain, describeHook, describeProfile, mergedNetwork } from './describe';
import { enumDoc, enumValues, keyDoc, schemaFor } from './model';
import { contains } from './references';
import { table } from '../../core/toml/values';


function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const s of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[s as string] : undefined;
  return v;
}

const isHookPath = (p: readonly PathSegment[]) => p.length === 6 && p[0] === 'permissions' && p[2] === 'network' && p[3] === 'mitm' && p[4] === 'hooks';
const isActionPath = (p: readonly PathSegment[]) => p.length === 6 && p[0] === 'permissions' && p[2] === 'network' && p[3] === 'mitm' && p[4] === 'actions';
const isDomainPath = (p: readonly PathSegment[]) =>
  p.length >= 2 && p[p.length - 2] === 'domains' && typeof p[p.length - 1] === 'string' &&
  ((p[0] === 'permissions' && p[2] === 'network' && p.length === 5) || (p[0] === 'experimental_network' && p.length === 3));

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
  if (path[0] === 'permissions' && typeof path[1] === 'string' && path.length === 2 && !onValue) return describeProfile(a, path[1]);
  const hookPath = isHookPath(path) ? path : path.length === 7 && path[6] === 'host' && isHookPath(path.slice(0, 6)) ? path.slice(0, 6) : undefined;
  if (hookPath) {
    const hook = table(valueAt(value, hookPath));
    if (hook) return describeHook(hookPath[5] as string, hook, mergedNetwork(a, hookPath[1] as string) ?? table(valueAt(value, hookPath.slice(0, 3))));
  }
  if (isActionPath(path) && !onValue) {
    const net = mergedNetwork(a, path[1] as string) ?? table(valueAt(value, path.slice(0, 3)));
    return describeAction(path[5] as string, table(table(table(net?.mitm)?.actions)?.[path[5] as string]));
  }
  if (path.length === 8 && path[6] === 'action' && typeof path[7] === 'number' && isHookPath(path.slice(0, 6))) {
    const name = valueAt(value, path);
    if (typeof name === 'string') {
      const net = mergedNetwork(a, path[1] as string) ?? table(valueAt(value, path.slice(0, 3)));
      const actions = table(table(net?.mitm)?.actions) ?? {};
      return describeAction(name, table(actions[name]), Object.keys(actions));
    }
  }
  if (isDomainPath(path)) return describeDomain(path[path.length - 1] as string, valueAt(value, path));
  const isSelector = (path.length === 1 && path[0] === 'default_permissions') || (path.length === 3 && path[0] === 'permissions' && path[2] === 'extends');
  if (onValue && isSelector) {
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
