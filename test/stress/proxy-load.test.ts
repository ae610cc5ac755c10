// Load: many concurrent clients with mixed traffic (allowed plain, denied plain, MITM with a hook
// that injects a canary secret), paced; then a saturating burst against a small connection cap.
// Figures: requests, errors, p99, RSS before/after, fds. Short profile in `npm test`, the long one
// (1,000 clients for 60 s) in `npm run test:stress`. Traffic only to loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { ResponseReader, tcp, tempDir, testCa } from '../proxy/unit/helpers';
import { fdCount, figure, percentile, rssMb, scale } from './profile';
import { CANARY, proxiedGet, retries, spawnProxy, type Spawned } from './spawned';

const CLIENTS = scale(100, 1000);
const SECONDS = Number(process.env.STRESS_SECONDS ?? scale(5, 60));
const MITM_SHARE = Number(process.env.STRESS_MITM_SHARE ?? 0.1);
// Paced: each client waits PACE_MS x (0.5…1.5) between its requests, so the offered rate
// (CLIENTS / PACE_MS per second) stays below what the proxy serves; saturation is the second test.
const PACE_MS = Number(process.env.STRESS_PACE_MS ?? scale(50, 2000));
/** After the load, RSS is sampled each second for up to this long until it is back within 1.5x. */
const SETTLE_MS = 20_000;

const config = (mitmPort: number) => `
default_permissions = "load"
[permissions.load.network]
enabled = true
allow_local_binding = true
[permissions.load.network.domains]
"ok.test" = "allow"
"api.test" = "allow"
"no.test" = "deny"
[permissions.load.network.mitm.hooks.api]
host = "api.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[permissions.load.network.mitm.actions.inject]
[[permissions.load.network.mitm.actions.inject.inject_request_headers]]
name = "authorization"
secret_env_var = "STRESS_TOKEN"
prefix = "Bearer "
# mitm upstream port ${mitmPort}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tally {
  latencies: number[];
  allowedErrors: string[];
  denied: number;
  ok: number;
}

/** One client: a keep-alive loop of plain allowed / plain denied requests until `until`. */
async function plainClient(port: number, upPort: number, until: number, t: Tally, paceMs: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; performance.now() < until; i++) {
      const denied = i % 5 === 4;
      const start = performance.now();
      try {
        const r = await proxiedGet(port, `http://${denied ? 'no' : 'ok'}.test:${upPort}/r${i}`, agent, 20_000);
        t.latencies.push(performance.now() - start);
        if (denied) {
          if (r.status === 403) t.denied++;
          else t.allowedErrors.push(`denied path got ${r.status}`);
        } else if (r.status === 200) t.ok++;
        else t.allowedErrors.push(`status ${r.status}`);
      } catch (e) {
        if (!denied) t.allowedErrors.push((e as Error).message);
      }
      await sleep(paceMs * (0.5 + Math.random()));
    }
  } finally {
    agent.destroy();
  }
}

/** One MITM client: a tunnel, TLS with the proxy's CA, keep-alive GETs that the hook decorates. */
async function mitmClient(port: number, upPort: number, caPem: string, until: number, t: Tally, paceMs: number): Promise<void> {
  let socket: Socket | undefined;
  try {
    socket = await tcp(port);
    const head = new ResponseReader(socket);
    socket.write(`CONNECT api.test:${upPort} HTTP/1.1\r\nHost: api.test:${upPort}\r\n\r\n`);
    const res = await head.next(20_000);
    socket.removeAllListeners('data');
    if (res.status !== 200) throw new Error(`CONNECT ${res.status}`);
    const tt = tls.connect({ socket, servername: 'api.test', ca: caPem });
    await new Promise<void>((r, j) => tt.once('secureConnect', () => r()).once('error', j));
    const reader = new ResponseReader(tt);
    for (let i = 0; performance.now() < until; i++) {
      const start = performance.now();
      tt.write(`GET /m${i} HTTP/1.1\r\nHost: api.test\r\n\r\n`);
      const r = await reader.next(20_000);
      t.latencies.push(performance.now() - start);
      if (r.status === 200 && r.body === 'authorized') t.ok++;
      else t.allowedErrors.push(`mitm ${r.status} ${r.body}`);
      await sleep(paceMs * (0.5 + Math.random()));
    }
    tt.destroy();
  } catch (e) {
    t.allowedErrors.push(`mitm: ${(e as Error).message}`);
  } finally {
    socket?.destroy();
  }
}

async function round(p: Spawned, ports: { plain: number; mitm: number }, caPem: string, clients: number, seconds: number, paceMs: number): Promise<Tally> {
  const t: Tally = { latencies: [], allowedErrors: [], denied: 0, ok: 0 };
  const until = performance.now() + seconds * 1000;
  const all: Promise<void>[] = [];
  for (let c = 0; c < clients; c++) {
    all.push(c < clients * MITM_SHARE ? mitmClient(p.port, ports.mitm, caPem, until, t, paceMs) : plainClient(p.port, ports.plain, until, t, paceMs));
    if (c % 50 === 49) await sleep(20); // ramp up
  }
  await Promise.all(all);
  return t;
}

