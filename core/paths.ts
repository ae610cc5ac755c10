// Where Codex keeps its policy files. Node built-ins only, so the extension can use these rules at
// activation without loading the policy engine.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

/** System-wide Codex folder (requirements.toml, config.toml). */
export const SYSTEM_CODEX_DIR = '/etc/codex';
export const SYSTEM_REQUIREMENTS = join(SYSTEM_CODEX_DIR, 'requirements.toml');

/** `$CODEX_HOME`, else `~/.codex`. */
export function codexHome(env: Env): string {
  return env.CODEX_HOME || join(homedir(), '.codex');
}

/** The first folder's `.codex/config.toml` that exists, else the user's `$CODEX_HOME/config.toml` if it exists. */
export function findConfigPath(folders: readonly string[], env: Env): string | undefined {
  for (const folder of folders) {
    const project = join(folder, '.codex', 'config.toml');
    if (existsSync(project)) return project;
  }
  const user = join(codexHome(env), 'config.toml');
  return existsSync(user) ? user : undefined;
}

/** The system requirements.toml, when there is one. */
export function systemRequirementsPath(): string | undefined {
  return existsSync(SYSTEM_REQUIREMENTS) ? SYSTEM_REQUIREMENTS : undefined;
}
