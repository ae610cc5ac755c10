import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { suggestPolicy, type SuggestResult } from '../../core/suggest';
import { applyEdits } from '../../core/edit/policyEdits';
import { loadPolicy } from '../../core/engine/load';
import { decide } from '../../core/policy/decide';
import { runCli, tempFile } from '../helpers/cli';

const CONFIG = `# Team policy: keep this comment
default_permissions = "work"

[permissions.work.network]
enabled = true
mode = "full"

[permissions.work.network.domains]
"github.com" = "allow"   # code hosting
"api.github.com" = "allow"
"evil.example.org" = "deny"

[permissions.work.network.mitm.hooks.gh_read]
host = "api.github.com"
methods = ["GET"]
path_prefixes = ["/repos/"]
action = ["inject_token"]

[permissions.work.network.mitm.actions.inject_token]
inject_request_headers = [{ name = "authorization", secret_env_var = "GH_SECRET", prefix = "Bearer " }]
`;

const REQUIREMENTS = `[experimental_network]
enabled = true

[experimental_network.domains]
"managed-bad.example.net" = "deny"
`;

const ev = (o: Record<string, unknown>): string => JSON.stringify({ event: 'decision', id: 1, time: '2026-01-01T00:00:00.000Z', status: 403, port: 443, method: null, path: null, ...o });
const connectDeny = (host: string, reason = 'not_allowed'): string => ev({ decision: 'deny', reason, protocol: 'https_connect', host });
const hookDeny = (method: string, path: string, host = 'api.github.com'): string => ev({ decision: 'deny', reason: 'mitm_hook_denied', protocol: 'https', host, method, path });

function run(events: string[], config = CONFIG, requirements?: string): SuggestResult {
  const r = suggestPolicy({
    config: { file: '/w/.codex/config.toml', text: config },
    ...(requirements ? { requirements: { file: '/etc/codex/requirements.toml', text: requirements } } : {}),
    eventsText: events.join('\n') + '\n',
  });
  if ('error' in r) assert.fail(r.error);
  return r;
}

/** The suggested text, loaded as a policy: every listed request must now be allowed. */
function allowedAfter(r: SuggestResult, config: string, requests: { host: string; method?: string; path?: string }[], requirements?: string): void {
  const after = applyEdits(config, r.entries.flatMap((e) => e.edits));
  const loaded = loadPolicy({ config: { file: '/w/.codex/config.toml', text: after }, ...(requirements ? { requirements: { file: '/r.toml', text: requirements } } : {}), env: { GH_SECRET: 'x' } });
  assert.ok(loaded.policy, JSON.stringify(loaded.diagnostics));
  for (const q of requests) {
    const c = decide(loaded.policy, { kind: 'connect', authority: `${q.host}:443`, resolution: { assumedPublic: true } });
    assert.equal(c.decision, 'allow', `${q.host} CONNECT after the edit`);
    if (q.method) {
      const i = decide(loaded.policy, { kind: 'inner', tunnelHost: q.host, port: 443, method: q.method, path: q.path ?? '/', query: '', resolution: { assumedPublic: true } });
      assert.equal(i.decision, 'allow', `${q.method} ${q.host}${q.path} after the edit`);
    }
  }
}

