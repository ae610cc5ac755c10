// `codex-netpolicy check`, spawned as users run it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const FIX = 'test/fixtures/lsp';
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, 'check', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI_GITHUB_TOKEN: 't', NPM_PUBLISH_TOKEN: 't' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('check CLI', () => {
  it('a valid file: no output, exit 0', () => {
    const r = run('examples/demo/.codex/config.toml');
    assert.equal(r.out, '');
    assert.equal(r.code, 0);
  });

  it('text form: file:line:col (1-based) severity code: message; exit 1 on errors', () => {
    const r = run(`${FIX}/article.config.toml`);
    assert.equal(r.code, 1);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^test\/fixtures\/lsp\/article\.config\.toml:15:1: error mitm-enabled-removed: `mitm\.enabled` was removed/);
    assert.match(lines[1]!, /^test\/fixtures\/lsp\/article\.config\.toml:28:2: error mitm-action-no-operation: /);
  });

  it('warnings only: exit 0', () => {
    const r = run(`${FIX}/seed002.requirements.toml`);
    assert.equal(r.code, 0);
    assert.match(r.out, /seed002\.requirements\.toml:4:1: warning requirements-removed-key: `danger_full_access_denylist_only`/);
  });

  it('--json: one array with 0-based ranges; cross-file rules between the files given', () => {
    const r = run('--json', `${FIX}/user.config.toml`, `${FIX}/seed001.requirements.toml`);
    assert.equal(r.code, 0);
    const arr = JSON.parse(r.out) as { file: string; range: { start: { line: number; character: number } }; severity: string; code: string; message: string }[];
    assert.deepEqual(arr.map((d) => [d.file, d.range.start.line, d.severity, d.code]), [
      [`${FIX}/user.config.toml`, 1, 'warning', 'requirements-forbidden-value'],
      [`${FIX}/user.config.toml`, 2, 'warning', 'requirements-forbidden-value'],
      [`${FIX}/user.config.toml`, 3, 'warning', 'requirements-forbidden-value'],
      [`${FIX}/user.config.toml`, 13, 'warning', 'requirements-ceiling'],
      [`${FIX}/user.config.toml`, 16, 'warning', 'requirements-inert-allow'],
    ]);
    assert.deepEqual(Object.keys(arr[0]!).sort(), ['code', 'file', 'message', 'range', 'severity']);
    assert.equal(arr[0]!.range.start.character, 18);
  });

  it('--requirements applies a requirements file without reporting on it', () => {
    const r = run('--json', '--requirements', `${FIX}/seed004.requirements.toml`, `${FIX}/user.config.toml`);
    assert.equal(r.code, 1);
    const arr = JSON.parse(r.out) as { code: string; severity: string; range: { start: { line: number } } }[];
    assert.deepEqual(arr.map((d) => [d.range.start.line, d.severity, d.code]), [[6, 'error', 'requirements-feature-conflict']]);
  });

  it('seed requirements examples are clean or accurately warned', () => {
    assert.deepEqual([run(`${FIX}/seed001.requirements.toml`).out, run(`${FIX}/seed004.requirements.toml`).out], ['', '']);
  });

  it('--strict turns ignored keys into errors; inline secrets are never printed', () => {
    const plain = run(`${FIX}/seed003.config.toml`);
    assert.equal(plain.code, 0);
    const strict = run('--strict', `${FIX}/seed003.config.toml`);
    assert.equal(strict.code, 1);
    assert.match(strict.out, /:3:1: error unknown-key: .*approval-mode/);
    for (const out of [plain.out, strict.out, run('--json', `${FIX}/seed003.config.toml`).out]) assert.doesNotMatch(out, /CANARY/);
  });

  it('usage errors and missing files', () => {
    const none = run();
    assert.equal(none.code, 64);
    assert.match(none.err, /no files given/);
    const missing = run('/nonexistent/cnp/config.toml');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such file/);
  });
});
