import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildProxyEnv, detectShell, parseShell, renderEnv, type ShellKind } from '../../core/env/index';
import { tempDir, which } from './helpers';

// Values that break naive quoting in at least one of the four shells.
const NASTY: Record<string, string> = {
  Q_SINGLE: "it's a 'quoted' value'",
  Q_DOUBLE: 'say "hi" ""',
  Q_DOLLAR: '$HOME ${PATH} $(id) $((1+1)) $1 $$',
  Q_BACKTICK: '`id` and `uname -a`',
  Q_BACKSLASH: 'C:\\Users\\x\\ and \\\' and \\\\ end\\',
  Q_NEWLINES: 'line1\nline2\n\n',
  Q_SPACES: '  lead  and trail  ',
  Q_GLOB: '* ? [a-z] ~ ~root {a,b} **/x',
  Q_META: '; & | < > ( ) # ! !! % ^ = , :',
  Q_FISH: "(echo x) \\' \\\\ $status {$x} \\n",
  Q_PWSH: "‘smart’ ‚low‛ '' $env:PATH @(1) `n $(Get-Date) ${x}",
  Q_UNICODE: 'héllo wörld ✓ 🎉 \u00a0nbsp',
  Q_CR_TAB: 'a\r\tb\r',
  Q_DASH: '-n -e --',
  Q_EMPTY: '',
  HTTP_PROXY: 'http://run:p%40ss@127.0.0.1:1234',
};

const DUMP = `const keys = JSON.parse(process.argv[2]);
const out = {};
for (const k of keys) if (k in process.env) out[k] = process.env[k];
process.stdout.write(JSON.stringify(out));`;

interface ShellRun { bin: string; args: (script: string) => string[]; ext: string }

// Each applies the script the way our printed usage line says, then a real child (node) reports
// what it inherited: proves the variables are exported, not merely shell-local.
const RUNNERS: Record<ShellKind | 'sh', (bin: string) => ShellRun> = {
  bash: (bin) => ({ bin, ext: 'sh', args: () => ['--norc', '--noprofile', '-c', 'eval "$(cat "$T_SCRIPT")"; "$T_NODE" "$T_DUMP" "$T_KEYS"'] }),
  zsh: (bin) => ({ bin, ext: 'zsh', args: () => ['-f', '-c', 'eval "$(cat "$T_SCRIPT")"; "$T_NODE" "$T_DUMP" "$T_KEYS"'] }),
  sh: (bin) => ({ bin, ext: 'sh', args: () => ['-c', '. "$T_SCRIPT"; "$T_NODE" "$T_DUMP" "$T_KEYS"'] }),
  fish: (bin) => ({ bin, ext: 'fish', args: () => ['--no-config', '-c', 'cat $T_SCRIPT | source; $T_NODE $T_DUMP $T_KEYS'] }),
  powershell: (bin) => ({
    bin, ext: 'ps1',
    args: () => ['-NoProfile', '-NonInteractive', '-Command', 'Get-Content -Raw $env:T_SCRIPT | Invoke-Expression; & $env:T_NODE $env:T_DUMP $env:T_KEYS'],
  }),
};

