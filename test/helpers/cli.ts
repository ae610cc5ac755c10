// Runs the bundled CLI as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve(__dirname, '../../dist/cli.js');

export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, ...(cwd ? { cwd } : {}), timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
