// Metadata carried by the zod schemas: the one place that says how strict a table is,
// what a field means (hover), and what history it has (diagnostics, quick fixes).
import { z } from 'zod';
import type { DiagnosticCode } from '../codes';

/** How Codex treats keys a table does not know. */
type UnknownKeys = 'error' | 'warn' | 'ignore';

/**
 * Where a key's or value's legal names come from (taplo-style): completion offers them, hover
 * describes them, references follow them. Editor features dispatch on this, not on path positions.
 */
export type ValueSource =
  | 'profile' // a permission profile name (defined or built-in)
  | 'action' // a MITM action name of the same profile (after `extends`)
  | 'httpMethod'
  | 'headerName'
  | 'envVar' // an environment variable of the proxy process (names only, never values)
  | 'pathMatcher' // a hook path matcher: prefix, `literal:` or `pattern:`
  | 'valueMatcher'; // a query/header value matcher: exact, `literal:` or `pattern:`

export interface FieldMeta {
  /** Markdown shown on hover and in completion details. */
  description?: string;
  /** The value Codex uses when the key is absent, as text. */
  defaultText?: string;
  /** For objects: what Codex does with keys it does not know. */
  unknownKeys?: UnknownKeys;
  /** Removed from Codex: using it is a hard error. Text says what replaced it. */
  removed?: string;
  /** Still read by some Codex versions but outdated: a warning. Text says what to use. */
  deprecated?: string;
  /** A short label for completion (e.g. `host pattern`) of record keys. */
  keyLabel?: string;
  /** Diagnostic code for using this key when it is removed or deprecated. */
  code?: DiagnosticCode;
  /** Must be written in its table: the code reported when it is missing. */
  required?: DiagnosticCode;
  /** A list that must not be empty: the code, and what the message says (e.g. `match.methods`). */
  nonEmpty?: { code: DiagnosticCode; label: string };
  /** Where this value's names come from (string values, and the elements of string lists). */
  valueSource?: ValueSource;
  /** For records: where the key names come from (e.g. header names). */
  keySource?: ValueSource;
  /** For tables: exactly one of these keys must be written (the code reported otherwise). */
  exactlyOne?: { keys: readonly string[]; code: DiagnosticCode };
}

const registry = new WeakMap<z.ZodType, FieldMeta>();
// Schemas never change after the model is built, so their metadata and shapes are computed once
// (the schema walk asks for them at every key of every analysis).
let metaCache = new WeakMap<z.ZodType, FieldMeta>();
let shapeCache = new WeakMap<z.ZodType, SchemaShape>();

/** Attach metadata (and zod's own description, so `.description` works too). */
export function withMeta<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  const described = meta.description ? schema.describe(meta.description) : schema;
  registry.set(described, { ...(registry.get(schema) ?? {}), ...meta });
  metaCache = new WeakMap(); // models are built before they are read; this keeps a late one right
  shapeCache = new WeakMap();
  return described;
}

/** A documented optional field. */
export function field<T extends z.ZodType>(schema: T, description: string, extra: Omit<FieldMeta, 'description'> = {}): z.ZodOptional<T> {
  return withMeta(schema.optional(), { description, ...extra });
}

/** A table whose unknown keys Codex rejects (serde `deny_unknown_fields`). */
export function strictTable<S extends z.ZodRawShape>(shape: S, description: string, extra: Omit<FieldMeta, 'description' | 'unknownKeys'> = {}) {
  return withMeta(z.strictObject(shape), { description, unknownKeys: 'error', ...extra });
}

/** A table with named keys whose other keys all follow `rest` (serde `flatten` into a map). */
export function keyedTable<S extends z.ZodRawShape>(shape: S, rest: z.ZodType, description: string, extra: Omit<FieldMeta, 'description' | 'unknownKeys'> = {}) {
  return withMeta(z.object(shape).catchall(rest), { description, unknownKeys: 'error', ...extra });
}

/** A table whose unknown keys Codex ignores: we still report them, as warnings. */
export function looseTable<S extends z.ZodRawShape>(shape: S, description: string, extra: Omit<FieldMeta, 'description' | 'unknownKeys'> = {}) {
  return withMeta(z.strictObject(shape), { description, unknownKeys: 'warn', ...extra });
}

/** Metadata of a schema, merged through optional/default/nullable wrappers (outer wins). Shared: do not mutate. */
export function metaOf(schema: z.ZodType): FieldMeta {
  let meta = metaCache.get(schema);
  if (!meta) metaCache.set(schema, (meta = computeMeta(schema)));
  return meta;
}

