// The offline demo keeps its promises: every request TRY-ME.md lists runs, as typed, in a shell set
// up like a proxied terminal (`eval "$(codex-netpolicy env)"`), through the real proxy on the demo
// policy with the demo's local stand-ins, and gives the promised output and decision. Needs no DNS:
// the stand-ins answer for the demo hosts; `mirror.company.invalid` fails to resolve anywhere.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStandIns, type StandIns } from '../../scripts/demo/standIns';
import { TRY_ME, tryMeMarkdown } from '../../scripts/demo/tryMe';
import { cleanEnv, CLI, PROJECT_ROOT, startProxy, tempDir, type RunningProxy, type TempDir } from '../proxy/integration/harness';

const SECRETS = { CI_GITHUB_TOKEN: 'demo-ci-token', NPM_PUBLISH_TOKEN: 'demo-npm-token' };

function hostOf(command: string): string {
  return new URL(/(https?:\/\/\S+)/.exec(command)![1]!).hostname;
}

function run(shell: string, env: Record<string, string>): Promise<string> {
  return new Promise((done) => {
    execFile('bash', ['-c', shell], { encoding: 'utf8', timeout: 30_000, env }, (_err, stdout, stderr) => done(stdout + stderr));
  });
}

describe('offline demo: every TRY-ME request gives what it promises', () => {
  let dir: TempDir;
  let standIns: StandIns;
  let proxy: RunningProxy;

  before(async () => {
    dir = tempDir('demo-try-me-');
    standIns = await startStandIns(dir.path);
    proxy = await startProxy({
      config: readFileSync(join(PROJECT_ROOT, 'examples/demo/.codex/config.toml'), 'utf8'),
      env: SECRETS,
      args: standIns.proxyArgs,
    });
  });
  after(async () => {
    await proxy?.stop();
    await standIns?.close();
    dir?.cleanup();
  });

  for (const t of TRY_ME) {
    test(`${t.title}: ${t.command}`, async () => {
      const host = hostOf(t.command);
      const mark = proxy.mark();
      const shell = `eval "$(node ${JSON.stringify(CLI)} env --shell bash)" && ${t.command}`;
      // Async: the stand-ins run in this process and must keep answering.
      const output = await run(shell, cleanEnv({ CODEX_NETPOLICY_HOME: proxy.netpolicyHome }));
      for (const re of t.expect.output ?? []) assert.match(output, re, `output of ${t.command}`);
      for (const re of t.expect.absent ?? []) assert.doesNotMatch(output, re, `output of ${t.command}`);
      await proxy.waitFor((e) => e.event === 'decision' && e.host === host && (e.decision === 'deny' || e.protocol !== 'https_connect'), { since: mark, what: `the decision for ${host}` });
      const decisions = proxy.decisions(host, mark);
      const last = decisions[decisions.length - 1];
      assert.ok(last, `a decision for ${host}; output: ${output}`);
      assert.equal(last.decision, t.expect.decision);
      if (t.expect.reason) assert.equal(last.reason, t.expect.reason);
      if (t.expect.explanation) assert.match(String(last.explanation), t.expect.explanation);
    });
  }

  test('the upstream saw the promised headers; the log never saw a secret value', () => {
    const pulls = standIns.received.find((r) => r.path === '/repos/myorg/app');
    assert.equal(pulls?.headers.authorization, 'Bearer demo-ci-token');
    const issue = standIns.received.find((r) => r.path === '/repos/openai/codex/issues');
    assert.ok(issue && !('authorization' in issue.headers) && !('cookie' in issue.headers));
    assert.ok(!standIns.received.some((r) => r.path === '/v1/deploy'), 'the blocked POST never reached the upstream');
    const log = JSON.stringify(proxy.events);
    for (const v of [...Object.values(SECRETS), 'leaked-agent-token']) assert.ok(!log.includes(v), `${v} absent from events`);
  });

  test('TRY-ME.md lists exactly these commands and says it runs against local stand-ins', () => {
    const md = tryMeMarkdown();
    assert.match(md, /runs against local stand-ins/);
    for (const t of TRY_ME) assert.ok(md.includes(t.command));
  });
});

describe('--stand-in', () => {
  test('only loopback addresses with a port are accepted', async () => {
    const { runCli } = await import('../helpers/cli');
    for (const bad of ['api.github.com=10.0.0.1:443', 'api.github.com=127.0.0.1', 'api.github.com']) {
      const r = runCli(['proxy', '--config', join(PROJECT_ROOT, 'examples/demo/.codex/config.toml'), '--stand-in', bad], SECRETS);
      assert.equal(r.code, 64, r.stderr);
      assert.match(r.stderr, /--stand-in must/);
    }
  });
});
