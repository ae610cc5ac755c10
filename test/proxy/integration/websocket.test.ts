// WebSockets through the proxy with the `ws` package on both ends (and curl for the 101): ws:// in
// absolute form and wss:// inside MITM. The upgrade is judged like any request (domain policy,
// hooks strip/inject on it, limited mode lets the GET through), then relayed both ways, counted in
// the outcome event and closed cleanly; a hooked host's unmatched upgrade is a 403.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './clients';
import { cleanEnv, decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';
import { exchange, startWsEcho, wsViaAbsoluteForm, wsViaTunnel, type WsEcho } from './wsPeers';

const CANARY = `canary-ws-${randomBytes(12).toString('hex')}`;

describe('WebSockets through the proxy', () => {
  let plain: WsEcho;
  let secure: WsEcho;
  let proxy: RunningProxy;
  let secrets: TempDir;
  before(async () => {
    [plain, secure] = await Promise.all([startWsEcho(false), startWsEcho(true)]);
    secrets = tempDir('secrets-');
    const secretFile = join(secrets.path, 'audit-key');
    writeFileSync(secretFile, 'file-secret\n', { mode: 0o600 });
    proxy = await startProxy({ config: fixture('inject.toml', { AUDIT_SECRET_FILE: secretFile }), env: { IT_GITHUB_TOKEN: CANARY }, upstreamCa: [secure.caCertPath!] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await Promise.all([plain?.close(), secure?.close()]);
    secrets?.cleanup();
  });

  test('ws:// in absolute form: judged, relayed both ways, counted, closed with 1000', async () => {
    const since = proxy.mark();
    const r = await exchange(wsViaAbsoluteForm(`ws://plain.test:${plain.port}/chat`, proxy.proxyUrl), ['one', 'two']);
    assert.equal(r.error, undefined);
    assert.ok(r.opened);
    assert.deepEqual(r.echoes, ['echo:one', 'echo:two']);
    assert.equal(r.closeCode, 1000);
    const d = await decisionFor(proxy, 'plain.test', since, (e) => e.method === 'GET');
    assert.equal(d.decision, 'allow');
    assert.equal(d.path, '/chat');
    const o = await proxy.waitFor((e) => e.event === 'outcome' && e.id === d.id, { since, what: 'the outcome after the close' });
    assert.equal(o.upstreamStatus, 101);
    assert.ok(Number(o.bytes) >= 'echo:one'.length + 'echo:two'.length, `bytes ${String(o.bytes)}`);
  });

  test('ws:// to a host the policy does not allow: 403 JSON block, nothing dialled', async () => {
    const n = plain.upgrades.length;
    const r = await exchange(wsViaAbsoluteForm(`ws://other.test:${plain.port}/chat`, proxy.proxyUrl), ['x']);
    assert.equal(r.opened, false);
    assert.equal(r.status, 403);
    assert.equal(r.proxyError, 'blocked-by-allowlist');
    assert.equal(plain.upgrades.length, n);
  });

  test('curl sees the 101 of a ws:// upgrade through the proxy', async () => {
    const r = await run('curl', ['-q', '-sS', '-i', '--max-time', '3', '-x', proxy.proxyUrl, '-H', 'Connection: Upgrade', '-H', 'Upgrade: websocket',
      '-H', 'Sec-WebSocket-Version: 13', '-H', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, `http://plain.test:${plain.port}/curl`], { env: cleanEnv() });
    assert.match(r.stdout, /^HTTP\/1\.1 101 /m, r.stdout + r.stderr);
    assert.match(r.stdout, /^sec-websocket-accept: /im);
  });

  test('wss:// inside MITM: the hook strips and injects on the upgrade; relay works', async () => {
    const since = proxy.mark();
    const n = secure.upgrades.length;
    const r = await exchange(wsViaTunnel(`wss://api.github.test:${secure.port}/repos/myorg/live`, proxy.proxyUrl, proxy.listening.caCert, { Authorization: 'Bearer agent-token', 'X-Api-Key': 'k' }), ['hello']);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.echoes, ['echo:hello']);
    assert.equal(r.closeCode, 1000);
    const seen = secure.upgrades[n]!;
    assert.equal(seen.authorization, `Bearer ${CANARY}`);
    assert.equal(seen['x-api-key'], undefined);
    assert.equal(seen.upgrade, 'websocket');
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.mitm === true && e.method === 'GET');
    assert.equal(d.hook, 'rotate');
    assert.equal(d.method, 'GET');
    const o = await proxy.waitFor((e) => e.event === 'outcome' && e.id === d.id, { since, what: 'the outcome' });
    assert.equal(o.upstreamStatus, 101);
    assert.ok(!proxy.stdout().includes(CANARY));
  });

  test('wss:// to an unmatched path of a hooked host: 403 + x-proxy-error, the origin never sees it', async () => {
    const n = secure.upgrades.length;
    const r = await exchange(wsViaTunnel(`wss://api.github.test:${secure.port}/elsewhere`, proxy.proxyUrl, proxy.listening.caCert), ['x']);
    assert.equal(r.opened, false);
    assert.equal(r.status, 403);
    assert.equal(r.proxyError, 'blocked-by-mitm-hook');
    assert.equal(secure.upgrades.length, n);
  });
});

describe('WebSockets in limited mode', () => {
  let plain: WsEcho;
  let secure: WsEcho;
  let proxy: RunningProxy;
  before(async () => {
    [plain, secure] = await Promise.all([startWsEcho(false), startWsEcho(true)]);
    proxy = await startProxy({ config: fixture('limited.toml'), upstreamCa: [secure.caCertPath!] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await Promise.all([plain?.close(), secure?.close()]);
  });

  test('the upgrade is a GET: allowed, both ws:// and wss:// (MITM) relay', async () => {
    const a = await exchange(wsViaAbsoluteForm(`ws://plain.test:${plain.port}/x`, proxy.proxyUrl), ['a']);
    assert.deepEqual(a.echoes, ['echo:a'], a.error);
    const b = await exchange(wsViaTunnel(`wss://api.github.test:${secure.port}/y`, proxy.proxyUrl, proxy.listening.caCert), ['b']);
    assert.deepEqual(b.echoes, ['echo:b'], b.error);
    assert.equal(b.closeCode, 1000);
  });
});
