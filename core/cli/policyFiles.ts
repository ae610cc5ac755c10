// Finding and loading the policy files a command works on, and printing why a policy is invalid.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { loadPolicy, readPolicySource, type LoadPolicyResult, type LocatedDiagnostic } from '../policy/load';

export interface PolicyFileOptions {
  config?: string;
  requirements?: string;
  profile?: string;
  cwd?: string;
  env: Record<string, string | undefined>;
}

export function codexHome(env: Record<string, string | undefined>): string {
  return env.CODEX_HOME || join(homedir(), '.codex');
}

/** The project's `.codex/config.toml`, else the user's `$CODEX_HOME/config.toml`. */
export function defaultConfigPath(cwd: string, env: Record<string, string | undefined>): string | undefined {
  const project = join(cwd, '.codex', 'config.toml');
  if (existsSync(project)) return project;
  const user = join(codexHome(env), 'config.toml');
  return existsSync(user) ? user : undefined;
}

export const SYSTEM_REQUIREMENTS = '/etc/codex/requirements.toml';

export function defaultRequirementsPath(): string | undefined {
  return existsSync(SYSTEM_REQUIREMENTS) ? SYSTEM_REQUIREMENTS : undefined;
}

export interface ResolvedFiles {
  config?: string;
  requirements?: string;
}

export function policyFiles(opts: PolicyFileOptions): ResolvedFiles {
  const cwd = opts.cwd ?? process.cwd();
  const config = opts.config ?? defaultConfigPath(cwd, opts.env);
  const requirements = opts.requirements ?? defaultRequirementsPath();
  return { ...(config ? { config } : {}), ...(requirements ? { requirements } : {}) };
}

export function loadPolicyFiles(opts: PolicyFileOptions): LoadPolicyResult & { files: ResolvedFiles } {
  const files = policyFiles(opts);
  const result = loadPolicy({
    ...(files.config ? { config: readPolicySource(files.config) } : {}),
    ...(files.requirements ? { requirements: readPolicySource(files.requirements) } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    env: opts.env,
  });
  return { ...result, files };
}

/** `file:line:col: message` (1-based), the form editors and terminals link. */
export function formatDiagnostic(d: LocatedDiagnostic, cwd = process.cwd()): string {
  const rel = d.file.startsWith('/') ? relative(cwd, d.file) || d.file : d.file;
  const shown = rel.startsWith('..') ? d.file : rel;
  return `${shown}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`;
}
