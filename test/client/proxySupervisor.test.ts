import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxySupervisor, type ProxyState } from '../../client/proxySupervisor';
import type { DecisionEvent } from '../../client/logic/events';

const FAKE = join(__dirname, 'fixtures', 'fakeProxy.mjs');

// Every supervisor is stopped at the end even when its test failed half-way: a live restart loop
// would keep this test process from ever exiting.
const supervisors: ProxySupervisor[] = [];
after(async () => {
  for (const sup of supervisors) await sup.stop();
});

function harness(mode: string) {
  const record = join(mkdtempSync(join(tmpdir(), 'sup-')), 'runs.json');
  const logs: string[] = [];
  const decisions: DecisionEvent[] = [];
  const states: ProxyState['kind'][] = [];
  const sup = new ProxySupervisor({
    nodePath: process.execPath, cliPath: FAKE, args: () => ['--mode', mode, '--record', record],
    env: () => ({ ...process.env, HTTP_PROXY: 'http://corp:3128', https_proxy: 'http://corp:3128' }),
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    onDecision: (e) => decisions.push(e),
  });
  supervisors.push(sup);
  sup.onDidChangeState((s) => states.push(s.kind));
  const runs = () => (existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; env: Record<string, string | null> }[]) : []);
  return { sup, logs, decisions, states, runs };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('start: child gets a clean env, reports listening, decisions flow, garbage is logged, stop is clean', async () => {
  const h = harness('ok');
  const s = await h.sup.start();
  assert.equal(s.kind, 'running');
  assert.ok(s.kind === 'running' && s.listening.http === '127.0.0.1:4999');
  await until(() => h.decisions.length === 1 && h.logs.some((l) => l.includes('non-JSON')));
  assert.equal(h.decisions[0]!.host, 'evil.example');
  assert.deepEqual(h.runs()[0]!.env, { HTTP_PROXY: null, https_proxy: null, ELECTRON_RUN_AS_NODE: '1' });
  assert.deepEqual(h.runs()[0]!.argv.slice(0, 2), ['proxy', '--json']);
  await h.sup.stop();
  assert.equal(h.sup.state.kind, 'stopped');
  assert.deepEqual(h.states.slice(0, 2), ['starting', 'running']);
  assert.equal(h.states.at(-1), 'stopped');
  assert.ok(!h.logs.join('\n').includes('CANARY-RUNPW'), 'the run credential never reaches the log');
});

test('exit 2 (invalid policy): error state with the diagnostics, no restart until a policy save', async () => {
  const h = harness('invalid');
  const s = await h.sup.start();
  assert.equal(s.kind, 'error');
  assert.ok(s.kind === 'error' && s.invalidPolicy && s.details[0] === '/p/config.toml:3:1: unknown key `bogus`');
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(h.runs().length, 1, 'no restart loop');
  h.sup.policySaved();
  await until(() => h.runs().length === 2);
  await until(() => h.sup.state.kind === 'error');
  await h.sup.stop();
});

test('unexpected exit: restarts after the 1 s backoff; credential scrubbed from stderr in the log', async () => {
  const h = harness('crash');
  await h.sup.start();
  await until(() => h.sup.state.kind === 'error');
  const s = h.sup.state;
  assert.ok(s.kind === 'error' && !s.invalidPolicy && s.retryInMs === 1000);
  await until(() => h.runs().length === 2, 4000);
  await h.sup.stop();
  assert.equal(h.sup.state.kind, 'stopped');
  const log = h.logs.join('\n');
  assert.ok(log.includes('boom: http://***@127.0.0.1:4999'));
  assert.ok(!log.includes('CANARY-RUNPW'));
});

test('stop lets the proxy drain in-flight requests (SIGTERM, no SIGKILL within the drain)', { timeout: 20_000 }, async () => {
  const h = harness('drain');
  await h.sup.start();
  assert.ok(h.runs()[0]!.argv.includes('--drain-timeout'));
  await h.sup.stop();
  assert.equal(h.sup.state.kind, 'stopped');
  assert.ok(h.logs.some((l) => l.includes('Proxy stopped (code 0)')), h.logs.join('\n'));
});
