import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../helpers/cli';

const DEMO_DIR = resolve(__dirname, '../../examples/demo');
const DEMO_TEST = join(DEMO_DIR, 'policy.policytest.toml');
const CANARY = { CI_GITHUB_TOKEN: 'canary-gh-5e1d', NPM_PUBLISH_TOKEN: 'canary-npm-77ab' };

/** A copy of the demo workspace (policy + test file) whose test file text can be changed. */
function demoCopy(edit: (text: string) => string = (t) => t): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-pt-'));
  mkdirSync(join(dir, '.codex'));
  copyFileSync(join(DEMO_DIR, '.codex/config.toml'), join(dir, '.codex/config.toml'));
  const file = join(dir, 'policy.policytest.toml');
  writeFileSync(file, edit(readFileSync(DEMO_TEST, 'utf8')));
  return { dir, file };
}

const lastLine = (s: string) => s.trimEnd().split('\n').pop();

describe('codex-netpolicy test', () => {
  test('the demo workspace passes its policy tests (no secrets needed)', () => {
    const r = runCli(['test'], {}, DEMO_DIR);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(lastLine(r.stdout), '11 passed, 0 failed');
    assert.match(r.stderr, /note: missing required environment variable CI_GITHUB_TOKEN/);
    assert.doesNotMatch(r.stderr, /error/);
  });

  test('set secret values are never printed, in text or JSON', () => {
    for (const args of [['test'], ['test', '--json'], ['effective'], ['effective', '--json']]) {
      const r = runCli(args, CANARY, DEMO_DIR);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes('canary'), `${args.join(' ')} printed a secret`);
    }
  });

  test('a failing case: file:line, expected, got, the rule; exit 1', () => {
    const { dir } = demoCopy((t) => t.replace('request = "DELETE https://internal-api.company.com/v1/users/7"', 'request = "GET https://internal-api.company.com/v1/users/7"'));
    const r = runCli(['test'], {}, dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), '10 passed, 1 failed');
    const caseLine = readFileSync(join(dir, 'policy.policytest.toml'), 'utf8').split('\n').findIndex((l) => l.includes('internal API writes')) ;
    // The [[case]] header is the line above the name.
    assert.equal(lines[0], `policy.policytest.toml:${caseLine}: FAIL "internal API writes are blocked": expected deny (reason mitm_hook_denied), got allow via hook internal_read_only — rule .codex/config.toml:40`);
    assert.ok(lines.includes('    decision: expected deny, got allow'));
  });

  test('--json reports every case with the real decision', () => {
    const r = runCli(['test', '--json', DEMO_TEST]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { passed: number; failed: number; files: { cases: { name: string; pass: boolean; got: { decision: string; hook: string | null; rule: { line: number } | null } }[] }[] };
    assert.equal(out.passed, 11);
    assert.equal(out.failed, 0);
    const c = out.files[0]!.cases.find((x) => x.name === 'org repo reads get the CI token')!;
    assert.deepEqual([c.pass, c.got.decision, c.got.hook, c.got.rule?.line], [true, 'allow', 'github_controlled_access', 33]);
  });

  test('an invalid test file exits 2 with located errors (schema, URL, unknown hook and profile)', () => {
    const { dir } = demoCopy((t) => t
      .replace('config = ".codex/config.toml"', 'config = ".codex/config.toml"\nprofile = "nope"')
      .replace('request = "GET https://registry.npmjs.org/left-pad"', 'request = "GET registry.npmjs.org/left-pad"')
      .replace('hook = "registry_publish"', 'hook = "registry_publsh"')
      .replace('status = 403', 'status = "403"'));
    const r = runCli(['test'], {}, dir);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /policy\.policytest\.toml:4:\d+: error policytest-unknown-profile: no permission profile `nope`/);
    assert.match(r.stderr, /policy\.policytest\.toml:\d+:\d+: error policytest-invalid: not an absolute URL: registry\.npmjs\.org\/left-pad/);
    assert.match(r.stderr, /invalid type: string "403", expected a number/);
  });

  test('an unknown hook name is a test-file error, not a failing case', () => {
    const { dir } = demoCopy((t) => t.replace('hook = "registry_publish"', 'hook = "registry_publsh"'));
    const r = runCli(['test', '--json'], {}, dir);
    assert.equal(r.code, 2);
    const out = JSON.parse(r.stdout) as { files: { diagnostics: { code: string; message: string; range: { start: { line: number } } }[] }[] };
    const d = out.files[0]!.diagnostics.find((x) => x.code === 'policytest-unknown-hook')!;
    assert.match(d.message, /no hook `registry_publsh` in profile `workspace`/);
    const line = readFileSync(join(dir, 'policy.policytest.toml'), 'utf8').split('\n').findIndex((l) => l.includes('registry_publsh'));
    assert.equal(d.range.start.line, line);
  });

  test('an invalid policy under test exits 2', () => {
    const { dir } = demoCopy();
    writeFileSync(join(dir, '.codex/config.toml'), readFileSync(join(DEMO_DIR, '.codex/config.toml'), 'utf8').replace('action = ["allow_reads"]', 'action = ["missing_action"]'));
    const r = runCli(['test'], {}, dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /undefined action `missing_action`/);
  });

  test('a missing secret_file is a note too', () => {
    const { dir } = demoCopy();
    writeFileSync(join(dir, '.codex/config.toml'), readFileSync(join(DEMO_DIR, '.codex/config.toml'), 'utf8').replace('secret_env_var = "NPM_PUBLISH_TOKEN"', 'secret_file = "/nonexistent/npm-token"'));
    const r = runCli(['test'], {}, dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /note: failed to read secret file \/nonexistent\/npm-token/);
  });

  test('no test files: exit 2', () => {
    const r = runCli(['test'], {}, mkdtempSync(join(tmpdir(), 'cnp-empty-')));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no \*\.policytest\.toml files found/);
  });
});
