// Faults: upstreams that accept and never answer (plain, MITM before and after TLS, raw tunnel),
// SIGTERM with requests in flight, a stdout reader that goes away, a policy directory deleted and
// recreated, slowloris clients against the connection cap. Each once failed on main.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { loadPolicyFiles } from '../../core/cli/policyFiles';
import { startProxy } from '../../core/proxy/server';
import type { ProxyEvent } from '../../core/proxy/events';
import { connectTunnel, rawRequest, ResponseReader, startRig, tcp, tempDir, testCa, tlsOver, type Rig } from '../proxy/unit/helpers';
import { CANARY, proxiedGet, spawnProxy } from './spawned';

const SILENT_CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"silent.test" = "allow"
"quiet.test" = "allow"
"raw.test" = "allow"
[permissions.work.network.mitm.hooks.silent]
host = "silent.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["strip_cookie"]
[permissions.work.network.mitm.hooks.quiet]
host = "quiet.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["strip_cookie"]
[permissions.work.network.mitm.actions.strip_cookie]
strip_request_headers = ["cookie"]
`;

/** Accepts TCP connections and never writes a byte. */
async function blackhole(): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server, sockets };
}

const elapsed = (start: number) => performance.now() - start;

describe('upstream accepts, then never answers (response timeout 500 ms)', () => {
  let rig: Rig;
  let hole: Awaited<ReturnType<typeof blackhole>>;
  let quiet: tls.Server;
  let quietPort: number;
  let proxyCa: string;
  before(async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    hole = await blackhole();
    // TLS completes, then silence: MITM after TLS.
    const leaf = ca.leafFor('quiet.test');
    quiet = tls.createServer({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, (s) => s.on('error', () => undefined));
    await new Promise<void>((r) => quiet.listen(0, '127.0.0.1', () => r()));
    quietPort = (quiet.address() as { port: number }).port;
    rig = await startRig(SILENT_CONFIG, { dir, upstreamCaFiles: [ca.certPath], hosts: ['silent.test', 'quiet.test', 'raw.test'], limits: { responseTimeoutMs: 500 } } as never);
    proxyCa = readFileSync(rig.proxy.caCert, 'utf8');
  });
  after(async () => {
    await rig.close();
    for (const s of hole.sockets) s.destroy();
    hole.server.close();
    quiet.close();
  });

  // The reason travels in the request's outcome event (the decision log row), not a separate error.
  const timeoutEvents = () => rig.events.filter((e) => e.event === 'outcome' && e.failure?.reason === 'response_timeout' && /did not answer within 500 ms/.test(e.failure.message));
  const decisionOf = (id: number) => rig.events.find((e) => e.event === 'decision' && e.id === id);

  test('plain HTTP: 504 with the reason, and an event naming the upstream', { timeout: 15_000 }, async () => {
    const start = performance.now();
    const r = await rawRequest(rig.port, `GET http://raw.test:${hole.port}/x HTTP/1.1\r\nHost: raw.test:${hole.port}\r\n\r\n`);
    assert.equal(r.status, 504, r.body);
    assert.match(r.body, /did not answer within 500 ms/);
    assert.ok(elapsed(start) < 10_000);
    const timedOut = timeoutEvents().find((e) => e.event === 'outcome' && e.failure?.message.includes(`raw.test:${hole.port}`));
    assert.ok(timedOut?.event === 'outcome' && timedOut.failure?.status === 504, JSON.stringify(timeoutEvents()));
    const d = decisionOf(timedOut.id);
    assert.ok(d?.event === 'decision' && d.decision === 'allow' && d.host === 'raw.test', 'the outcome belongs to the allowed request');
  });

  test('MITM before TLS (upstream never completes the handshake): 504 inside the tunnel', { timeout: 15_000 }, async () => {
    const { res, socket } = await connectTunnel(rig.port, `silent.test:${hole.port}`);
    assert.equal(res.status, 200);
    const t = await tlsOver(socket, 'silent.test', proxyCa);
    const reader = new ResponseReader(t);
    t.write('GET /a HTTP/1.1\r\nHost: silent.test\r\n\r\n');
    const r = await reader.next(10_000);
    assert.equal(r.status, 504);
    assert.match(r.body, /did not answer/);
    assert.ok(timeoutEvents().some((e) => e.event === 'outcome' && e.failure?.message.includes('silent.test')), 'the MITM request\'s outcome names the reason');
    t.destroy();
  });

  test('MITM after TLS (upstream handshakes, then silence): 504 inside the tunnel', { timeout: 15_000 }, async () => {
    const { res, socket } = await connectTunnel(rig.port, `quiet.test:${quietPort}`);
    assert.equal(res.status, 200);
    const t = await tlsOver(socket, 'quiet.test', proxyCa);
    const reader = new ResponseReader(t);
    t.write('GET /b HTTP/1.1\r\nHost: quiet.test\r\n\r\n');
    const r = await reader.next(10_000);
    assert.equal(r.status, 504);
    t.destroy();
  });

  test('raw tunnel: the client speaks, the upstream stays silent → the tunnel is closed', { timeout: 15_000 }, async () => {
    const { res, socket } = await connectTunnel(rig.port, `raw.test:${hole.port}`);
    assert.equal(res.status, 200);
    const start = performance.now();
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined);
    socket.write('\x16\x03\x01 hello');
    await closed;
    assert.ok(elapsed(start) < 10_000);
    await new Promise((r) => setTimeout(r, 100)); // the outcome follows the upstream socket's close
    assert.ok(rig.events.some((e) => e.event === 'outcome' && e.failure?.reason === 'response_timeout' && e.failure.status === null && /tunnel: upstream raw\.test:\d+ did not answer/.test(e.failure.message)));
  });
});