describe(`proxy under load (${CLIENTS} clients, ${SECONDS} s)`, () => {
  let plain: http.Server;
  let api: https.Server;
  let ports: { plain: number; mitm: number };
  let caFile: string;
  before(async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    caFile = ca.certPath;
    plain = http.createServer((req, res) => res.end(`ok ${req.url}`));
    plain.keepAliveTimeout = 30_000;
    const leaf = ca.leafFor('api.test');
    api = https.createServer({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, (req, res) => {
      res.end(req.headers.authorization === `Bearer ${CANARY}` ? 'authorized' : 'no token');
    });
    api.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', 1024, () => r()));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', 1024, () => r()));
    ports = { plain: (plain.address() as { port: number }).port, mitm: (api.address() as { port: number }).port };
  });
  after(() => {
    for (const s of [plain, api]) {
      s.closeAllConnections();
      s.close();
    }
  });

  test('paced: 0 errors on allowed paths, memory and fds return after the load', { timeout: (SECONDS * 3 + 120) * 1000 }, async () => {
    const p = await spawnProxy(config(ports.mitm), ['--auth', 'off', '--upstream-ca', caFile], { hosts: ['ok.test', 'no.test', 'api.test'] });
    try {
      const caPem = readFileSync(`${p.dir}/ca/ca.pem`, 'utf8');
      await round(p, ports, caPem, 50, 2, 20); // warm-up
      await sleep(1000);
      const warm = { rss: rssMb(p.child.pid!), fds: fdCount(p.child.pid!) };
      let peak = warm.rss;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(p.child.pid!))), 1000);
      const loadStart = performance.now();
      const t = await round(p, ports, caPem, CLIENTS, SECONDS, PACE_MS);
      const loadSeconds = (performance.now() - loadStart) / 1000;
      clearInterval(sampler);
      await sleep(3000);
      const rss3s = rssMb(p.child.pid!);
      let settledS = 3;
      while (rssMb(p.child.pid!) > warm.rss * 1.5 && settledS * 1000 < SETTLE_MS) {
        await sleep(1000);
        settledS++;
      }
      const afterLoad = { rss: rssMb(p.child.pid!), fds: fdCount(p.child.pid!) };
      figure('proxy paced load', {
        clients: CLIENTS, seconds: SECONDS, paceMs: PACE_MS, requests: t.latencies.length, reqPerS: t.latencies.length / loadSeconds, keepAliveRetries: retries.count, ok: t.ok, denied: t.denied, allowedErrors: t.allowedErrors.length,
        p50ms: percentile(t.latencies, 50), p99ms: percentile(t.latencies, 99), maxMs: percentile(t.latencies, 100),
        rssWarmMb: warm.rss, rssPeakMb: peak, rssAfter3sMb: rss3s, rssAfterMb: afterLoad.rss, settledS, fdsWarm: warm.fds, fdsAfter: afterLoad.fds,
      });
      p.child.kill('SIGTERM'); // first, so a failed assertion below still lets the proxy exit normally
      const exit = await p.exited;
      assert.deepEqual(t.allowedErrors.slice(0, 5), []);
      assert.ok(t.ok > CLIENTS, 'traffic flowed');
      assert.ok(afterLoad.rss <= warm.rss * 1.5, `RSS after load ${afterLoad.rss.toFixed(0)} MB > 1.5x warm ${warm.rss.toFixed(0)} MB`);
      // The upstream agents keep up to 2 x 64 idle keep-alive sockets for a minute: allowed, nothing more.
      assert.ok(afterLoad.fds <= warm.fds + 2 * 64 + 10, `fds ${warm.fds} -> ${afterLoad.fds}`);
      assert.equal(exit.code, 0);
      const outputs = [p.stdout(), p.stderr(), readFileSync(p.auditPath, 'utf8')];
      assert.equal(outputs.filter((o) => o.includes(CANARY)).length, 0, 'the canary secret never reaches stdout, stderr or the audit file');
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  test('saturated: over the cap, refusals are fast 503s and nothing else fails', { timeout: 120_000 }, async () => {
    const cap = 100;
    const p = await spawnProxy(config(ports.mitm), ['--auth', 'off', '--max-connections', String(cap)], { hosts: ['ok.test'] });
    try {
      const burst = scale(400, 3000);
      const results: { status: number | string; ms: number }[] = [];
      // Hold `cap` connections open, then a burst of new ones.
      const held: Socket[] = [];
      for (let i = 0; i < cap; i++) {
        const s = netConnect({ host: '127.0.0.1', port: p.port });
        s.on('error', () => undefined);
        held.push(s);
      }
      await sleep(500);
      await Promise.all(Array.from({ length: burst }, async () => {
        const start = performance.now();
        try {
          const r = await proxiedGet(p.port, `http://ok.test:${ports.plain}/b`, new http.Agent({ keepAlive: false }), 20_000);
          results.push({ status: r.status, ms: performance.now() - start });
        } catch (e) {
          results.push({ status: (e as Error).message, ms: performance.now() - start });
        }
      }));
      held.forEach((s) => s.destroy());
      const refused = results.filter((r) => r.status === 503);
      const other = results.filter((r) => r.status !== 503 && r.status !== 200);
      figure('proxy saturated', { cap, burst, refused: refused.length, ok: results.filter((r) => r.status === 200).length, otherErrors: other.length, refusalP99Ms: percentile(refused.map((r) => r.ms), 99) });
      assert.ok(refused.length > 0, 'the cap refused connections');
      assert.deepEqual(other.slice(0, 5), [], 'refusals are 503s, not resets or timeouts');
      await sleep(500);
      const after = await proxiedGet(p.port, `http://ok.test:${ports.plain}/after`);
      assert.equal(after.status, 200, 'serves again once the load is gone');
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
