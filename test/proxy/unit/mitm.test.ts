import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CANARY, connectTunnel, httpsUpstream, ResponseReader, startRig, tempDir, testCa, tlsOver, type Rig, type Upstream } from './helpers';

const CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"api.test" = "allow"
"raw.test" = "allow"
"blocked.test" = "deny"
[permissions.work.network.mitm.hooks.repos]
host = "api.test"
methods = ["GET", "POST"]
path_prefixes = ["/repos/"]
action = ["strip_cookie", "inject_token"]
[permissions.work.network.mitm.actions.strip_cookie]
strip_request_headers = ["cookie"]
[permissions.work.network.mitm.actions.inject_token]
[[permissions.work.network.mitm.actions.inject_token.inject_request_headers]]
name = "authorization"
secret_env_var = "TEST_TOKEN"
prefix = "Bearer "
`;

describe('CONNECT and MITM', () => {
  let rig: Rig;
  let api: Upstream;
  let raw: Upstream;
  let auth: string;
  before(async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    api = await httpsUpstream(ca, 'api.test');
    raw = await httpsUpstream(ca, 'raw.test');
    rig = await startRig(CONFIG, { dir, upstreamCaFiles: [ca.certPath] });
    const c = rig.proxy.credential!;
    auth = `Proxy-Authorization: Basic ${Buffer.from(`${c.user}:${c.pass}`).toString('base64')}\r\n`;
  });
  after(async () => {
    await rig.close();
    await api.close();
    await raw.close();
  });

  test('secrets in the policy make the proxy require its credential (407 without it)', async () => {
    assert.ok(rig.proxy.credential, 'auto auth is on when secrets are injected');
    assert.match(rig.proxy.proxyUrl, /^http:\/\/codex:[^@]+@127\.0\.0\.1:\d+$/);
    const { res, socket } = await connectTunnel(rig.port, `api.test:${api.port}`);
    assert.equal(res.status, 407);
    assert.equal(res.headers['proxy-authenticate'], 'Basic realm="codex-netpolicy"');
    socket.destroy();
    const wrong = await connectTunnel(rig.port, `api.test:${api.port}`, 'Proxy-Authorization: Basic Y29kZXg6d3Jvbmc=\r\n');
    assert.equal(wrong.res.status, 407);
    wrong.socket.destroy();
  });

  test('denied CONNECT: 403 text/plain with x-proxy-error and message body', async () => {
    const { res, socket } = await connectTunnel(rig.port, 'blocked.test:443', auth);
    assert.equal(res.status, 403);
    assert.match(res.headers['content-type']!, /^text\/plain/);
    assert.equal(res.headers['x-proxy-error'], 'blocked-by-denylist');
    // Upstream's message first, then the decision's explanation.
    assert.equal(res.body, 'Domain denied by the sandbox policy.\nWhy: blocked.test is denied by `blocked.test` (config.toml:9), and a deny always wins.\n');
    socket.destroy();
  });

  test('allowed unhooked host: raw tunnel to the upstream (its own certificate)', async () => {
    const { res, socket } = await connectTunnel(rig.port, `raw.test:${raw.port}`, auth);
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    const caPem = (await testCa(rig.dir)).certPem;
    const t = await tlsOver(socket, 'raw.test', caPem);
    const reader = new ResponseReader(t);
    t.write('GET /plain HTTP/1.1\r\nHost: raw.test\r\n\r\n');
    const r = await reader.next();
    assert.equal(r.body, 'upstream saw GET /plain');
    const ev = rig.decisions().find((e) => e.host === 'raw.test')!;
    assert.equal(ev.mitm, false);
    assert.equal(ev.protocol, 'https_connect');
    t.destroy();
  });

  test('hooked host: MITM, strip + inject reach the upstream, the client never sees the secret', async () => {
    const { res, socket } = await connectTunnel(rig.port, `api.test:${api.port}`, auth);
    assert.equal(res.status, 200);
    const t = await tlsOver(socket, 'api.test', rig.proxy.ca.certPem);
    const reader = new ResponseReader(t);
    t.write(`GET /repos/x?token=${CANARY}q HTTP/1.1\r\nHost: api.test:${api.port}\r\nCookie: a=b\r\nAuthorization: Bearer child-token\r\n\r\n`);
    const r1 = await reader.next();
    assert.equal(r1.status, 200);
    assert.ok(!JSON.stringify(r1).includes(CANARY.slice(0, 10) + '7'), 'response has no secret');
    const seen = api.seen.at(-1)!;
    assert.equal(seen.headers.authorization, `Bearer ${CANARY}`);
    assert.equal(seen.headers.cookie, undefined);
    assert.equal(seen.headers.host, `api.test:${api.port}`);
    // Same TLS connection, second request: judged again, no hook matches → default deny.
    t.write(`DELETE /repos/x HTTP/1.1\r\nHost: api.test:${api.port}\r\n\r\n`);
    const r2 = await reader.next();
    assert.equal(r2.status, 403);
    assert.equal(r2.headers['x-proxy-error'], 'blocked-by-mitm-hook');
    assert.equal(r2.body.split('\n')[0], 'HTTPS request denied by MITM hook policy.');
    assert.match(r2.body, /^Why: no hook on api\.test matches DELETE \/repos\/x, and a hooked host blocks what no hook allows \(first hook at config\.toml:\d+\)\.$/m);
    t.write(`GET /other HTTP/1.1\r\nHost: api.test:${api.port}\r\n\r\n`);
    assert.equal((await reader.next()).headers['x-proxy-error'], 'blocked-by-mitm-hook');
    // Host mismatch inside the tunnel → 400; CONNECT inside → 405.
    t.write(`GET /repos/x HTTP/1.1\r\nHost: evil.test\r\n\r\n`);
    const r4 = await reader.next();
    assert.equal(r4.status, 400);
    assert.equal(r4.body, 'host mismatch');
    t.write(`CONNECT other.test:443 HTTP/1.1\r\nHost: other.test:443\r\n\r\n`);
    const r5 = await reader.next();
    assert.equal(r5.status, 405);
    assert.equal(r5.body, 'CONNECT not supported inside MITM');
    t.destroy();

    const inner = rig.decisions().filter((e) => e.protocol === 'https');
    const allowed = inner.find((e) => e.decision === 'allow')!;
    assert.equal(allowed.hook, 'repos');
    assert.deepEqual(allowed.actions, ['strip_cookie', 'inject_token']);
    assert.deepEqual(allowed.headers, { strip: ['cookie'], inject: ['authorization'] });
    assert.equal(allowed.path, '/repos/x');
    assert.equal(allowed.client, rig.decisions().find((e) => e.method === 'CONNECT' && e.host === 'api.test')!.client);
    assert.ok(inner.some((e) => e.reason === 'mitm_hook_denied' && e.method === 'DELETE'));
  });

  test('an allowed MITM request\'s decision line is held until just before its response head; a denied one is not', async () => {
    const seen: string[] = [];
    const stop = rig.proxy.events.onEvent((e, mayWait) => {
      if (e.event === 'decision' && e.protocol === 'https') seen.push(`${e.decision} ${e.id} ${mayWait ? 'held' : 'now'}`);
    });
    const unshown = rig.proxy.events.onShown((id) => seen.push(`shown ${id}`));
    const { res, socket } = await connectTunnel(rig.port, `api.test:${api.port}`, auth);
    assert.equal(res.status, 200);
    const t = await tlsOver(socket, 'api.test', rig.proxy.ca.certPem);
    const reader = new ResponseReader(t);
    t.write(`GET /repos/held HTTP/1.1\r\nHost: api.test:${api.port}\r\n\r\n`);
    assert.equal((await reader.next()).status, 200);
    seen.push('response');
    t.write(`DELETE /repos/held HTTP/1.1\r\nHost: api.test:${api.port}\r\n\r\n`);
    assert.equal((await reader.next()).status, 403);
    t.destroy();
    stop();
    unshown();
    const [allow, deny] = rig.decisions().filter((e) => e.path === '/repos/held');
    assert.deepEqual(seen, [`allow ${allow!.id} held`, `shown ${allow!.id}`, 'response', `deny ${deny!.id} now`]);
  });

  test('no event, log line or error ever contains the secret or a query string', () => {
    const text = JSON.stringify(rig.events);
    assert.ok(!text.includes(CANARY), 'canary secret absent');
    assert.ok(!text.includes('token='), 'query absent');
    assert.ok(rig.decisions().length >= 6);
  });
});

describe('upstream TLS is always verified', () => {
  test('upstream certificate from an untrusted CA → 502 mitm upstream error', async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    const api = await httpsUpstream(ca, 'api.test');
    const rig = await startRig(CONFIG, { dir, auth: 'off' }); // no upstreamCaFiles: the test CA is unknown
    try {
      const { res, socket } = await connectTunnel(rig.port, `api.test:${api.port}`);
      assert.equal(res.status, 200);
      const t = await tlsOver(socket, 'api.test', rig.proxy.ca.certPem);
      const reader = new ResponseReader(t);
      t.write(`GET /repos/x HTTP/1.1\r\nHost: api.test:${api.port}\r\n\r\n`);
      const r = await reader.next();
      assert.equal(r.status, 502);
      assert.equal(r.body, 'mitm upstream error');
      assert.equal(api.seen.length, 0);
      t.destroy();
    } finally {
      await rig.close();
      await api.close();
    }
  });

  test('certificate for the wrong name → 502', async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    const api = await httpsUpstream(ca, 'someone-else.test');
    const rig = await startRig(CONFIG, { dir, auth: 'off', upstreamCaFiles: [ca.certPath] });
    try {
      const { socket } = await connectTunnel(rig.port, `api.test:${api.port}`);
      const t = await tlsOver(socket, 'api.test', rig.proxy.ca.certPem);
      const reader = new ResponseReader(t);
      t.write(`GET /repos/x HTTP/1.1\r\nHost: api.test:${api.port}\r\n\r\n`);
      assert.equal((await reader.next()).status, 502);
      t.destroy();
    } finally {
      await rig.close();
      await api.close();
    }
  });
});

describe('hot reload', () => {
  test('valid edit swaps the policy; invalid edit keeps the last good one', async () => {
    const dir = tempDir();
    const rig = await startRig(CONFIG, { dir, auth: 'off' });
    try {
      const decideConnect = async (authority: string): Promise<number> => {
        const { res, socket } = await connectTunnel(rig.port, authority);
        socket.destroy();
        return res.status;
      };
      assert.equal(await decideConnect('blocked.test:1'), 403);
      writeFileSync(rig.configPath, CONFIG.replace('"blocked.test" = "deny"', '"blocked.test" = "allow"'));
      rig.proxy.reload();
      const loaded = rig.events.filter((e) => e.event === 'policy');
      assert.equal(loaded.at(-1)?.event === 'policy' && loaded.at(-1)!.status, 'loaded');
      const ev1 = rig.decisions().length;
      await decideConnect('blocked.test:1');
      assert.equal(rig.decisions()[ev1]!.decision, 'allow');

      writeFileSync(join(dir, 'config.toml'), CONFIG.replace('enabled = true', 'enabled = "yes"'));
      rig.proxy.reload();
      const bad = rig.events.filter((e) => e.event === 'policy').at(-1)!;
      assert.ok(bad.event === 'policy' && bad.status === 'invalid');
      assert.ok(bad.event === 'policy' && bad.diagnostics.length > 0 && bad.diagnostics[0]!.line === 4, JSON.stringify(bad));
      const ev2 = rig.decisions().length;
      await decideConnect('blocked.test:1');
      assert.equal(rig.decisions()[ev2]!.decision, 'allow', 'last good policy still in force');
      assert.equal(await decideConnect('nope.test:1'), 403);
    } finally {
      await rig.close();
    }
  });

  test('the file watcher picks up a rename-replace', async () => {
    const dir = tempDir();
    const rig = await startRig(CONFIG, { dir, auth: 'off' });
    try {
      const tmp = join(dir, 'config.toml.tmp');
      writeFileSync(tmp, CONFIG.replace('"raw.test" = "allow"', '"raw2.test" = "allow"'));
      const { renameSync } = await import('node:fs');
      renameSync(tmp, rig.configPath);
      const deadline = Date.now() + 3000;
      while (!rig.events.some((e) => e.event === 'policy') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const p = rig.events.find((e) => e.event === 'policy');
      assert.ok(p && p.event === 'policy' && p.status === 'loaded');
      assert.ok(rig.proxy.policy().allow.matchWithZoneFallback('raw2.test'));
    } finally {
      await rig.close();
    }
  });
});
