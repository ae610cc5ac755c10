// The upstream proxy the extension hands its proxy child: VS Code's http.proxy, else the extension
// host's environment — never its own child-facing values (self-loop) — and the untrusted-workspace
// rule. The last test drives the real proxy (dist/cli.js) through the supervisor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxySupervisor, type ProxyState } from '../../client/proxySupervisor';
import { untrustedPolicyFile, upstreamProxyEnv } from '../../client/logic/upstreamEnv';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const NONE = { httpProxy: '', noProxy: [] };

test('http.proxy wins (with http.noProxy); else the host environment, NO_PROXY carried along', () => {
  const host = { HTTPS_PROXY: 'http://env:1', NO_PROXY: 'intra.test' };
  assert.deepEqual(upstreamProxyEnv(host, { httpProxy: 'http://u:p@corp:3128', noProxy: ['a.test', 'b.test'] }, []).env, { HTTPS_PROXY: 'http://u:p@corp:3128', HTTP_PROXY: 'http://u:p@corp:3128', NO_PROXY: 'a.test,b.test' });
  assert.deepEqual(upstreamProxyEnv(host, { httpProxy: 'corp:3128', noProxy: [] }, []).env.NO_PROXY, 'intra.test');
  assert.deepEqual(upstreamProxyEnv({ ...host, http_proxy: 'http://env:2', no_proxy: 'x' }, NONE, []).env, { HTTPS_PROXY: 'http://env:1', http_proxy: 'http://env:2', NO_PROXY: 'intra.test', no_proxy: 'x' });
  assert.deepEqual(upstreamProxyEnv({ NO_PROXY: 'x' }, NONE, []).env, {}, 'NO_PROXY alone means nothing');
});

test('never the values the extension injects: the CODEX_NETPOLICY_PROXY marker, or a URL of our own proxy', () => {
  const injected = { HTTPS_PROXY: 'http://u:pw@127.0.0.1:4100', CODEX_NETPOLICY_PROXY: '1' };
  const r = upstreamProxyEnv(injected, NONE, []);
  assert.deepEqual(r.env, {});
  assert.match(r.notes[0]!, /proxied terminal/);
  const own = upstreamProxyEnv({ HTTPS_PROXY: 'http://localhost:4100', HTTP_PROXY: 'http://corp:8080' }, NONE, ['http://u:pw@127.0.0.1:4100']);
  assert.deepEqual(own.env, { HTTP_PROXY: 'http://corp:8080' });
  assert.match(own.notes[0]!, /HTTPS_PROXY points at the Codex policy proxy itself/);
  assert.deepEqual(upstreamProxyEnv({}, { httpProxy: '127.0.0.1:4100', noProxy: [] }, ['http://127.0.0.1:4100']).env, {});
});

test('untrusted workspaces: a policy file inside a workspace folder is refused, one outside is not', () => {
  assert.equal(untrustedPolicyFile(['/ws/repo/.codex/config.toml', undefined], ['/ws/repo']), '/ws/repo/.codex/config.toml');
  assert.equal(untrustedPolicyFile(['/home/me/.codex/config.toml', '/etc/codex/requirements.toml'], ['/ws/repo']), null);
  assert.equal(untrustedPolicyFile(['/ws/repo-other/config.toml'], ['/ws/repo']), null, 'a sibling folder with the same prefix is not inside');
});

async function started(sup: ProxySupervisor): Promise<Extract<ProxyState, { kind: 'running' }>> {
  const s = await sup.start();
  assert.equal(s.kind, 'running', JSON.stringify(s));
  return s as Extract<ProxyState, { kind: 'running' }>;
}

test('real proxy child: chains to the host env proxy, and never to its own URL handed back to it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-upstream-'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\n[permissions.w.network.domains]\n"example.test" = "allow"\n');
  let hostEnv: Record<string, string | undefined> = { ...process.env, HTTPS_PROXY: 'http://corp.example:3128' };
  const own: string[] = [];
  const logs: string[] = [];
  const sup = new ProxySupervisor({
    nodePath: process.execPath, cliPath: CLI, args: () => ['--config', config, '--ca-dir', join(dir, 'ca')],
    env: () => hostEnv,
    upstreamEnv: () => {
      const r = upstreamProxyEnv(hostEnv, NONE, own);
      logs.push(...r.notes);
      return r.env;
    },
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    onDecision: () => undefined,
  });
  try {
    const first = await started(sup);
    assert.equal(first.listening.upstreamProxy, 'http://corp.example:3128');
    own.push(first.listening.proxyUrl);
    // The host env now carries our own proxy (e.g. VS Code restarted from a proxied terminal).
    hostEnv = { ...process.env, HTTPS_PROXY: first.listening.proxyUrl, HTTP_PROXY: first.listening.proxyUrl };
    await sup.stop();
    const second = await started(sup);
    assert.equal(second.listening.upstreamProxy, undefined, 'no self-loop');
    assert.ok(logs.some((l) => /points at the Codex policy proxy itself/.test(l)));
  } finally {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
