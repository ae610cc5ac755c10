// Type and key checks driven purely by the zod model: wrong types and enum values (Codex's
// serde wording), unknown keys (severity from the table's metadata), removed and legacy keys.
import type { z } from 'zod';
import type { PolicyDiagnostic } from '../diagnostics';
import { pathText } from '../diagnostics';
import { metaOf, shapeOf, type SchemaShape } from '../model/meta';

type ObjectShape = Extract<SchemaShape, { kind: 'object' }>;
import type { PathSegment } from '../toml/positions';
import { closest } from '../lower/closest';
import { keyAlias } from './semanticAliases';
import { certainlyParses } from './conforms';

export interface SchemaCheckOptions {
  /** Strict mode: keys Codex ignores become errors (Codex's own strict-config mode). */
  strict?: boolean;
}

export function checkSchema(root: z.ZodType, value: unknown, opts: SchemaCheckOptions = {}): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  suggestionsLeft = MAX_SUGGESTIONS;
  walkKeys(root, value, [], out, opts);
  // zod's parse only where it may find something (conforms.ts): its verdict is unchanged.
  const res = certainlyParses(root, value) ? undefined : root.safeParse(value);
  if (res && !res.success) {
    for (const issue of res.error.issues) {
      if (issue.code === 'unrecognized_keys') continue; // walkKeys reports these with the right severity
      const d = issueToDiagnostic(issue, value);
      if (d && !out.some((o) => o.code === d.code && samePath(o.path, d.path))) out.push(d);
    }
  }
  return out;
}