function roundTrip(t: { after: (fn: () => void) => void }, kind: ShellKind | 'sh', bin: string, vars: Record<string, string>): Record<string, string> {
  const dir = tempDir(t);
  const run = RUNNERS[kind](bin);
  const script = join(dir, `env.${run.ext}`);
  writeFileSync(script, renderEnv(vars, kind === 'sh' ? 'bash' : kind));
  const dump = join(dir, 'dump.js');
  writeFileSync(dump, DUMP);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, T_SCRIPT: script, T_NODE: process.execPath, T_DUMP: dump, T_KEYS: JSON.stringify(Object.keys(vars)) };
  const r = spawnSync(run.bin, run.args(script), { env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `${kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

const SHELL_BINS: [ShellKind | 'sh', string][] = [['bash', 'bash'], ['zsh', 'zsh'], ['sh', 'sh'], ['fish', 'fish'], ['powershell', 'pwsh']];

describe('renderEnv round-trips through real shells', () => {
  for (const [kind, cmd] of SHELL_BINS) {
    const bin = which(cmd);
    it(`${kind}: nasty values arrive byte-for-byte in a child process`, { skip: bin ? false : `${cmd} is not installed` }, (t) => {
      const got = roundTrip(t, kind, bin!, NASTY);
      const expected = { ...NASTY };
      // PowerShell deletes a variable assigned '' (documented caveat; for NO_PROXY that is equivalent).
      if (kind === 'powershell') delete expected.Q_EMPTY;
      assert.deepEqual(got, expected);
    });
  }

  it('bash: the brief\'s literal form `eval "$(cat f)"; printf %s "$VAR"` keeps trailing newlines', (t) => {
    if (!which('bash')) return t.skip('bash is not installed');
    const dir = tempDir(t);
    const f = join(dir, 'env.sh');
    writeFileSync(f, renderEnv(NASTY, 'bash'));
    for (const name of ['Q_NEWLINES', 'Q_SINGLE', 'Q_BACKSLASH', 'Q_EMPTY']) {
      const r = spawnSync('bash', ['-c', `eval "$(cat "$1")"; printf %s "$${name}"`, 'bash', f], { encoding: 'utf8' });
      assert.equal(r.stdout, NASTY[name], name);
    }
  });

  it('bash: a full proxy environment is exported as built', (t) => {
    if (!which('bash')) return t.skip('bash is not installed');
    const { set } = buildProxyEnv({
      proxyUrl: "http://r'un:p%24w@127.0.0.1:4000", socksUrl: 'socks5h://127.0.0.1:4001', allowLocalBinding: true,
      caBundlePath: "/tmp/it's here/ca-bundle.pem", caCertPath: '/tmp/ca cert.pem', currentEnv: {},
    });
    assert.deepEqual(roundTrip(t, 'bash', 'bash', set), set);
  });
});

describe('renderEnv output', () => {
  it('is sorted, starts with a comment, and quotes per shell', () => {
    const vars = { b_low: 'x', B: "it's", A: '' };
    assert.equal(renderEnv(vars, 'bash'), [
      '# codex-netpolicy proxy environment (3 variables); apply with: eval "$(codex-netpolicy env --shell bash)"',
      "export A=''", "export B='it'\\''s'", "export b_low='x'", '',
    ].join('\n'));
    const fish = renderEnv({ X: "a'b\\c" }, 'fish').split('\n');
    assert.match(fish[0]!, /^# .*\| source$/);
    assert.equal(fish[1], "set -gx X 'a\\'b\\\\c'");
    assert.equal(renderEnv({ X: "a'b‘c" }, 'powershell').split('\n')[1], "$env:X = 'a''b‘‘c'");
    assert.equal(renderEnv({}, 'zsh').split('\n').length, 2);
  });

  it('refuses names and values no environment can hold', () => {
    assert.throws(() => renderEnv({ 'A;rm -rf /': 'x' }, 'bash'), /Invalid environment variable name/);
    assert.throws(() => renderEnv({ '1A': 'x' }, 'fish'), /Invalid/);
    assert.throws(() => renderEnv({ A: 'x\0y' }, 'powershell'), /NUL/);
  });
});

describe('detectShell / parseShell', () => {
  it('reads $SHELL, then falls back by platform', () => {
    assert.equal(detectShell({ SHELL: '/usr/bin/zsh' }, 'linux'), 'zsh');
    assert.equal(detectShell({ SHELL: '/opt/homebrew/bin/fish' }, 'darwin'), 'fish');
    assert.equal(detectShell({ SHELL: '/usr/local/bin/pwsh' }, 'linux'), 'powershell');
    assert.equal(detectShell({ SHELL: '/bin/dash' }, 'linux'), 'bash');
    assert.equal(detectShell({ SHELL: 'C:\\Program Files\\Git\\usr\\bin\\bash.exe' }, 'win32'), 'bash');
    assert.equal(detectShell({}, 'win32'), 'powershell');
    assert.equal(detectShell({}, 'linux'), 'bash');
    assert.equal(detectShell({ SHELL: '/usr/bin/tcsh' }, 'darwin'), 'bash');
  });

  it('parses --shell values', () => {
    assert.equal(parseShell('FISH'), 'fish');
    assert.equal(parseShell('pwsh'), 'powershell');
    assert.throws(() => parseShell('cmd'), /expected one of: bash, zsh, fish, powershell/);
  });
});