describe('suggest: planning', () => {
  test('one host: an exact entry after the last domain, comments and layout kept', () => {
    const r = run([connectDeny('registry.npmjs.org'), connectDeny('registry.npmjs.org')]);
    assert.deepEqual(r.suggestions, [{ kind: 'domain', pattern: 'registry.npmjs.org', hosts: ['registry.npmjs.org'], requests: 2 }]);
    const after = applyEdits(CONFIG, r.entries.flatMap((e) => e.edits));
    assert.equal(after, CONFIG.replace('"evil.example.org" = "deny"\n', '"evil.example.org" = "deny"\n"registry.npmjs.org" = "allow"\n'));
    assert.match(r.diff, /^\+"registry\.npmjs\.org" = "allow"$/m);
    allowedAfter(r, CONFIG, [{ host: 'registry.npmjs.org' }]);
  });

  test('several subdomains of one registrable domain become **.domain (Public Suffix List)', () => {
    const r = run([connectDeny('a.cdn.example.co.uk'), connectDeny('b.example.co.uk'), connectDeny('pypi.org')]);
    assert.deepEqual(r.suggestions.map((s) => s.kind === 'domain' && s.pattern), ['**.example.co.uk', 'pypi.org']);
    allowedAfter(r, CONFIG, [{ host: 'a.cdn.example.co.uk' }, { host: 'b.example.co.uk' }, { host: 'pypi.org' }]);
  });

  test('hosts under a private public suffix (github.io) stay exact', () => {
    const r = run([connectDeny('alice.github.io'), connectDeny('bob.github.io')]);
    assert.deepEqual(r.suggestions.map((s) => s.kind === 'domain' && s.pattern), ['alice.github.io', 'bob.github.io']);
  });

  test('never: local/private addresses, denylisted, managed-denied, already allowed, a global *', () => {
    const r = run([
      connectDeny('10.0.0.5'), connectDeny('localhost'), connectDeny('[::1]'), connectDeny('internal.test', 'not_allowed_local'),
      connectDeny('evil.example.org', 'denied'), connectDeny('managed-bad.example.net', 'denied'), connectDeny('github.com'), connectDeny('*'),
    ], CONFIG, REQUIREMENTS);
    assert.deepEqual(r.suggestions, []);
    assert.equal(r.diff, '');
    const reasons = Object.fromEntries(r.skipped.map((s) => [s.host, s.reason]));
    assert.deepEqual(reasons, {
      '10.0.0.5': 'local_address', localhost: 'local_address', '::1': 'local_address', 'internal.test': 'local_address',
      'evil.example.org': 'denylisted', 'managed-bad.example.net': 'managed_denied', 'github.com': 'already_allowed', '*': 'invalid_host',
    });
  });

  test('a denylisted host never feeds a wildcard', () => {
    const r = run([connectDeny('a.example.com'), connectDeny('b.example.com'), connectDeny('evil.example.org', 'denied'), connectDeny('x.example.org')]);
    assert.deepEqual(r.suggestions.map((s) => s.kind === 'domain' && s.pattern), ['**.example.com', 'x.example.org']);
  });

  test('hooked host: one hook per method with minimal exact path prefixes, and its own pass-through action', () => {
    const r = run([hookDeny('POST', '/repos/acme/app/issues'), hookDeny('POST', '/repos/acme/app/issues/7/comments'), hookDeny('POST', '/graphql'), hookDeny('GET', '/user'), hookDeny('GET', '/repos/acme/app')]);
    assert.deepEqual(r.suggestions.filter((s) => s.kind === 'hook').map((s) => s.kind === 'hook' && [s.method, s.paths]), [
      ['GET', ['/user']],
      ['POST', ['/graphql', '/repos/acme/app/issues']],
    ]);
    assert.deepEqual(r.entries.map((e) => e.id), ['action:pass_through', 'hook:api.github.com GET', 'hook:api.github.com POST']);
    // The existing action injects a secret: suggested hooks must not reuse it.
    assert.ok(!r.diff.split('\n').some((l) => l.startsWith('+') && l.includes('inject_token')), r.diff);
    assert.match(r.diff, /^\+action = \["pass_through"\]$/m);
    assert.deepEqual(r.skipped.map((s) => [s.method, s.path, s.reason]), [['GET', '/repos/acme/app', 'already_allowed']]);
    allowedAfter(r, CONFIG, [
      { host: 'api.github.com', method: 'POST', path: '/repos/acme/app/issues/7/comments' },
      { host: 'api.github.com', method: 'POST', path: '/graphql' },
      { host: 'api.github.com', method: 'GET', path: '/user' },
    ]);
  });

  test('ambiguous hook paths are never suggested', () => {
    const r = run([hookDeny('GET', '/repos/../admin'), hookDeny('GET', '/a%2fb')]);
    assert.deepEqual(r.suggestions, []);
    assert.deepEqual(r.skipped.map((s) => s.reason), ['unsafe_path', 'unsafe_path']);
  });

  test('learning-mode events (would_deny) count as denied requests', () => {
    const r = run([ev({ decision: 'allow', flag: 'would_deny', reason: null, protocol: 'https_connect', host: 'files.pythonhosted.org', status: 200 })]);
    assert.deepEqual(r.suggestions.map((s) => s.kind === 'domain' && s.pattern), ['files.pythonhosted.org']);
  });

  test('no domains table yet: the table is its own entry, the keys follow it', () => {
    const config = 'default_permissions = "p"\n\n[permissions.p.network]\nenabled = true\n';
    const r = run([connectDeny('a.test'), connectDeny('pypi.org')], config);
    assert.deepEqual(r.entries.map((e) => [e.id, e.required ?? false]), [['table:domains', true], ['domain:a.test', false], ['domain:pypi.org', false]]);
    assert.equal(applyEdits(config, r.entries.flatMap((e) => e.edits)), `${config}\n[permissions.p.network.domains]\n"a.test" = "allow"\n"pypi.org" = "allow"\n`);
    allowedAfter(r, config, [{ host: 'a.test' }, { host: 'pypi.org' }]);
  });
});

