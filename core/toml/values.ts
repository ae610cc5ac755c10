// Readers for raw TOML values (as smol-toml parses them): the one place that narrows `unknown`
// to a table, a string list or a boolean. Rules and lowering read documents through these.

/** A TOML table (an object that is not an array), else undefined. */
export function table(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The string entries of an array (others skipped: the schema reports them). */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}
