// An https:// corporate proxy: Debian's squid on an `https_port` (TLS to the proxy itself, its
// certificate from a test CA made here) sits between our proxy and the local upstreams. Raw
// tunnels, MITM'd requests and plain HTTP go through it over TLS; the origin's certificate is
// still verified end to end inside the tunnel. An untrusted proxy certificate is a 502 naming the
// proxy, never a fallback. With BasicAuth a byte-recording relay between our proxy and squid
// shows the credential only ever crosses inside TLS, and it never shows in our output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { loadOrCreateCa, type CaHandle } from '../../../core/ca/index';
import { curl, hasCommand, nodeFetch } from './clients';
import { startRecordingRelay, startSquid, type CorpProxy, type RecordingRelay, type SquidTls } from './corpProxy';
import { curlH2 } from './h2Client';
import { startH2Upstream, type H2Upstream } from './h2Upstream';
import { disposeProxy, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const HAS_SQUID = hasCommand('squid') && existsSync('/usr/lib/squid/basic_ncsa_auth');
const SKIP = !HAS_SQUID && 'squid (squid-openssl) is not installed';
const CANARY = 'corp-tls-pass-CANARY-8d2b71';
const SECRET = 'https-chain-secret-3a9c';
const TLS_HANDSHAKE = 0x16;

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
"bad-cert.test" = "allow"
[permissions.it.network.mitm.hooks.inject]
host = "internal-api.company.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[permissions.it.network.mitm.hooks.bad]
host = "bad-cert.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[permissions.it.network.mitm.actions.inject]
strip_request_headers = ["cookie"]
[[permissions.it.network.mitm.actions.inject.inject_request_headers]]
name = "x-injected"
secret_env_var = "IT_SECRET"
`;

/** The corporate proxy's certificate: a leaf for 127.0.0.1 from a CA made for the test. */
async function corpTls(dir: TempDir): Promise<SquidTls & { caPath: string }> {
  const ca = await loadOrCreateCa(join(dir.path, 'corp-ca'));
  const leaf = ca.leafFor('127.0.0.1');
  const certPath = join(dir.path, 'corp-cert.pem');
  const keyPath = join(dir.path, 'corp-key.pem');
  writeFileSync(certPath, leaf.certPem);
  writeFileSync(keyPath, leaf.keyPem, { mode: 0o644 }); // read by squid (a test key, nothing else)
  return { certPath, keyPath, caPath: ca.certPath };
}

/**
 * An origin whose certificate must fail our proxy's check: for `bad-cert.test` a leaf from a CA
 * nobody trusts, for any other name a trusted CA's leaf for `someone-else.test`.
 */
async function startBadOrigin(trusted: CaHandle, dir: TempDir): Promise<{ port: number; hits: () => number; server: Server }> {
  const rogue = await loadOrCreateCa(join(dir.path, 'rogue-ca'));
  const ctx = (ca: CaHandle, name: string): ReturnType<typeof createSecureContext> => {
    const leaf = ca.leafFor(name);
    return createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
  };
  const untrusted = ctx(rogue, 'bad-cert.test');
  const misnamed = ctx(trusted, 'someone-else.test');
  let hits = 0;
  const server = createServer({ SNICallback: (name, cb) => cb(null, name === 'bad-cert.test' ? untrusted : misnamed) }, (_req, res) => {
    hits++;
    res.end('must not be reached');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, hits: () => hits, server };
}

/** Squid logs a transaction when it ends: wait until `pred` holds for its log. */
async function corpLogged(corp: CorpProxy, pred: (lines: string[]) => boolean): Promise<string[]> {
  for (let i = 0; i < 50; i++) {
    if (pred(corp.requests())) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return corp.requests();
}

const count = (lines: string[], line: string): number => lines.filter((l) => l === line).length;

/** Every connection the relay carried opened with a TLS handshake and shows none of `needles` in clear. */
function assertOnlyTls(relay: RecordingRelay, needles: string[], from = 0): void {
  const conns = relay.sent().slice(from);
  assert.ok(conns.length > 0, 'the relay carried no connection');
  for (const bytes of [...conns, ...relay.received().slice(from)]) {
    for (const n of needles) assert.ok(!bytes.includes(n), `"${n}" crossed in cleartext`);
  }
  for (const bytes of conns) assert.equal(bytes[0], TLS_HANDSHAKE, `a connection opened with ${JSON.stringify(bytes.subarray(0, 16).toString('latin1'))}, not TLS`);
}

describe('https:// corporate proxy (squid https_port) trusted with --upstream-ca', { skip: SKIP }, () => {
  let dir: TempDir;
  let up: Upstreams;
  let tls: SquidTls & { caPath: string };
  let corp: CorpProxy;
  let bad: Awaited<ReturnType<typeof startBadOrigin>>;
  let h2: H2Upstream;
  let proxy: RunningProxy;
  before(async () => {
    dir = tempDir('corp-tls-');
    up = await startUpstreams();
    h2 = await startH2Upstream('h2');
    tls = await corpTls(dir);
    corp = await startSquid({}, { tls });
    bad = await startBadOrigin(up.https.ca, dir);
    proxy = await startProxy({
      config: CONFIG, upstreamCa: [up.https.caCertPath, tls.caPath, h2.caCertPath], env: { IT_SECRET: SECRET },
      resolve: ['bad-cert.test=127.0.0.1'], args: ['--upstream-proxy', corp.url()],
    });
  });
  after(async () => {
    await disposeProxy(proxy);
    await corp?.close();
    bad?.server.close();
    await h2?.close();
    await up?.close();
    dir?.cleanup();
  });

  test('the listening line names the https:// upstream proxy', () => {
    assert.equal(proxy.listening.upstreamProxy, `https://127.0.0.1:${corp.port}`);
  });

  test('a raw CONNECT tunnel goes through it; curl verifies the origin end to end', async () => {
    const line = `CONNECT 127.0.0.1:${up.https.port}`;
    const n = count(corp.requests(), line);
    const r = await curl(`https://api.github.test:${up.https.port}/raw`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(r.code, 0, r.all);
    assert.equal(r.status, 200);
    assert.equal(up.https.received.at(-1)?.url, '/raw');
    const seen = await corpLogged(corp, (l) => count(l, line) > n);
    assert.equal(count(seen, line), n + 1, seen.join('\n'));
  });

  test("MITM'd requests go through it: the hook strips and injects (curl, Node fetch)", async () => {
    const url = `https://internal-api.company.test:${up.https.port}/mitm`;
    const c = await curl(url, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, headers: ['Cookie: session=from-client'] });
    assert.equal(c.status, 200, c.all);
    const seen = JSON.parse(c.body) as { headers: Record<string, string> };
    assert.equal(seen.headers['x-injected'], SECRET);
    assert.equal(seen.headers.cookie, undefined);
    const f = await nodeFetch(url, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert], headers: { cookie: 'a=b' } });
    assert.equal(f.status, 200, f.error);
    assert.equal((JSON.parse(f.body) as { headers: Record<string, string> }).headers['x-injected'], SECRET);
  });

  test('h2 inside MITM: curl --http2 and an h2 origin, through a CONNECT tunnel over TLS to it', async () => {
    const r = await curlH2(`https://internal-api.company.test:${h2.port}/h2`, proxy.proxyUrl, proxy.listening.caCert);
    assert.equal(r.status, 200, r.body);
    const got = h2.seen.at(-1);
    assert.equal(got?.httpVersion, '2.0', 'the origin was reached over h2');
    assert.equal(got?.headers['x-injected'], SECRET);
  });

  test('plain HTTP goes to it in absolute-form over TLS', async () => {
    const r = await curl(`http://plain.test:${up.http.port}/plain`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 200, r.all);
    const seen = await corpLogged(corp, (l) => l.includes(`GET http://127.0.0.1:${up.http.port}/plain`));
    assert.ok(seen.includes(`GET http://127.0.0.1:${up.http.port}/plain`), seen.join('\n'));
  });

  test("through the tunnel the origin's certificate is still verified: untrusted CA or wrong name is a 502", async () => {
    for (const host of ['bad-cert.test', 'internal-api.company.test']) {
      const r = await curl(`https://${host}:${bad.port}/x`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
      assert.equal(r.status, 502, `${host}: ${r.all}`);
      assert.match(r.body, /mitm upstream error/i, r.body);
    }
    assert.equal(bad.hits(), 0, 'no request reached an origin that failed verification');
  });

  test("once our proxy's pooled MITM tunnels close, squid has logged them as CONNECTs", async () => {
    await proxy.stop();
    const seen = await corpLogged(corp, (l) => count(l, `CONNECT 127.0.0.1:${bad.port}`) >= 2 && count(l, `CONNECT 127.0.0.1:${up.https.port}`) >= 2 && l.includes(`CONNECT 127.0.0.1:${h2.port}`));
    assert.ok(seen.includes(`CONNECT 127.0.0.1:${h2.port}`), seen.join('\n'));
    assert.ok(count(seen, `CONNECT 127.0.0.1:${up.https.port}`) >= 2, seen.join('\n'));
    assert.ok(count(seen, `CONNECT 127.0.0.1:${bad.port}`) >= 2, seen.join('\n'));
  });

  test('its certificate not trusted (no --upstream-ca for it): a 502 naming the proxy, never direct or cleartext', async () => {
    const relay = await startRecordingRelay(corp.port);
    const untrusted = await startProxy({ config: CONFIG, upstreamCa: [up.https.caCertPath], env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', `https://127.0.0.1:${relay.port}`] });
    try {
      const name = `https://127.0.0.1:${relay.port}`;
      const before = up.https.received.length + up.http.received.length;
      const logged = corp.requests().length;
      const mark = untrusted.mark();
      const raw = await curl(`https://api.github.test:${up.https.port}/raw`, { proxy: untrusted.proxyUrl, cacert: up.https.caCertPath });
      assert.equal(raw.connectStatus, 502, raw.all);
      const err = await untrusted.waitFor((e) => e.event === 'error' && String(e.message).includes('api.github.test'), { since: mark, what: 'the tunnel error event' });
      assert.match(String(err.message), new RegExp(`upstream proxy ${name.replace(/\./g, '\\.')}.*certificate`));
      const mitm = await curl(`https://internal-api.company.test:${up.https.port}/m`, { proxy: untrusted.proxyUrl, cacert: untrusted.listening.caCert });
      assert.equal(mitm.status, 502, mitm.all);
      const plain = await curl(`http://plain.test:${up.http.port}/p`, { proxy: untrusted.proxyUrl });
      assert.equal(plain.status, 502, plain.all);
      for (const body of [mitm.body, plain.body]) {
        assert.ok(body.includes(`upstream proxy ${name}`), body);
        assert.match(body, /presented a certificate that is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): trust its CA with --upstream-ca/, body);
      }
      assert.equal(up.https.received.length + up.http.received.length, before, 'nothing went direct');
      assert.deepEqual(corp.requests().slice(logged).filter((l) => !l.includes(' error:')), [], 'squid forwarded nothing');
      assertOnlyTls(relay, ['CONNECT ', 'GET ', SECRET]);
    } finally {
      await disposeProxy(untrusted);
      await relay.close();
    }
  });

  test("a trusted certificate that does not name the proxy's host or IP is refused too", async () => {
    // The certificate is for 127.0.0.1; the proxy is named `localhost`, or reached at 127.0.0.2 (no SNI for an IP, still checked).
    const other = await startRecordingRelay(corp.port, '127.0.0.2');
    try {
      for (const [host, port] of [['localhost', corp.port], ['127.0.0.2', other.port]] as const) {
        const misnamed = await startProxy({ config: CONFIG, upstreamCa: [up.https.caCertPath, tls.caPath], env: { IT_SECRET: SECRET }, args: ['--upstream-proxy', `https://${host}:${port}`] });
        try {
          const r = await curl(`http://plain.test:${up.http.port}/p`, { proxy: misnamed.proxyUrl });
          assert.equal(r.status, 502, r.all);
          assert.match(r.body, new RegExp(`upstream proxy https://${host}:${port} presented a certificate that is not valid for ${host}`), r.body);
        } finally {
          await disposeProxy(misnamed);
        }
      }
      assert.equal(other.sent().length, 1, 'the 127.0.0.2 proxy was dialled once');
    } finally {
      await other.close();
    }
  });
});

