// Finding and loading the policy files a command works on, and printing why a policy is invalid.
import { relative } from 'node:path';
import { findConfigPath, systemRequirementsPath } from '../paths';
import { loadPolicy, readPolicySource, type LoadPolicyResult, type LocatedDiagnostic } from '../engine/load';

export interface PolicyFileOptions {
  config?: string;
  requirements?: string;
  profile?: string;
  cwd?: string;
  env: Record<string, string | undefined>;
  secrets?: 'required' | 'optional';
}

export interface ResolvedFiles {
  config?: string;
  requirements?: string;
}

/** Explicit files, else the project's `.codex/config.toml` or `$CODEX_HOME/config.toml`, and the system requirements. */
export function policyFiles(opts: PolicyFileOptions): ResolvedFiles {
  const config = opts.config ?? findConfigPath([opts.cwd ?? process.cwd()], opts.env);
  const requirements = opts.requirements ?? systemRequirementsPath();
  return { ...(config ? { config } : {}), ...(requirements ? { requirements } : {}) };
}

export function loadPolicyFiles(opts: PolicyFileOptions): LoadPolicyResult & { files: ResolvedFiles } {
  const files = policyFiles(opts);
  const result = loadPolicy({
    ...(files.config ? { config: readPolicySource(files.config) } : {}),
    ...(files.requirements ? { requirements: readPolicySource(files.requirements) } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    env: opts.env,
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
  });
  return { ...result, files };
}

/** A path relative to the working folder when it lies inside it, else absolute. */
export function shownPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return !rel || rel.startsWith('..') ? file : rel;
}

/** `file:line:col: message` (1-based), the form editors and terminals link. */
export function formatDiagnostic(d: LocatedDiagnostic, cwd = process.cwd()): string {
  const rel = d.file.startsWith('/') ? relative(cwd, d.file) || d.file : d.file;
  const shown = rel.startsWith('..') ? d.file : rel;
  return `${shown}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`;
}
