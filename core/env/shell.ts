// Renders variables as a script for `eval` / `source` / `Invoke-Expression`, and guesses the shell.
// The output may hold a per-run proxy credential: print it for the user, never log it.
import { basename } from 'node:path';

export type ShellKind = 'bash' | 'zsh' | 'fish' | 'powershell';
const SHELLS: readonly ShellKind[] = ['bash', 'zsh', 'fish', 'powershell'];

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const USAGE: Record<ShellKind, string> = {
  bash: 'eval "$(codex-netpolicy env --shell bash)"',
  zsh: 'eval "$(codex-netpolicy env --shell zsh)"',
  fish: 'codex-netpolicy env --shell fish | source',
  powershell: 'codex-netpolicy env --shell powershell | Out-String | Invoke-Expression',
};

/**
 * One assignment per line, sorted by name (UTF-16 order, so output is stable), after a comment
 * line. Names must be identifiers and values must not contain NUL (neither fits an environment);
 * both throw rather than emit something a shell would misread.
 */
export function renderEnv(vars: Record<string, string>, shell: ShellKind): string {
  const names = Object.keys(vars).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [`# codex-netpolicy proxy environment (${names.length} variables); apply with: ${USAGE[shell]}`];
  for (const name of names) {
    if (!NAME.test(name)) throw new Error(`Invalid environment variable name: ${JSON.stringify(name)}`);
    const value = vars[name]!;
    if (value.includes('\0')) throw new Error(`Value of ${name} contains a NUL character`);
    lines.push(assignment(name, value, shell));
  }
  return lines.join('\n') + '\n';
}

function assignment(name: string, value: string, shell: ShellKind): string {
  switch (shell) {
    case 'bash':
    case 'zsh':
      // Inside '…' nothing is special (no $, `, \ or ! expansion), newlines included; a quote
      // is closed, escaped and reopened.
      return `export ${name}='${value.replace(/'/g, `'\\''`)}'`;
    case 'fish':
      // fish single quotes recognise exactly two escapes: \' and \\. Newlines stay literal.
      return `set -gx ${name} '${value.replace(/[\\']/g, '\\$&')}'`;
    case 'powershell':
      // PowerShell treats the typographic quotes ‘ ’ ‚ ‛ as single quotes too; doubling escapes
      // each. Caveat: assigning '' removes the variable, which for NO_PROXY means the same thing.
      return `$env:${name} = '${value.replace(/['\u2018\u2019\u201A\u201B]/g, '$&$&')}'`;
  }
}

/**
 * The user's shell from `$SHELL` (basename; sh/dash/ksh/ash get POSIX `export` syntax, as bash),
 * else PowerShell on Windows, else bash. `$SHELL` names the login shell, so someone running
 * another shell interactively should pass `--shell`.
 */
export function detectShell(env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform): ShellKind {
  const sh = env.SHELL?.trim();
  if (sh) {
    const name = basename(sh.replace(/\\/g, '/')).toLowerCase().replace(/\.exe$/, '');
    if (name === 'zsh' || name === 'fish') return name;
    if (name === 'pwsh' || name === 'powershell') return 'powershell';
    if (/^(ba|da|k|mk|a)?sh$/.test(name)) return 'bash';
  }
  return platform === 'win32' ? 'powershell' : 'bash';
}

/** Parses a `--shell` argument; throws with the accepted names on anything else. */
export function parseShell(value: string): ShellKind {
  const v = value.trim().toLowerCase();
  if (v === 'pwsh') return 'powershell';
  if ((SHELLS as readonly string[]).includes(v)) return v as ShellKind;
  throw new Error(`Unknown shell "${value}"; expected one of: ${SHELLS.join(', ')}`);
}
