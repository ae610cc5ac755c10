// What the zod model says about a key: its schema, docs and type label. Completion and hover
// both read key names, enum values, defaults and history from here, never from a list of their own.
import type { z } from 'zod';
import { configSchema } from '../../core/model/config';
import { metaOf, schemaAt, shapeOf, unwrap } from '../../core/model/meta';
import { requirementsSchema } from '../../core/model/requirements';
import { policyTestSchema } from '../../core/model/policyTest';
import type { ServedKind } from '../files';
import type { PathSegment } from '../../core/toml/positions';

function rootSchema(kind: ServedKind): z.ZodType {
  return kind === 'requirements' ? requirementsSchema : kind === 'policytest' ? policyTestSchema : configSchema;
}

export function schemaFor(kind: ServedKind, path: readonly PathSegment[]): z.ZodType | undefined {
  return schemaAt(rootSchema(kind), path);
}

/** Element schema of an array schema (or the schema itself when it is not an array). */
export function elementOf(schema: z.ZodType): z.ZodType {
  const sh = shapeOf(schema);
  return sh.kind === 'array' ? sh.element : schema;
}

/** Enum values a value at this schema may take (through unions), or []. */
export function enumValues(schema: z.ZodType): string[] {
  const sh = shapeOf(schema);
  if (sh.kind === 'enum') return sh.values;
  if (sh.kind === 'scalar' && sh.type === 'literal' && typeof sh.literal === 'string') return [sh.literal];
  if (sh.kind === 'union') return sh.options.flatMap(enumValues);
  return [];
}

export function isBooleanSchema(schema: z.ZodType): boolean {
  const sh = shapeOf(schema);
  if (sh.kind === 'scalar') return sh.type === 'boolean';
  if (sh.kind === 'union') return sh.options.some(isBooleanSchema);
  return false;
}

/** Short type text for completion `detail` and hover headers. */
export function typeLabel(schema: z.ZodType): string {
  const sh = shapeOf(schema);
  switch (sh.kind) {
    case 'object': return 'table';
    case 'record': {
      const label = metaOf(schema).keyLabel ?? 'key';
      return `table: ${label} → ${typeLabel(sh.value)}`;
    }
    case 'array': return `array of ${typeLabel(sh.element)}`;
    case 'enum': return sh.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'union': return sh.options.map(typeLabel).join(' | ');
    case 'scalar': return sh.type === 'literal' ? JSON.stringify(sh.literal) : sh.type === 'any' ? 'any' : sh.type;
  }
}

/** Markdown documentation of a key: description, type, default, and removed/deprecated notes. */
export function keyDoc(schema: z.ZodType, name?: string): string {
  const meta = metaOf(schema);
  const parts: string[] = [];
  if (name !== undefined) parts.push(`**${name}**: \`${typeLabel(schema)}\``);
  if (meta.removed) parts.push(`**Removed.** ${meta.removed}`);
  if (meta.deprecated) parts.push(`**Deprecated.** ${meta.deprecated}`);
  if (meta.description) parts.push(meta.description);
  if (meta.defaultText) parts.push(`Default: \`${meta.defaultText}\``);
  return parts.join('\n\n');
}

/** Documentation of one enum value: the enum's own description (which explains its values). */
export function enumDoc(schema: z.ZodType): string | undefined {
  const sh = shapeOf(schema);
  if (sh.kind === 'union') {
    for (const o of sh.options) {
      const d = enumDoc(o);
      if (d) return d;
    }
  }
  // The enum's own description explains its values; the field's (outer) one explains the key.
  return metaOf(unwrap(schema)).description ?? metaOf(schema).description;
}


/** A key as written in TOML: bare when possible, else a basic string. */
export function keyText(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
}
