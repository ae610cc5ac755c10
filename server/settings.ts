// Server settings: initializationOptions from the client, then `workspace/configuration` section
// `codexNetworkPolicy` (pulled again on didChangeConfiguration). Unknown or mistyped values fall
// back to defaults so a bad settings.json never stops diagnostics.
import { table } from '../core/toml/values';

/** The settings every feature module reads (server/context.ts). */
export interface ServerSettings {
  /** Unknown keys Codex ignores become errors (Codex's strict-config mode). */
  strict: boolean;
  /** Extra globs of files served besides `.codex/`, `~/.codex/`, `/etc/codex/`. */
  extraGlobs: string[];
  /** A requirements.toml to apply to config files (else the workspace's or the system one). */
  requirementsPath?: string;
}

/** How our TOML syntax errors coexist with Even Better TOML, which reports the same ones. */
type SyntaxErrorMode = 'auto' | 'always' | 'never';

export interface FullSettings extends ServerSettings {
  syntaxErrors: SyntaxErrorMode;
}

/** What the client may send in `initializationOptions`. */
export interface InitOptions {
  settings?: unknown;
  /** True when the `tamasfe.even-better-toml` extension is active in the editor. */
  evenBetterTomlActive?: boolean;
}

export const DEFAULT_SETTINGS: FullSettings = { strict: false, extraGlobs: [], syntaxErrors: 'auto' };


/** Reads `codexNetworkPolicy.*` whether given nested (`{files:{extraGlobs}}`) or flat (`{"files.extraGlobs": …}`). */
export function parseSettings(raw: unknown, base: FullSettings = DEFAULT_SETTINGS): FullSettings {
  const o = table(raw);
  if (!o) return base;
  const pick = (path: string[]): unknown => {
    const flat = o[path.join('.')];
    if (flat !== undefined) return flat;
    let v: unknown = o;
    for (const seg of path) v = table(v)?.[seg];
    return v;
  };
  const out: FullSettings = { ...base };
  const strict = pick(['strict']) ?? pick(['diagnostics', 'strict']);
  if (typeof strict === 'boolean') out.strict = strict;
  const globs = pick(['files', 'extraGlobs']) ?? pick(['extraGlobs']);
  if (Array.isArray(globs)) out.extraGlobs = globs.filter((g): g is string => typeof g === 'string' && g.trim() !== '');
  const req = pick(['requirementsPath']) ?? pick(['requirements', 'path']);
  if (typeof req === 'string' && req.trim() !== '') out.requirementsPath = req.trim();
  else if (req === null || req === '') delete out.requirementsPath;
  const syn = pick(['diagnostics', 'syntaxErrors']);
  if (syn === 'auto' || syn === 'always' || syn === 'never') out.syntaxErrors = syn;
  return out;
}

/** Whether to publish our `toml-syntax` diagnostics. */
export function showSyntaxErrors(settings: FullSettings, evenBetterTomlActive: boolean): boolean {
  // Decision: "auto" leaves TOML syntax errors to Even Better TOML when it is active (it reports
  // the same parse errors); our other rules still run on what parses.
  if (settings.syntaxErrors === 'always') return true;
  if (settings.syntaxErrors === 'never') return false;
  return !evenBetterTomlActive;
}
