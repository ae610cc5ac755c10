// The proxy's own 502s as outcomes (docs/semantics.md #8 session 7): curl through a real proxy to a
// closed port, an origin whose certificate the proxy does not trust, an upstream that closes
// mid-response and a corporate upstream proxy that is down. Each request gets exactly one outcome
// whose failure names the reason, the status the client got and a scrubbed message; what the client
// sees (502, its body, no x-proxy-error) is as before. Canaries: an injected header secret and the
// upstream proxy URL's password never show in any event or in what the client got.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { curl, header, lastBlock, type CurlResult } from './clients';
import { decisionFor, disposeProxy, startProxy, type ProxyEvent, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const SECRET = `injected-CANARY-${randomBytes(8).toString('hex')}`;
const PROXY_PASS = `corp-pass-CANARY-${randomBytes(8).toString('hex')}`;

const CONFIG = `
default_permissions = "it"
[permissions.it.network]
enabled = true
mode = "full"
allow_local_binding = true
[permissions.it.network.domains]
"api.github.test" = "allow"
"internal-api.company.test" = "allow"
"plain.test" = "allow"
"other.test" = "allow"
[permissions.it.network.mitm.hooks.inject]
host = "internal-api.company.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[[permissions.it.network.mitm.actions.inject.inject_request_headers]]
name = "x-injected"
secret_env_var = "IT_SECRET"
`;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** An upstream that reads the request, sends half a response head and closes. */
async function halfHead(): Promise<{ port: number; server: Server }> {
  const server = createServer((sock) => {
    sock.once('data', () => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Le');
      sock.destroy();
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, server };
}

type Failure = { reason: string; status: number | null; message: string };

/** The one outcome of the request for `host` made after `mark`: its failure (asserting no second outcome). */
async function failureOf(p: RunningProxy, host: string, mark: number): Promise<Failure> {
  // A MITM'd tunnel's CONNECT decision has no outcome of its own: the request inside it does.
  const d = await decisionFor(p, host, mark, (e) => !(e.mitm === true && e.method === 'CONNECT'));
  const o = await p.waitFor((e) => e.event === 'outcome' && e.id === d.id, { since: mark, what: `the outcome for ${host}` });
  // Later events have had time to arrive once a second request's outcome is in; a plain wait is enough here.
  await new Promise((r) => setTimeout(r, 150));
  const all = p.events.slice(mark).filter((e: ProxyEvent) => e.event === 'outcome' && e.id === d.id);
  assert.equal(all.length, 1, `exactly one outcome: ${JSON.stringify(all)}`);
  assert.ok(o.failure, `a failure on ${JSON.stringify(o)}`);
  return o.failure as Failure;
}

function assertClean(p: RunningProxy, r: CurlResult): void {
  for (const canary of [SECRET, PROXY_PASS]) {
    assert.ok(!p.stdout().includes(canary), 'canary in the proxy output');
    assert.ok(!p.stderr().includes(canary), 'canary in the proxy stderr');
    assert.ok(!r.all.includes(canary), 'canary in what the client got');
  }
}

describe('proxy failures as outcomes: direct', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  let half: { port: number; server: Server };
  before(async () => {
    up = await startUpstreams();
    half = await halfHead();
    // No upstreamCa: the test origin's certificate is not trusted by the proxy.
    proxy = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET } });
  });
  after(async () => {
    await disposeProxy(proxy);
    half?.server.close();
    await up?.close();
  });

  test('a closed port: plain request, MITM request and raw tunnel are 502 upstream_unreachable', async () => {
    const port = await closedPort();
    let mark = proxy.mark();
    const p = await curl(`http://plain.test:${port}/x`, { proxy: proxy.proxyUrl });
    assert.equal(p.status, 502);
    assert.equal(p.body, 'upstream failure');
    assert.equal(header(lastBlock(p), 'x-proxy-error'), undefined);
    let f = await failureOf(proxy, 'plain.test', mark);
    assert.deepEqual([f.reason, f.status], ['upstream_unreachable', 502]);
    assert.match(f.message, new RegExp(`^upstream plain\\.test:${port}: .*ECONNREFUSED`));
    assertClean(proxy, p);

    mark = proxy.mark();
    const m = await curl(`https://internal-api.company.test:${port}/x`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(m.connectStatus, 200);
    assert.equal(m.status, 502);
    assert.equal(m.body, 'mitm upstream error');
    f = await failureOf(proxy, 'internal-api.company.test', mark);
    assert.deepEqual([f.reason, f.status], ['upstream_unreachable', 502], f.message);
    assertClean(proxy, m);

    mark = proxy.mark();
    const t = await curl(`https://other.test:${port}/x`, { proxy: proxy.proxyUrl });
    assert.equal(t.connectStatus, 502);
    f = await failureOf(proxy, 'other.test', mark);
    assert.deepEqual([f.reason, f.status], ['upstream_unreachable', 502]);
    assert.match(f.message, new RegExp(`^upstream other\\.test:${port}: `));
  });

  test('an origin with an untrusted certificate (MITM): 502 upstream_tls, nothing sent, the secret stays out', async () => {
    const mark = proxy.mark();
    const n = up.https.received.length;
    const r = await curl(`https://internal-api.company.test:${up.https.port}/x`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(r.connectStatus, 200);
    assert.equal(r.status, 502);
    assert.equal(r.body, 'mitm upstream error');
    assert.equal(header(lastBlock(r), 'x-proxy-error'), undefined);
    assert.equal(up.https.received.length, n);
    const f = await failureOf(proxy, 'internal-api.company.test', mark);
    assert.deepEqual([f.reason, f.status], ['upstream_tls', 502], f.message);
    assert.match(f.message, /certificate/i);
    // The existing error event stays for other readers.
    assert.ok(proxy.events.slice(mark).some((e) => e.event === 'error' && /mitm upstream internal-api\.company\.test/.test(String(e.message))));
    assertClean(proxy, r);
  });

  test('an upstream that closes mid-response head: 502 upstream_closed', async () => {
    const mark = proxy.mark();
    const r = await curl(`http://plain.test:${half.port}/x`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 502);
    assert.equal(r.body, 'upstream failure');
    assert.equal(header(lastBlock(r), 'x-proxy-error'), undefined);
    const f = await failureOf(proxy, 'plain.test', mark);
    assert.deepEqual([f.reason, f.status], ['upstream_closed', 502], f.message);
    assert.match(f.message, new RegExp(`^upstream plain\\.test:${half.port}: `));
  });
});

describe('proxy failures as outcomes: a corporate upstream proxy that is down', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  let corpPort: number;
  before(async () => {
    up = await startUpstreams();
    corpPort = await closedPort();
    proxy = await startProxy({ config: CONFIG, env: { IT_SECRET: SECRET }, upstreamCa: [up.https.caCertPath], args: ['--upstream-proxy', `http://corp-user:${PROXY_PASS}@127.0.0.1:${corpPort}`] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('raw tunnel, MITM and plain requests: 502 upstream_proxy naming the proxy, never its password', async () => {
    const cases: [string, string, (r: CurlResult) => number][] = [
      ['other.test', `https://other.test:${up.https.port}/x`, (r) => r.connectStatus],
      ['internal-api.company.test', `https://internal-api.company.test:${up.https.port}/x`, (r) => r.status],
      ['plain.test', `http://plain.test:${up.http.port}/x`, (r) => r.status],
    ];
    for (const [host, url, statusOf] of cases) {
      const mark = proxy.mark();
      const r = await curl(url, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
      assert.equal(statusOf(r), 502, `${host}: ${r.all}`);
      const f = await failureOf(proxy, host, mark);
      assert.deepEqual([f.reason, f.status], ['upstream_proxy', 502], `${host}: ${f.message}`);
      assert.match(f.message, new RegExp(`^upstream proxy failure for ${host.replace(/\./g, '\\.')}:\\d+: upstream proxy http://127\\.0\\.0\\.1:${corpPort} (with credentials )?refused the connection`), f.message);
      assert.ok(!f.message.includes(PROXY_PASS));
      // The error event other readers use is still written.
      assert.ok(proxy.events.slice(mark).some((e) => e.event === 'error' && String(e.message).includes(`upstream proxy failure for ${host}`)));
      assertClean(proxy, r);
    }
  });
});
