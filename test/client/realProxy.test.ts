// The supervisor driving the real bundled proxy (dist/cli.js), loopback only: decisions flow into
// the client, a policy edit made with the panel's quick action is hot-reloaded, an invalid policy
// at start is exit 2 with file:line:col details, an upstream that never answers is a failed outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxySupervisor } from '../../client/proxySupervisor';
import { applyEdits, setDomainEdit } from '../../core/edit/policyEdits';
import type { DecisionEvent } from '../../client/logic/events';
import { DecisionStore } from '../../client/logic/decisionStore';
import { toHar, toJsonl } from '../../client/logic/export';
import { matchesFilter, parseFilter, rowText } from '../../client/logic/rows';
import { execFile } from 'node:child_process';
import { hookScene } from './fixtures/hookPolicy';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function get(proxy: string, url: string): Promise<number> {
  const [host, port] = proxy.split(':');
  return new Promise((res, rej) => {
    const req = request({ host, port: Number(port), method: 'GET', path: url, headers: { host: new URL(url).host } }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', rej);
    req.end();
  });
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('real proxy: decisions reach the client; an "Allow host" edit is hot-reloaded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-client-'));
  const upstream: Server = createServer((_q, r) => r.end('upstream ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.after(() => upstream.close());
  const port = (upstream.address() as { port: number }).port;
  const config = join(dir, 'config.toml');
  writeFileSync(config, `# team policy\ndefault_permissions = "work"\n[permissions.work.network]\nenabled = true\nallow_local_binding = true\n\n[permissions.work.network.domains]\n"allowed.test" = "allow" # ok\n`);
  const decisions: DecisionEvent[] = [];
  const logs: string[] = [];
  const sup = new ProxySupervisor({
    nodePath: process.execPath, cliPath: CLI, env: () => process.env,
    args: () => ['--config', config, '--ca-dir', join(dir, 'ca'), '--resolve', 'allowed.test=127.0.0.1', '--resolve', 'later.test=127.0.0.1'],
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    onDecision: (e) => decisions.push(e),
  });
  t.after(() => sup.stop());
  const s = await sup.start();
  assert.equal(s.kind, 'running', logs.join('\n'));
  assert.ok(s.kind === 'running');
  const proxy = s.listening.http;
  assert.match(proxy, /^127\.0\.0\.1:\d+$/);

  assert.equal(await get(proxy, `http://allowed.test:${port}/a`), 200);
  assert.equal(await get(proxy, `http://later.test:${port}/b`), 403);
  await until(() => decisions.length >= 2, 'two decisions');
  assert.deepEqual(decisions.map((d) => [d.decision, d.host, d.path]), [['allow', 'allowed.test', '/a'], ['deny', 'later.test', '/b']]);
  assert.equal(decisions[0]!.rule?.file, config);
  assert.equal(decisions[0]!.rule?.line, 8);

  const text = readFileSync(config, 'utf8');
  const edit = setDomainEdit(text, decisions[1]!.profile, 'later.test', 'allow');
  assert.ok('edits' in edit);
  writeFileSync(config, applyEdits(text, edit.edits));
  await until(() => sup.state.kind === 'running' && sup.state.policy?.status === 'loaded', 'policy reload event', 15_000);
  let status = 0;
  const end = Date.now() + 15_000;
  while (status !== 200 && Date.now() < end) {
    status = await get(proxy, `http://later.test:${port}/b`);
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 200, 'the proxy picked up the edited policy');
});

test('real proxy: invalid policy at start is exit 2 with file:line:col details, no restart loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-client-'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, 'default_permissions = "work"\n[permissions.work.network]\nenabled = true\nbogus_key = 1\nmode = "sometimes"\n');
  const sup = new ProxySupervisor({
    nodePath: process.execPath, cliPath: CLI, env: () => process.env, args: () => ['--config', config, '--ca-dir', join(dir, 'ca')],
    log: { info: () => {}, warn: () => {}, error: () => {} }, onDecision: () => {},
  });
  const s = await sup.start();
  assert.equal(s.kind, 'error');
  assert.ok(s.kind === 'error' && s.invalidPolicy);
  assert.ok(s.details.some((l) => /config\.toml:5:\d+: /.test(l)), s.details.join('\n'));
  await sup.stop();
});

test('real proxy: bad arguments (no config.toml) are reported once, not restarted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-client-'));
  let starts = 0;
  const sup = new ProxySupervisor({
    nodePath: process.execPath, cliPath: CLI, env: () => ({ ...process.env, CODEX_HOME: dir }),
    args: () => { starts++; return ['--ca-dir', join(dir, 'ca')]; },
    log: { info: () => {}, warn: () => {}, error: () => {} }, onDecision: () => {},
  });
  t.after(() => sup.stop());
  const s = await sup.start();
  assert.equal(s.kind, 'error');
  assert.ok(s.kind === 'error' && !s.invalidPolicy && s.retryInMs === undefined, JSON.stringify(s));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(starts, 1);
  assert.ok(s.kind === 'error' && /no config\.toml found/.test(s.message), s.kind === 'error' ? s.message : '');
});

test('real proxy: an upstream that never answers is a 504 response_timeout outcome in the store; the injected secret stays out', async (t) => {
  const token = 'CANARY-realproxy-3d9e71c4';
  const scene = await hookScene('cnp-client-timeout-', token);
  t.after(() => scene.close());
  const store = new DecisionStore();
  const logs: string[] = [];
  const sup = new ProxySupervisor({
    nodePath: process.execPath, cliPath: CLI, env: () => ({ ...process.env, E2E_TOKEN: token }),
    args: () => ['--config', join(scene.ws, '.codex', 'config.toml'), '--ca-dir', join(scene.scratch, 'ca'), ...scene.proxyArgs, '--response-timeout', '700'],
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    onDecision: (e) => store.add(e), onOutcome: (o) => store.applyOutcome(o),
  });
  t.after(() => sup.stop());
  const s = await sup.start();
  assert.ok(s.kind === 'running', logs.join('\n'));
  // curl through the proxy, trusting its MITM CA: the hook injects the secret, the origin holds the request.
  // (execFile, not spawnSync: the upstream runs in this process's event loop.)
  const curl = await new Promise<{ stdout: string; stderr: string }>((res) => execFile('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '20', '--proxy', s.listening.proxyUrl, '--cacert', s.listening.caCert,
    `https://secure.test:${scene.securePort}/api/hang`], (_e, stdout, stderr) => res({ stdout, stderr })));
  assert.equal(curl.stdout, '504', curl.stderr);
  assert.deepEqual(scene.hung, [{ path: '/api/hang', injected: true }], 'the origin got the request with the injected secret');
  await until(() => store.all().some((e) => e.failure), 'the failed outcome in the store');
  const failed = store.all().find((e) => e.failure)!;
  assert.deepEqual([failed.decision, failed.host, failed.path, failed.hook], ['allow', 'secure.test', '/api/hang', 'api']);
  assert.deepEqual([failed.failure!.reason, failed.failure!.status], ['response_timeout', 504]);
  assert.match(failed.failure!.message, /secure\.test/);
  assert.ok(failed.durationMs! >= 600, String(failed.durationMs));
  // What the panel gets (the store's events), what it renders (row and filter) and the exports hold no secret.
  assert.equal(rowText(failed).reason, '504 · response timeout');
  assert.equal(matchesFilter(failed, parseFilter('outcome:failed failure:timeout')), true);
  for (const text of [JSON.stringify(store.all()), toJsonl(store.all()), JSON.stringify(toHar(store.all(), '0')), logs.join('\n')]) assert.ok(!text.includes(token));
});