function computeMeta(schema: z.ZodType): FieldMeta {
  const chain: z.ZodType[] = [];
  let s: z.ZodType | undefined = schema;
  while (s) {
    chain.push(s);
    s = innerOf(s);
  }
  const out: FieldMeta = {};
  for (const node of chain.reverse()) {
    const m = registry.get(node);
    if (m) Object.assign(out, m);
    if (!out.description && node.description) out.description = node.description;
  }
  return out;
}

/** The classic zod schema a value is, if it is one (inner schemas are typed as zod core's). */
function classic(s: unknown): z.ZodType | undefined {
  return s instanceof z.ZodType ? s : undefined;
}

function innerOf(schema: z.ZodType): z.ZodType | undefined {
  if (
    schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable || schema instanceof z.ZodReadonly ||
    schema instanceof z.ZodPrefault || schema instanceof z.ZodCatch || schema instanceof z.ZodLazy
  ) return classic(schema.unwrap());
  if (schema instanceof z.ZodPipe) return classic(schema.in);
  return undefined;
}

/** The schema under all wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let inner = innerOf(s); inner; inner = innerOf(s)) s = inner;
  return s;
}

export type SchemaShape =
  | { kind: 'object'; shape: Record<string, z.ZodType>; unknownKeys: UnknownKeys; rest?: z.ZodType }
  | { kind: 'record'; value: z.ZodType }
  | { kind: 'array'; element: z.ZodType }
  | { kind: 'enum'; values: string[] }
  | { kind: 'union'; options: z.ZodType[] }
  | { kind: 'scalar'; type: 'string' | 'boolean' | 'integer' | 'number' | 'any' | 'literal'; literal?: unknown };

const ANY: SchemaShape = { kind: 'scalar', type: 'any' };

/** A structural view of a schema, for walkers (completion, hover, unknown keys), through zod's public API. Shared: do not mutate. */
export function shapeOf(schema: z.ZodType): SchemaShape {
  let shape = shapeCache.get(schema);
  if (!shape) shapeCache.set(schema, (shape = computeShape(schema)));
  return shape;
}

function computeShape(schema: z.ZodType): SchemaShape {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    // A catchall schema (other than strict's `never`) types every key the shape does not name.
    const rest = classic(s.def.catchall);
    const typed = rest && !(rest instanceof z.ZodNever) && !(rest instanceof z.ZodUnknown) ? { rest } : {};
    const shape: Record<string, z.ZodType> = {};
    for (const [k, v] of Object.entries(s.shape)) {
      const c = classic(v);
      if (c) shape[k] = c;
    }
    return { kind: 'object', shape, unknownKeys: metaOf(s).unknownKeys ?? 'ignore', ...typed };
  }
  if (s instanceof z.ZodRecord) return classic(s.valueType) ? { kind: 'record', value: classic(s.valueType)! } : ANY;
  if (s instanceof z.ZodArray) return classic(s.element) ? { kind: 'array', element: classic(s.element)! } : ANY;
  if (s instanceof z.ZodEnum) return { kind: 'enum', values: s.options.map(String) };
  if (s instanceof z.ZodUnion) return { kind: 'union', options: s.options.map(classic).filter((o): o is z.ZodType => !!o) };
  if (s instanceof z.ZodLiteral) return { kind: 'scalar', type: 'literal', literal: [...s.values][0] };
  if (s instanceof z.ZodBoolean) return { kind: 'scalar', type: 'boolean' };
  if (s instanceof z.ZodNumber) return { kind: 'scalar', type: s.format === 'safeint' ? 'integer' : 'number' };
  if (s instanceof z.ZodString) return { kind: 'scalar', type: 'string' };
  return ANY;
}

/** Walk a schema along a key path (numbers step into arrays; record keys into values). */
export function schemaAt(root: z.ZodType, path: readonly (string | number)[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    s = childSchema(s, seg);
  }
  return s;
}

function childSchema(schema: z.ZodType, seg: string | number): z.ZodType | undefined {
  const sh = shapeOf(schema);
  switch (sh.kind) {
    case 'object':
      return typeof seg === 'string' ? sh.shape[seg] ?? sh.rest : undefined;
    case 'record':
      return sh.value;
    case 'array':
      return typeof seg === 'number' ? sh.element : undefined;
    case 'union': {
      for (const o of sh.options) {
        const c = childSchema(o, seg);
        if (c) return c;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