function samePath(a: readonly PathSegment[], b: readonly PathSegment[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Decision (#11): edit-distance "did you mean" for the first 1,000 unknown keys of a document
 * only (aliases always). A file with more is not a typo, and 67,000 unknown keys cost ~1.3 s of
 * distance computations per analysis. Reset per checkSchema call (synchronous).
 */
const MAX_SUGGESTIONS = 1000;
let suggestionsLeft = MAX_SUGGESTIONS;

/** `path` is a shared stack (pushed and popped around each child): copied only into a finding. */
function walkKeys(schema: z.ZodType, value: unknown, path: PathSegment[], out: PolicyDiagnostic[], opts: SchemaCheckOptions): void {
  const sh = shapeOf(schema);
  if (sh.kind === 'union') {
    // Walk the option that fits the value best (fewest keys it does not know; the first on a
    // tie), so `{ match = "regex", expression }` is not judged by the `exact` form's keys.
    const fit = bestFit(sh.options, value);
    if (fit) walkKeys(fit, value, path, out, opts);
    return;
  }
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (sh.kind !== 'array') return;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (!v || typeof v !== 'object') continue; // scalars have no keys
      path.push(i);
      walkKeys(sh.element, v, path, out, opts);
      path.pop();
    }
    return;
  }
  if (sh.kind !== 'record' && sh.kind !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    const v = obj[k];
    if (sh.kind === 'record' && (!v || typeof v !== 'object')) continue; // scalars have no keys
    path.push(k);
    if (sh.kind === 'record') walkKeys(sh.value, v, path, out, opts);
    else walkKey(sh, k, v, path, out, opts);
    path.pop();
  }
}

const knownCache = new WeakMap<ObjectShape, string[]>();

/** The keys a table accepts (not removed ones): one array per table schema, so did-you-mean caches work. */
function knownKeys(sh: ObjectShape): string[] {
  let known = knownCache.get(sh);
  if (!known) knownCache.set(sh, (known = Object.keys(sh.shape).filter((n) => !metaOf(sh.shape[n]!).removed)));
  return known;
}

/** One key of an object table; `path` ends with it. */
function walkKey(sh: ObjectShape, k: string, v: unknown, path: PathSegment[], out: PolicyDiagnostic[], opts: SchemaCheckOptions): void {
  const child = Object.hasOwn(sh.shape, k) ? sh.shape[k] : undefined;
  if (!child && sh.rest) return walkKeys(sh.rest, v, path, out, opts);
  if (!child) {
    if (sh.unknownKeys === 'ignore') return;
    const known = knownKeys(sh);
    const suggestion = keyAlias(k, known) ?? (suggestionsLeft-- > 0 ? closest(k, known) : undefined);
    const hard = sh.unknownKeys === 'error';
    const severity = hard || opts.strict ? 'error' : 'warning';
    const hint = suggestion ? ` Did you mean \`${suggestion}\`?` : '';
    const keyPath = path.slice();
    out.push({
      path: keyPath, target: 'key', severity, code: 'unknown-key',
      message: hard
        ? `unknown field \`${k}\`, expected one of ${list(known)}.${hint}`
        : `unknown configuration field \`${pathText(keyPath)}\`: Codex ignores it.${hint}`,
      data: { key: k, ...(suggestion ? { suggestion } : {}) },
    });
    return;
  }
  const meta = metaOf(child);
  if (meta.removed) {
    out.push({ path: path.slice(), target: 'key', severity: 'error', code: meta.code ?? 'removed-key', message: meta.removed, data: { key: k } });
    return;
  }
  if (meta.deprecated) {
    out.push({ path: path.slice(), target: 'key', severity: opts.strict ? 'error' : 'warning', code: meta.code ?? 'deprecated-key', message: `\`${k}\`: ${meta.deprecated}`, data: { key: k } });
  }
  if (v && typeof v === 'object') walkKeys(child, v, path, out, opts); // scalars have no keys
}

function bestFit(options: readonly z.ZodType[], value: unknown): z.ZodType | undefined {
  let best: z.ZodType | undefined;
  let bestMisses = Infinity;
  for (const o of options) {
    const sh = shapeOf(o);
    if (!fits(sh, value)) continue;
    const misses = sh.kind === 'object' && !sh.rest ? Object.keys(value as object).filter((k) => !(k in sh.shape) || !literalAccepts(sh.shape[k]!, (value as Record<string, unknown>)[k])).length : 0;
    if (misses < bestMisses) {
      best = o;
      bestMisses = misses;
    }
  }
  return best;
}

function literalAccepts(schema: z.ZodType, v: unknown): boolean {
  const sh = shapeOf(schema);
  return sh.kind !== 'scalar' || sh.type !== 'literal' || sh.literal === v;
}

function fits(sh: SchemaShape, value: unknown): boolean {
  if (sh.kind === 'object' || sh.kind === 'record') return !!value && typeof value === 'object' && !Array.isArray(value);
  if (sh.kind === 'array') return Array.isArray(value);
  return false;
}

function list(names: string[]): string {
  const q = names.map((n) => `\`${n}\``);
  return q.length <= 2 ? q.join(' or ') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (Array.isArray(v)) return 'an array';
  if (v && typeof v === 'object') return 'a table';
  return 'nothing';
}

const expectedText: Record<string, string> = {
  string: 'a string', boolean: 'a boolean', number: 'a number', int: 'an integer', array: 'an array', object: 'a table', record: 'a table',
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

function issueToDiagnostic(issue: z.core.$ZodIssue, root: unknown): PolicyDiagnostic | undefined {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const actual = valueAt(root, path);
  switch (issue.code) {
    case 'invalid_type': {
      if (actual === undefined) return undefined; // missing required keys are reported by semantic rules
      return { path, target: 'value', severity: 'error', code: 'invalid-type', message: `invalid type: ${describeValue(actual)}, expected ${expectedText[issue.expected] ?? issue.expected}` };
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const q = values.map((v) => `\`${v}\``);
      const expected = q.length <= 2 ? q.join(' or ') : `one of ${q.join(', ')}`;
      const suggestion = typeof actual === 'string' ? closest(actual, values) : undefined;
      return {
        path, target: 'value', severity: 'error', code: 'invalid-value',
        message: `unknown variant \`${String(actual)}\`, expected ${expected}`,
        data: { values, ...(suggestion ? { suggestion } : {}) },
      };
    }
    case 'invalid_union':
      return { path, target: 'value', severity: 'error', code: 'invalid-type', message: `invalid value ${describeValue(actual)}: it matches none of the accepted forms` };
    default:
      return { path, target: 'value', severity: 'error', code: 'invalid-value', message: issue.message };
  }
}
