// A corporate proxy that wants an auth scheme we do not speak (we send Basic only): squid with
// Digest (`digest_file_auth`) and NTLM (`ntlm_fake_auth`) and no Basic, and a small Node fake that
// answers every CONNECT and request with 407 `Negotiate` + `NTLM` (Kerberos needs a domain). Raw
// tunnels, MITM'd requests and plain HTTP get a 502 that names the schemes and the way out
// (cntlm/px, or Basic), not "credentials refused"; one attempt per request (no retry loop); the
// credential never shows in any answer, event or log line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { curl, hasCommand, type CurlResult } from './clients';
import { startSquid, type CorpProxy } from './corpProxy';
import { disposeProxy, startProxy, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const HAS_SQUID = hasCommand('squid') && existsSync('/usr/lib/squid/digest_file_auth') && existsSync('/usr/lib/squid/ntlm_fake_auth');
const CANARY = 'corp-digest-pass-CANARY-7e41c9';
const USER = 'alice';

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
[permissions.it.network.mitm.hooks.strip]
host = "internal-api.company.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["strip"]
[permissions.it.network.mitm.actions.strip]
strip_request_headers = ["cookie"]
`;

const encoded = Buffer.from(`${USER}:${CANARY}`).toString('base64');

/** Every place the credential must never show: curl's view, our stdout/stderr, the events. */
function assertNoCredential(proxy: RunningProxy, results: CurlResult[]): void {
  for (const text of [...results.map((r) => r.all), proxy.stdout(), proxy.stderr()]) {
    assert.ok(!text.includes(CANARY) && !text.includes(encoded), 'the credential leaked');
  }
}

/** A fake corporate proxy that wants Negotiate or NTLM for everything; counts what it was asked. */
async function startNegotiateProxy(): Promise<{ port: number; asked: () => number; close: () => Promise<void> }> {
  let asked = 0;
  const challenge = 'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
  const server = http.createServer((_req, res) => {
    asked++;
    res.writeHead(407, [['Proxy-Authenticate', 'Negotiate'], ['Proxy-Authenticate', 'NTLM'], ['Connection', 'close']]).end();
  });
  server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
    asked++;
    socket.end(challenge);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    asked: () => asked,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('upstream proxy wanting Digest/NTLM/Negotiate: a clear 502, one attempt, no credential shown', () => {
  let up: Upstreams;
  before(async () => {
    up = await startUpstreams();
  });
  after(async () => {
    await up?.close();
  });

  /** A raw tunnel, a MITM'd request and a plain-HTTP request through `proxy`. */
  async function tryAll(proxy: RunningProxy): Promise<{ raw: CurlResult; mitm: CurlResult; plain: CurlResult }> {
    const raw = await curl(`https://api.github.test:${up.https.port}/raw`, { proxy: proxy.proxyUrl, cacert: up.https.caCertPath });
    const mitm = await curl(`https://internal-api.company.test:${up.https.port}/mitm`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    const plain = await curl(`http://plain.test:${up.http.port}/plain`, { proxy: proxy.proxyUrl });
    return { raw, mitm, plain };
  }

  test('squid offering Digest and NTLM (no Basic): raw, MITM and plain requests are 502s naming the schemes', { skip: !HAS_SQUID && 'squid (squid-openssl) with digest_file_auth/ntlm_fake_auth is not installed' }, async () => {
    const corp: CorpProxy = await startSquid({}, { auth: { user: USER, pass: CANARY, schemes: ['digest', 'ntlm'] } });
    let proxy: RunningProxy | undefined;
    try {
      proxy = await startProxy({ config: CONFIG, upstreamCa: [up.https.caCertPath], args: ['--upstream-proxy', corp.url(`${USER}:${CANARY}`)] });
      const since = proxy.mark();
      const { raw, mitm, plain } = await tryAll(proxy);
      const why = /answered 407.*the proxy asks for Digest or NTLM authentication, which codex-netpolicy does not speak \(Basic only\).*cntlm or px.*accept Basic/;
      assert.equal(raw.connectStatus, 502, raw.all);
      await proxy.waitFor((e) => e.event === 'error' && why.test(String(e.message)) && String(e.message).includes(`api.github.test:${up.https.port}`), { since, what: 'the raw tunnel\'s error event' });
      for (const r of [mitm, plain]) {
        assert.equal(r.status, 502, r.all);
        assert.match(r.body, why, r.body);
      }
      assert.match(plain.body, /upstream proxy http:\/\/127\.0\.0\.1:\d+ with credentials answered 407/);
      assert.equal(up.https.received.length + up.http.received.length, 0, 'nothing reached an origin');
      // Squid logs each refused transaction: one per request, so nothing was retried.
      await sleep(500);
      const denied = corp.requests();
      assert.equal(denied.filter((l) => l.startsWith('CONNECT ')).length, 2, denied.join('\n'));
      assert.equal(denied.filter((l) => l.startsWith('GET http://')).length, 1, denied.join('\n'));
      assertNoCredential(proxy, [raw, mitm, plain]);
    } finally {
      await disposeProxy(proxy);
      await corp.close();
    }
  });

  test('a proxy wanting Negotiate or NTLM, with no credential configured: the same 502s, one attempt each', async () => {
    const corp = await startNegotiateProxy();
    const proxy = await startProxy({ config: CONFIG, upstreamCa: [up.https.caCertPath], args: ['--upstream-proxy', `http://127.0.0.1:${corp.port}`] });
    try {
      const since = proxy.mark();
      const { raw, mitm, plain } = await tryAll(proxy);
      const why = /answered 407.*the proxy asks for Negotiate or NTLM authentication, which codex-netpolicy does not speak \(Basic only\).*cntlm or px/;
      assert.equal(raw.connectStatus, 502, raw.all);
      await proxy.waitFor((e) => e.event === 'error' && why.test(String(e.message)), { since, what: 'the raw tunnel\'s error event' });
      for (const r of [mitm, plain]) {
        assert.equal(r.status, 502, r.all);
        assert.match(r.body, why, r.body);
      }
      await sleep(300);
      assert.equal(corp.asked(), 3, 'one CONNECT or request per client request: no retry');
    } finally {
      await disposeProxy(proxy);
      await corp.close();
    }
  });
});
