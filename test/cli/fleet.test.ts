// `codex-netpolicy fleet`, spawned as a platform team's CI runs it, on fixture configs whose
// expected changes are written in their comments.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const FIX = 'test/fixtures/fleet';
const REQ = `${FIX}/requirements.toml`;
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, 'fleet', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

interface Change { kind: string; subject: string; before?: string; after?: string; message: string; configLine?: number; requirementsLine?: number }
interface Report {
  requirements: string; sha256: string; requirementsErrors: string[];
  summary: { configs: number; unchanged: number; changed: number; failing: number; changes: Record<string, number> };
  configs: { file: string; profile: { before: string | null; after: string | null }; changes: Change[]; managedRules: { allow: number; deny: number } }[];
}

describe('fleet CLI', () => {
  const r = run('--requirements', REQ, '--json', `${FIX}/devs`);
  const report = JSON.parse(r.out) as Report;
  const of = (who: string) => report.configs.find((c) => c.file.endsWith(`/${who}/config.toml`))!;

  it('a directory is searched for configs; one report per config; exit 1 because one fails to load', () => {
    assert.equal(r.code, 1, r.err);
    assert.deepEqual(report.configs.map((c) => c.file.split('/').at(-2)), ['alice', 'bob', 'carol', 'dave']);
    assert.match(report.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(report.summary, {
      configs: 4, unchanged: 1, changed: 3, failing: 1,
      changes: { 'error': 1, 'profile': 1, 'forbidden-profile': 2, 'inert-allow': 2, 'dropped-deny': 0, 'overwritten': 1, 'forbidden-value': 0 },
    });
  });

  it('inert allows: a managed deny wins (with both lines); a user allow the managed layer also allows is no change', () => {
    const inert = of('alice').changes.filter((c) => c.kind === 'inert-allow');
    assert.deepEqual(inert.map((c) => [c.subject, c.configLine, c.requirementsLine]), [['paste.pastebin.com', 9, 16], ['evil.example', 10, 17]]);
    assert.match(inert[0]!.message, /managed deny `\*\.pastebin\.com` wins/);
    assert.ok(!of('alice').changes.some((c) => c.subject === 'github.com' || c.subject === 'npmjs.org'));
    assert.deepEqual(of('alice').managedRules, { allow: 1, deny: 2 });
  });

  it('overwritten values and forbidden profiles point at both files', () => {
    const over = of('alice').changes.find((c) => c.kind === 'overwritten')!;
    assert.equal(over.subject, 'allow_local_binding');
    assert.deepEqual([over.configLine, over.requirementsLine], [6, 12]);
    const forbidden = of('alice').changes.find((c) => c.kind === 'forbidden-profile')!;
    assert.deepEqual([forbidden.subject, forbidden.configLine, forbidden.requirementsLine], ['yolo', 14, 4]);
  });

  it('a forbidden default profile falls back to the managed default', () => {
    const bob = of('bob');
    assert.deepEqual(bob.profile, { before: 'yolo', after: 'managed' });
    assert.deepEqual(bob.changes.map((c) => c.kind), ['profile', 'forbidden-profile']);
  });

  it('an unchanged config has no changes; a broken one is an error with its line', () => {
    assert.deepEqual(of('carol').changes, []);
    const dave = of('dave').changes;
    assert.equal(dave.length, 1);
    assert.equal(dave[0]!.kind, 'error');
    assert.equal(dave[0]!.configLine, 3);
  });

  it('text form names each changed config and its changes with lines', () => {
    const t = run('--requirements', REQ, `${FIX}/devs/alice/config.toml`, `${FIX}/devs/carol/config.toml`);
    assert.equal(t.code, 0, 'no config fails to load');
    assert.match(t.out, /^2 configs: 1 unchanged, 1 changed by the managed layer, 0 fail to load$/m);
    assert.match(t.out, /^ {2}inert allow {8}user allow `evil\.example` has no effect: the managed deny `evil\.example` wins \(config:10, requirements:17\)$/m);
    assert.ok(!t.out.includes('carol'), 'unchanged configs are not listed');
  });

  it('Markdown: verdict, counts and a table of changed configs for a PR comment', () => {
    const m = run('--requirements', REQ, '--markdown', `${FIX}/devs`);
    assert.equal(m.code, 1);
    assert.match(m.out, /^### Managed policy rollout: `test\/fixtures\/fleet\/requirements\.toml`$/m);
    assert.match(m.out, /^:x: 1 of 4 configs fail to load with this file$/m);
    assert.match(m.out, /^\| inert allow \| 2 \|$/m);
    assert.match(m.out, /^\| `test\/fixtures\/fleet\/devs\/bob\/config\.toml` \| `yolo` → `managed` \| profile fallback: /m);
    assert.match(m.out, /<details><summary>3 changed configs<\/summary>/);
  });

  it('an invalid requirements file: exit 2 with its errors located, no config checked', () => {
    const b = run('--requirements', 'test/fixtures/fleet-bad-requirements.toml', '--json', `${FIX}/devs`);
    assert.equal(b.code, 2);
    const rep = JSON.parse(b.out) as Report;
    assert.equal(rep.configs.length, 0);
    assert.match(rep.requirementsErrors[0]!, /fleet-bad-requirements\.toml:2: invalid type: string "no", expected a boolean/);
  });

  it('usage errors: no --requirements, no configs, a missing file', () => {
    assert.equal(run(`${FIX}/devs`).code, 64);
    assert.equal(run('--requirements', REQ).code, 64);
    const missing = run('--requirements', REQ, `${FIX}/nope.toml`);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.toml: no such file/);
  });
});
