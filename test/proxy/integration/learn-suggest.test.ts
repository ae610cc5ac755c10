// Learning mode and `suggest` end to end: a learning proxy lets allowlist misses through (flag
// would_deny) but keeps the denylist, local protection and hooked hosts enforced and injects no
// secret; `suggest` turns its audit file into a diff; after it, a normal proxy passes the requests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { curl, header, lastBlock } from './clients';
import { CLI, cleanEnv, decisionFor, disposeProxy, fixture, runProxyToExit, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const CANARY = `canary-learn-${randomBytes(10).toString('hex')}`;

function policy(secretFile: string): string {
  return fixture('inject.toml', { AUDIT_SECRET_FILE: secretFile }).replace('"plain.test" = "allow"', '"plain.test" = "allow"\n"tracker.test" = "deny"');
}

describe('proxy --learn, then suggest', () => {
  let up: Upstreams;
  let learner: RunningProxy | undefined;
  let enforcing: RunningProxy | undefined;
  let tmp: TempDir;
  let bundle: string;
  let config: string;
  before(async () => {
    up = await startUpstreams();
    tmp = tempDir('learn-');
    const secretFile = join(tmp.path, 'secret');
    writeFileSync(secretFile, CANARY, { mode: 0o600 });
    config = policy(secretFile);
    learner = await startProxy({ config, env: { IT_GITHUB_TOKEN: CANARY }, upstreamCa: [up.https.caCertPath], audit: true, args: ['--learn'] });
    // Raw tunnels reach the upstream's own CA, MITM'd ones the proxy's: trust both.
    bundle = join(tmp.path, 'bundle.pem');
    writeFileSync(bundle, readFileSync(up.https.caCertPath, 'utf8') + readFileSync(learner.listening.caCert, 'utf8'));
  });
  after(async () => {
    await disposeProxy(learner);
    await disposeProxy(enforcing);
    await up?.close();
    tmp?.cleanup();
  });

  test('the listening line says learning', () => {
    assert.equal(learner!.listening.learning, true);
  });

  test('an allowlist miss goes through, flagged would_deny', async () => {
    const since = learner!.mark();
    const n = up.https.received.length;
    const r = await curl(`https://registry.npmjs.test:${up.https.port}/left-pad`, { proxy: learner!.proxyUrl, cacert: bundle });
    assert.equal(r.status, 200, r.stderr);
    assert.equal(up.https.received.length, n + 1);
    const d = await decisionFor(learner!, 'registry.npmjs.test', since);
    assert.equal(d.decision, 'allow');
    assert.equal(d.flag, 'would_deny');
    const plain = await curl(`http://other.test:${up.http.port}/x`, { proxy: learner!.proxyUrl });
    assert.equal(plain.status, 200);
    assert.equal((await decisionFor(learner!, 'other.test', since)).flag, 'would_deny');
  });

  test('the denylist and hooked hosts stay enforced', async () => {
    const denied = await curl(`https://tracker.test:${up.https.port}/`, { proxy: learner!.proxyUrl, cacert: bundle });
    assert.equal(denied.connectStatus, 403);
    const post = await curl(`https://internal-api.company.test:${up.https.port}/v1/items`, { proxy: learner!.proxyUrl, cacert: bundle, method: 'POST', data: 'x' });
    assert.equal(post.status, 403);
    assert.equal(header(lastBlock(post), 'x-proxy-error'), 'blocked-by-mitm-hook');
  });

  test('no secret is injected: the hook still strips, the upstream sees neither token', async () => {
    const n = up.https.received.length;
    const r = await curl(`https://api.github.test:${up.https.port}/repos/myorg/app`, { proxy: learner!.proxyUrl, cacert: bundle, headers: ['Authorization: Bearer agent-token', 'x-echo-quiet: 1'] });
    assert.equal(r.status, 200, r.stderr);
    const got = up.https.received[n]!;
    assert.equal(got.headers.authorization, undefined);
    assert.equal(got.headers['x-audit-source'], undefined);
    assert.ok(!JSON.stringify(got.headers).includes(CANARY));
  });

  test('suggest turns the audit file into a diff; after it a normal proxy passes the requests', async () => {
    await new Promise((r) => setTimeout(r, 200));
    const audit = readFileSync(learner!.auditPath!, 'utf8');
    assert.ok(!audit.includes(CANARY) && !learner!.stdout().includes(CANARY));
    const s = spawnSync(process.execPath, [CLI, 'suggest', '--json', '--from', learner!.auditPath!, '--config', learner!.configPath], { encoding: 'utf8', env: cleanEnv() });
    assert.equal(s.status, 0, s.stderr);
    const out = JSON.parse(s.stdout) as { suggestions: { kind: string; pattern?: string; method?: string; paths?: string[] }[]; skipped: { host: string; reason: string }[]; diff: string };
    assert.deepEqual(out.suggestions.map((x) => x.pattern ?? `${x.method} ${x.paths?.join(',')}`), ['other.test', 'registry.npmjs.test', 'POST /v1/items']);
    assert.ok(out.skipped.some((x) => x.host === 'tracker.test' && x.reason === 'denylisted'));

    // Learning ends with the process: the same policy, restarted without --learn, enforces.
    enforcing = await startProxy({ config: readFileSync(learner!.configPath, 'utf8'), env: { IT_GITHUB_TOKEN: CANARY }, upstreamCa: [up.https.caCertPath] });
    const before = await curl(`https://registry.npmjs.test:${up.https.port}/left-pad`, { proxy: enforcing.proxyUrl, cacert: bundle });
    assert.equal(before.connectStatus, 403);
    const patch = spawnSync('patch', [enforcing.configPath], { input: out.diff, encoding: 'utf8' });
    assert.equal(patch.status, 0, patch.stderr + patch.stdout);
    await enforcing.waitFor((e) => e.event === 'policy' && e.status === 'loaded', { what: 'the reload' });
    const ebundle = join(tmp.path, 'ebundle.pem');
    writeFileSync(ebundle, readFileSync(up.https.caCertPath, 'utf8') + readFileSync(enforcing.listening.caCert, 'utf8'));
    const npm = await curl(`https://registry.npmjs.test:${up.https.port}/left-pad`, { proxy: enforcing.proxyUrl, cacert: ebundle });
    assert.equal(npm.status, 200, npm.stderr);
    const post = await curl(`https://internal-api.company.test:${up.https.port}/v1/items`, { proxy: enforcing.proxyUrl, cacert: ebundle, method: 'POST', data: 'x' });
    assert.equal(post.status, 200, post.stderr);
  });
});

describe('proxy --learn guardrails', () => {
  test('refused when a managed requirements file is in force', async () => {
    const r = await runProxyToExit({ config: fixture('inject.toml', { AUDIT_SECRET_FILE: '/dev/null' }), requirements: fixture('managed-requirements.toml'), env: { IT_GITHUB_TOKEN: 'x' }, args: ['--learn'] });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /--learn is refused while a managed requirements file is in force/);
    r.dir.cleanup();
  });

  test('local/private addresses stay blocked', async () => {
    const config = 'default_permissions = "p"\n[permissions.p.network]\nenabled = true\nmode = "full"\n[permissions.p.network.domains]\n"example.test" = "allow"\n';
    const p = await startProxy({ config, args: ['--learn'] });
    try {
      const since = p.mark();
      const r = await curl('http://127.0.0.1:9/', { proxy: p.proxyUrl });
      assert.equal(r.status, 403);
      const named = await curl('http://other.test:9/', { proxy: p.proxyUrl });
      assert.equal(named.status, 403, 'a name resolving to loopback');
      const d = await decisionFor(p, 'other.test', since);
      assert.equal(d.reason, 'not_allowed_local');
      assert.equal(d.flag, undefined);
    } finally {
      await disposeProxy(p);
    }
  });
});