describe('https:// corporate proxy with BasicAuth: the credential only inside TLS', { skip: SKIP }, () => {
  let dir: TempDir;
  let up: Upstreams;
  let corp: CorpProxy;
  let relay: RecordingRelay;
  let tls: SquidTls & { caPath: string };
  const started: RunningProxy[] = [];
  const encoded = Buffer.from(`alice:${CANARY}`).toString('base64');
  const viaRelay = (credentials?: string): string => `https://${credentials ? `${credentials}@` : ''}127.0.0.1:${relay.port}`;
  const start = async (args: string[], env: Record<string, string> = {}, audit = false): Promise<RunningProxy> => {
    const p = await startProxy({ config: CONFIG, upstreamCa: [up.https.caCertPath, tls.caPath], env: { IT_SECRET: SECRET, ...env }, args, audit });
    started.push(p);
    return p;
  };
  before(async () => {
    dir = tempDir('corp-tls-auth-');
    up = await startUpstreams();
    tls = await corpTls(dir);
    corp = await startSquid({}, { tls, auth: { user: 'alice', pass: CANARY } });
    relay = await startRecordingRelay(corp.port);
  });
  after(async () => {
    for (const p of started) await disposeProxy(p);
    await relay?.close();
    await corp?.close();
    await up?.close();
    dir?.cleanup();
  });

  test('--upstream-proxy https://user:pass@…: raw, MITM and plain requests succeed; the relay sees only TLS', async () => {
    const proxy = await start(['--upstream-proxy', viaRelay(`alice:${CANARY}`)], {}, true);
    assert.equal(proxy.listening.upstreamProxy, `${viaRelay()} with credentials`);
    const raw = await curl(`https://api.github.test:${up.https.port}/raw`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    assert.equal(raw.status, 200, raw.all);
    const f = await nodeFetch(`https://internal-api.company.test:${up.https.port}/f`, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert] });
    assert.equal(f.status, 200, f.error);
    assert.equal((JSON.parse(f.body) as { headers: Record<string, string> }).headers['x-injected'], SECRET);
    const plain = await curl(`http://plain.test:${up.http.port}/plain`, { proxy: proxy.proxyUrl });
    assert.equal(plain.status, 200, plain.all);
    for (const r of [...up.https.received, ...up.http.received]) assert.equal(r.headers['proxy-authorization'], undefined);
    assert.ok(relay.sent().length >= 3, 'three connections went to the corporate proxy');
    // 127.0.0.1 too: an IP-literal proxy gets no SNI (RFC 6066), the only cleartext place it could be.
    assertOnlyTls(relay, [CANARY, encoded, 'Proxy-Authorization', 'CONNECT ', SECRET, '127.0.0.1']);
    assert.doesNotMatch(proxy.stderr(), /Warning/);
  });

  test('no credential or a wrong one: a 502 naming the 407, never the credential', async () => {
    const missing = await start(['--upstream-proxy', viaRelay()]);
    const m = await curl(`https://internal-api.company.test:${up.https.port}/x`, { proxy: missing.proxyUrl, cacert: missing.listening.caCert });
    assert.equal(m.status, 502, m.all);
    assert.match(m.body, new RegExp(`upstream proxy ${viaRelay().replace(/\./g, '\\.')}: CONNECT .* answered 407.*the proxy requires credentials`), m.body);
    const wrong = await start(['--upstream-proxy', viaRelay('alice:wrong-CANARY-5e')]);
    const w = await curl(`http://plain.test:${up.http.port}/x`, { proxy: wrong.proxyUrl });
    assert.equal(w.status, 502, w.all);
    assert.match(w.body, /with credentials.*answered 407 \(the credentials in the proxy URL were refused\)/, w.body);
    for (const text of [m.all, w.all, wrong.stdout(), wrong.stderr(), JSON.stringify(wrong.events)]) assert.ok(!text.includes('wrong-CANARY-5e'));
  });

  test('HTTPS_PROXY=https://user:pass@… in the startup environment: the same route', async () => {
    const from = relay.sent().length;
    const proxy = await start([], { HTTPS_PROXY: viaRelay(`alice:${CANARY}`) });
    assert.equal(proxy.listening.upstreamProxy, `${viaRelay()} with credentials`);
    const r = await curl(`https://internal-api.company.test:${up.https.port}/env`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(r.status, 200, r.all);
    assert.equal((JSON.parse(r.body) as { headers: Record<string, string> }).headers['x-injected'], SECRET);
    assertOnlyTls(relay, [CANARY, encoded, 'Proxy-Authorization', 'CONNECT '], from);
  });

  test("the credential never shows in any proxy's stdout, stderr, events or audit file", () => {
    assert.ok(started.length >= 3);
    for (const p of started) {
      const audit = p.auditPath ? readFileSync(p.auditPath, 'utf8') : '';
      for (const text of [p.stdout(), p.stderr(), JSON.stringify(p.events), audit]) {
        assert.ok(!text.includes(CANARY), 'credential leaked');
        assert.ok(!text.includes(encoded), 'encoded credential leaked');
      }
    }
  });
});