const ALLOW_SLOW = `
default_permissions = "w"
[permissions.w.network]
enabled = true
allow_local_binding = true
[permissions.w.network.domains]
"slow.test" = "allow"
`;

describe('process faults (the CLI as a user runs it)', () => {
  let slow: http.Server;
  let slowPort: number;
  before(async () => {
    slow = http.createServer((req, res) => setTimeout(() => res.end(`done ${req.url}`), 1500));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    slowPort = (slow.address() as { port: number }).port;
  });
  after(() => {
    slow.closeAllConnections();
    slow.close();
  });

  test('SIGTERM with three slow requests in flight: all three finish, new connections are refused, exit 0', { timeout: 30_000 }, async () => {
    const p = await spawnProxy(ALLOW_SLOW, ['--drain-timeout', '5000'], { hosts: ['slow.test'] });
    const agent = new http.Agent({ keepAlive: false });
    const inflight = [1, 2, 3].map((i) => proxiedGet(p.port, `http://slow.test:${slowPort}/r${i}`, agent));
    await new Promise((r) => setTimeout(r, 400));
    const start = performance.now();
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const late = await proxiedGet(p.port, `http://slow.test:${slowPort}/late`).then(() => 'answered', (e: Error) => e.message);
    const results = await Promise.all(inflight.map((x) => x.then((r) => `${r.status} ${r.body}`, (e: Error) => `error ${e.message}`)));
    const exit = await p.exited;
    assert.deepEqual(results, ['200 done /r1', '200 done /r2', '200 done /r3']);
    assert.match(late, /ECONNREFUSED/);
    assert.equal(exit.code, 0);
    assert.ok(elapsed(start) < 5000 + 3000, 'the drain is bounded');
  });

  test('the stdout reader goes away (EPIPE): the proxy keeps serving and --audit gets every event', { timeout: 30_000 }, async () => {
    const p = await spawnProxy(ALLOW_SLOW.replace('"slow.test" = "allow"', '"slow.test" = "allow"\n"denied.test" = "deny"'), [], { hosts: ['slow.test', 'denied.test'] });
    p.child.stdout!.destroy(); // like `proxy --json | head -1`
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 3; i++) {
      const r = await proxiedGet(p.port, `http://denied.test:${slowPort}/n${i}`);
      assert.equal(r.status, 403);
    }
    assert.equal(p.child.exitCode, null, `the proxy is alive; stderr: ${p.stderr()}`);
    const audit = readFileSync(p.auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; host?: string });
    assert.equal(audit.filter((e) => e.event === 'decision' && e.host === 'denied.test').length, 3);
    assert.doesNotMatch(p.stderr(), /EPIPE|Unhandled/);
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
    assert.ok(!p.stderr().includes(CANARY));
  });
});

