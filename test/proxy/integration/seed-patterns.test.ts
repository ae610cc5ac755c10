// The four practical patterns of seed 000 ("Codex CLI MITM Hooks"), end to end with curl, in the
// form current Codex accepts (test/fixtures/proxy/seed-patterns.toml = examples/demo with *.test hosts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { curl, header, lastBlock, type CurlResult } from './clients';
import { decisionFor, disposeProxy, fixture, startProxy, type RunningProxy } from './harness';
import { startUpstreams, type ReceivedRequest, type Upstreams } from './upstreams';

const CI_TOKEN = `canary-ci-${randomBytes(12).toString('hex')}`;
const NPM_TOKEN = `canary-npm-${randomBytes(12).toString('hex')}`;

describe('seed 000 patterns', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({
      config: fixture('seed-patterns.toml'),
      env: { CI_GITHUB_TOKEN: CI_TOKEN, NPM_PUBLISH_TOKEN: NPM_TOKEN },
      upstreamCa: [up.https.caCertPath],
      audit: true,
    });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  /** Sends one request through the MITM'd tunnel; returns the response and what the upstream got. */
  async function send(method: string, host: string, path: string, headers: string[] = []): Promise<{ r: CurlResult; got: ReceivedRequest | undefined }> {
    const n = up.https.received.length;
    const r = await curl(`https://${host}:${up.https.port}${path}`, {
      proxy: proxy.proxyUrl,
      cacert: proxy.listening.caCert,
      ...(method === 'HEAD' ? { extra: ['-I'] } : { method }), // curl -X HEAD would wait for a body
      headers: ['x-echo-quiet: 1', ...headers],
      ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { data: '{}' } : {}),
    });
    assert.ok(r.code === 0 || r.status > 0, `curl failed: ${r.stderr}`);
    assert.ok(!r.all.includes(CI_TOKEN) && !r.all.includes(NPM_TOKEN), 'no secret reaches the client');
    return { r, got: up.https.received.length > n ? up.https.received[up.https.received.length - 1] : undefined };
  }

  function assertHookBlocked(r: CurlResult, got: ReceivedRequest | undefined): void {
    assert.equal(r.status, 403);
    assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-mitm-hook');
    assert.equal(got, undefined, 'blocked request reached the upstream');
  }

  test('pattern 1: leaked credentials are stripped from writes to GitHub', async () => {
    const since = proxy.mark();
    const { r, got } = await send('POST', 'api.github.test', '/repos/openai/codex/issues', [
      'Authorization: Bearer ghp_leakedFromShell',
      'X-Api-Key: leaked-key',
      'Cookie: session=leaked',
      'Accept: application/vnd.github+json',
    ]);
    assert.equal(r.status, 200, r.stderr);
    assert.ok(got);
    assert.equal(got.method, 'POST');
    assert.equal(got.headers.authorization, undefined);
    assert.equal(got.headers['x-api-key'], undefined);
    assert.equal(got.headers.cookie, undefined);
    assert.equal(got.headers.accept, 'application/vnd.github+json');
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.method === 'POST');
    assert.equal(d.hook, 'strip_all_auth');
    assert.deepEqual((d.headers as { inject: string[] }).inject, []);
  });

  test('pattern 2: reads of the org repos carry the CI token, never the agent\'s', async () => {
    const since = proxy.mark();
    const { r, got } = await send('GET', 'api.github.test', '/repos/myorg/service/pulls', ['Authorization: token agent-own-token']);
    assert.equal(r.status, 200, r.stderr);
    assert.equal(got?.headers.authorization, `Bearer ${CI_TOKEN}`);
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.method === 'GET');
    assert.equal(d.hook, 'github_controlled_access');
    assert.deepEqual((d.headers as { inject: string[] }).inject, ['authorization']);
    // Reads outside /repos/myorg/ match no hook on this hooked host: default deny.
    const other = await send('GET', 'api.github.test', '/repos/someone-else/x');
    assertHookBlocked(other.r, other.got);
  });

  test('pattern 3: the internal API is read-only', async () => {
    const read = await send('GET', 'internal-api.company.test', '/v1/users', ['Authorization: Bearer internal-session']);
    assert.equal(read.r.status, 200, read.r.stderr);
    assert.equal(read.got?.headers.authorization, 'Bearer internal-session', 'pass-through leaves the request unmodified');
    const head = await send('HEAD', 'internal-api.company.test', '/v1/users');
    assert.equal(head.r.status, 200);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const since = proxy.mark();
      const w = await send(method, 'internal-api.company.test', '/v1/users/1');
      assertHookBlocked(w.r, w.got);
      const d = await decisionFor(proxy, 'internal-api.company.test', since, (e) => e.decision === 'deny');
      assert.equal(d.reason, 'mitm_hook_denied');
      assert.equal(d.method, method);
    }
  });

  test('pattern 4: registry reads anywhere, publishes only under /-/package/ with the publish token', async () => {
    const read = await send('GET', 'registry.npmjs.test', '/express');
    assert.equal(read.r.status, 200, read.r.stderr);
    assert.equal(read.got?.headers.authorization, undefined);

    const since = proxy.mark();
    const publish = await send('PUT', 'registry.npmjs.test', '/-/package/my-pkg/dist-tags/latest', ['Authorization: Bearer npm_agentToken']);
    assert.equal(publish.r.status, 200, publish.r.stderr);
    assert.equal(publish.got?.headers.authorization, `Bearer ${NPM_TOKEN}`);
    const d = await decisionFor(proxy, 'registry.npmjs.test', since, (e) => e.method === 'PUT');
    assert.equal(d.hook, 'registry_publish');

    const elsewhere = await send('PUT', 'registry.npmjs.test', '/my-pkg');
    assertHookBlocked(elsewhere.r, elsewhere.got);
    const del = await send('DELETE', 'registry.npmjs.test', '/-/package/my-pkg');
    assertHookBlocked(del.r, del.got);
  });

  test('the denylisted tracker stays blocked at CONNECT', async () => {
    const r = await curl(`https://tracker.test:${up.https.port}/`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert });
    assert.equal(r.connectStatus, 403);
    assert.equal(header(r.blocks[0], 'x-proxy-error'), 'blocked-by-denylist');
  });

  test('neither token appears in proxy output or the audit file', async () => {
    await new Promise((r) => setTimeout(r, 200));
    for (const [what, text] of [['stdout', proxy.stdout()], ['stderr', proxy.stderr()], ['audit', readFileSync(proxy.auditPath!, 'utf8')]] as const) {
      assert.ok(!text.includes(CI_TOKEN), `${what} contains CI_GITHUB_TOKEN`);
      assert.ok(!text.includes(NPM_TOKEN), `${what} contains NPM_PUBLISH_TOKEN`);
    }
  });
});
