// A cheap, conservative pre-check before zod's parse: "this value certainly parses" read from the
// same zod model. zod's full parse builds a copy of the whole document and runs its generic
// machinery per key (#8: ~20 ms of a cold 1,000-hook analysis, ~12 ms warm) to find, usually,
// nothing. When every value is of a kind judged here exactly, the parse is skipped; anything not
// judged here (checks, refinements, transforms, dates, missing required keys, …) answers false
// and zod parses as before, so the findings never change. (core/model/meta.ts's shapeOf is the
// editor's reading of the same schemas: it drops checks and optional-ness, which this must see.)
import { z } from 'zod';

const enum Kind { Any, String, Boolean, Number, Int, Values, Object, Record, Array, Union, Never }

/** One node per zod schema, all with the same fields (one object shape for the judge's reads). */
interface Judge {
  kind: Kind;
  /** `undefined` is accepted (an optional field). */
  optional: boolean;
  /** Enum and literal values. */
  values: ReadonlySet<unknown> | undefined;
  /** Object fields; record and array values are `element`. */
  fields: ReadonlyMap<string, Judge> | undefined;
  /** Required object fields. */
  required: readonly string[];
  /** Object keys outside `fields`: judged by this, or undefined for a strict table, or Any for a loose one. */
  rest: Judge | undefined;
  element: Judge | undefined;
  options: readonly Judge[];
}

const cache = new WeakMap<z.ZodType, Judge>();
const NEVER = node(Kind.Never);

function node(kind: Kind): Judge {
  return { kind, optional: false, values: undefined, fields: undefined, required: [], rest: undefined, element: undefined, options: [] };
}

const noChecks = (s: z.ZodType): boolean => !(s._zod.def as { checks?: unknown[] }).checks?.length;

function judgeOf(schema: z.ZodType): Judge {
  let j = cache.get(schema);
  if (!j) {
    j = node(Kind.Never);
    cache.set(schema, j); // a recursive schema (lazy) sees itself while being built
    Object.assign(j, build(schema));
  }
  return j;
}

function inner(s: unknown): Judge {
  return s instanceof z.ZodType ? judgeOf(s) : NEVER;
}

function build(s: z.ZodType): Judge {
  if (s instanceof z.ZodOptional) return { ...inner(s.unwrap()), optional: true };
  if (s instanceof z.ZodReadonly || s instanceof z.ZodLazy) return inner(s.unwrap());
  if (!noChecks(s)) return NEVER;
  if (s instanceof z.ZodNumberFormat) return s.format === 'safeint' ? node(Kind.Int) : NEVER;
  if (s instanceof z.ZodString) return node(Kind.String);
  if (s instanceof z.ZodBoolean) return node(Kind.Boolean);
  if (s instanceof z.ZodNumber) return node(Kind.Number);
  if (s instanceof z.ZodUnknown || s instanceof z.ZodAny) return node(Kind.Any);
  if (s instanceof z.ZodEnum || s instanceof z.ZodLiteral) return { ...node(Kind.Values), values: new Set(s._zod.values ?? []) };
  if (s instanceof z.ZodArray) return { ...node(Kind.Array), element: inner(s.element) };
  if (s instanceof z.ZodUnion) return { ...node(Kind.Union), options: s.options.map(inner) };
  if (s instanceof z.ZodRecord) {
    const key: unknown = s.keyType;
    return key instanceof z.ZodString && noChecks(key) ? { ...node(Kind.Record), element: inner(s.valueType) } : NEVER;
  }
  if (s instanceof z.ZodObject) {
    const fields = new Map<string, Judge>();
    const required: string[] = [];
    for (const [k, v] of Object.entries(s.shape)) {
      const f = inner(v);
      fields.set(k, f);
      if (!(v instanceof z.ZodOptional)) required.push(k);
    }
    const catchall: unknown = s.def.catchall;
    const rest = catchall === undefined || catchall instanceof z.ZodUnknown ? node(Kind.Any) : catchall instanceof z.ZodNever ? undefined : inner(catchall);
    return { ...node(Kind.Object), fields, required, rest };
  }
  return NEVER;
}

/** A table as TOML gives it (not a date or other class instance, which zod judges itself). */
function plainTable(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether `value` certainly parses with `schema`, apart from unknown keys of strict tables outside
 * a union (zod reports those as `unrecognized_keys`, which the schema walk reports instead).
 * False means "zod must look", never "invalid".
 */
export function certainlyParses(schema: z.ZodType, value: unknown): boolean {
  return conforms(judgeOf(schema), value, false);
}

function conforms(j: Judge, v: unknown, inUnion: boolean): boolean {
  if (v === undefined) return j.optional;
  switch (j.kind) {
    case Kind.Any: return true;
    case Kind.String: return typeof v === 'string';
    case Kind.Boolean: return typeof v === 'boolean';
    case Kind.Number: return typeof v === 'number' && Number.isFinite(v);
    case Kind.Int: return typeof v === 'number' && Number.isSafeInteger(v);
    case Kind.Values: return j.values!.has(v);
    case Kind.Array: {
      if (!Array.isArray(v)) return false;
      for (const x of v) if (!conforms(j.element!, x, inUnion)) return false;
      return true;
    }
    case Kind.Union: {
      for (const o of j.options) if (conforms(o, v, true)) return true;
      return false;
    }
    case Kind.Record: {
      if (!plainTable(v)) return false;
      for (const k in v) if (!conforms(j.element!, v[k], inUnion)) return false;
      return true;
    }
    case Kind.Object: return conformsObject(j, v, inUnion);
    default: return false;
  }
}

function conformsObject(j: Judge, v: unknown, inUnion: boolean): boolean {
  if (!plainTable(v)) return false;
  for (const k of j.required) if (!Object.hasOwn(v, k)) return false;
  for (const k in v) {
    const f = j.fields!.get(k) ?? j.rest;
    // An unknown key of a strict table fails that table only where zod's verdict matters (a union's option).
    if (!f) {
      if (inUnion) return false;
      continue;
    }
    if (!conforms(f, v[k], inUnion)) return false;
  }
  return true;
}