describe('policy watcher', () => {
  test('survives its directory being deleted and recreated, says so, and applies later edits', { timeout: 30_000 }, async () => {
    const root = tempDir();
    const dir = join(root, '.codex');
    mkdirSync(dir);
    const configPath = join(dir, 'config.toml');
    const policy = (verdict: string) => ALLOW_SLOW.replace('"slow.test" = "allow"', `"slow.test" = "${verdict}"`);
    writeFileSync(configPath, policy('allow'));
    const proxy = await startProxy({
      load: () => {
        const r = loadPolicyFiles({ config: configPath, env: {} });
        return { ...(r.policy ? { policy: r.policy } : {}), diagnostics: r.diagnostics, files: [configPath] };
      },
      watchFiles: [configPath], caDir: join(root, 'ca'), overrides: new Map([['slow.test', ['127.0.0.1']]]), env: {},
    });
    const permission = () => proxy.policy().effective.domains.find((d) => d.pattern === 'slow.test')?.permission;
    const events: ProxyEvent[] = [];
    proxy.events.onEvent((e) => events.push(e));
    const waitFor = async (pred: (e: ProxyEvent) => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 100; i++) {
        if (events.some(pred)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`no ${what}; events: ${JSON.stringify(events)}`);
    };
    try {
      rmSync(dir, { recursive: true });
      await waitFor((e) => e.event === 'error' && /cannot watch .*\.codex/.test(e.message), 'report that the directory cannot be watched');
      mkdirSync(dir);
      writeFileSync(configPath, policy('deny'));
      await waitFor((e) => e.event === 'policy' && e.status === 'loaded', 'reload after the directory came back');
      assert.equal(permission(), 'deny');
      events.length = 0;
      // An editor's atomic save (write elsewhere, rename over) in the recreated directory.
      writeFileSync(join(dir, '.config.toml.tmp'), policy('allow'));
      renameSync(join(dir, '.config.toml.tmp'), configPath);
      await waitFor((e) => e.event === 'policy' && e.status === 'loaded', 'reload after an atomic save');
      assert.equal(permission(), 'allow');
    } finally {
      await proxy.close();
    }
  });
});

describe('slowloris against the connection cap', () => {
  test('connections over the cap get a fast 503; slow header senders are cut by the headers timeout', { timeout: 30_000 }, async () => {
    const cap = 20;
    const rig = await startRig(ALLOW_SLOW, { hosts: ['slow.test'], limits: { maxConnections: cap, headersTimeoutMs: 1000 } } as never);
    const slowClients: Socket[] = [];
    const statuses: string[] = [];
    try {
      for (let i = 0; i < cap; i++) {
        const s = await tcp(rig.port);
        s.on('error', () => undefined);
        s.on('data', (d: Buffer) => statuses.push(d.toString('latin1').split(' ')[1] ?? ''));
        s.write('GET http://slow.test/ HTTP/1.1\r\nHost: slow.test\r\n');
        slowClients.push(s);
      }
      const drip = setInterval(() => slowClients.forEach((s) => s.writable && s.write('X-Drip: 1\r\n')), 200);
      await new Promise((r) => setTimeout(r, 100));
      const start = performance.now();
      const refused = await rawRequest(rig.port, 'GET http://slow.test/ HTTP/1.1\r\nHost: slow.test\r\n\r\n');
      assert.equal(refused.status, 503);
      assert.match(refused.body, /overloaded/);
      assert.ok(elapsed(start) < 2000, `refusal took ${elapsed(start)} ms`);
      const allClosed = Promise.all(slowClients.map((s) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())))));
      await allClosed;
      clearInterval(drip);
      assert.deepEqual(new Set(statuses), new Set(['408']));
      assert.ok(rig.proxy.load().refused >= 1);
    } finally {
      slowClients.forEach((s) => s.destroy());
      await rig.close();
    }
  });
});