describe('suggest: CLI', () => {
  test('reads an audit file and a panel export alike; the diff applies with patch -p0', () => {
    const config = tempFile('config.toml', CONFIG);
    const dir = dirname(config);
    const audit = join(dir, 'audit.jsonl');
    writeFileSync(audit, [JSON.stringify({ event: 'policy', time: 't', status: 'loaded', profile: 'work', files: [], diagnostics: [] }), connectDeny('registry.npmjs.org')].join('\n') + '\n');
    const exported = join(dir, 'export.jsonl');
    writeFileSync(exported, connectDeny('registry.npmjs.org') + '\n');
    const a = runCli(['suggest', '--from', 'audit.jsonl', '--config', 'config.toml'], { GH_SECRET: 'canary-suggest-9d1' }, dir);
    const b = runCli(['suggest', '--from', exported, '--config', config], {}, dir);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.ok(!a.stdout.includes('canary') && !a.stderr.includes('canary'));
    writeFileSync(join(dir, 'p.diff'), a.stdout + '\n');
    const p = spawnSync('patch', ['-p0', '-i', 'p.diff'], { cwd: dir, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr + p.stdout);
    assert.match(readFileSync(config, 'utf8'), /"evil\.example\.org" = "deny"\n"registry\.npmjs\.org" = "allow"\n/);
    assert.equal(runCli(['check', config]).code, 0);
  });

  test('--json lists suggestions, what was left out and per-entry edits', () => {
    const config = tempFile('config.toml', CONFIG);
    const events = tempFile('e.jsonl', [connectDeny('a.example.com'), connectDeny('b.example.com'), connectDeny('10.1.2.3')].join('\n'));
    const r = runCli(['suggest', '--json', '--from', events, '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { suggestions: { pattern: string }[]; skipped: { host: string; reason: string }[]; entries: { id: string }[]; diff: string };
    assert.deepEqual(out.suggestions.map((s) => s.pattern), ['**.example.com']);
    assert.deepEqual(out.skipped.map((s) => [s.host, s.reason]), [['10.1.2.3', 'local_address']]);
    assert.deepEqual(out.entries.map((e) => e.id), ['domain:**.example.com']);
  });

  test('nothing to suggest exits 1; a file without events is a usage error; an invalid policy exits 2', () => {
    const config = tempFile('config.toml', CONFIG);
    assert.equal(runCli(['suggest', '--from', tempFile('e.jsonl', connectDeny('github.com')), '--config', config]).code, 1);
    const junk = runCli(['suggest', '--from', tempFile('e.jsonl', 'not json\n'), '--config', config]);
    assert.equal(junk.code, 64);
    assert.match(junk.stderr, /no decision events/);
    const bad = runCli(['suggest', '--from', tempFile('e.jsonl', connectDeny('a.test')), '--config', tempFile('config.toml', 'default_permissions = "nope"\n')]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(runCli(['suggest', '--config', config]).code, 64);
  });
});
