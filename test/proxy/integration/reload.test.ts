// Hot reload of the policy file while the proxy runs: valid edits take effect on the next request;
// invalid edits (syntax, schema, unresolvable secret) are reported with file:line and the previous
// policy stays enforced. Never fail open.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { curl, header, lastBlock } from './clients';
import { disposeProxy, fixture, startProxy, writeAtomic, type ProxyEvent, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const HEAD = 'default_permissions = "it"\n\n[permissions.it.network]\nenabled = true\nallow_local_binding = true\n\n[permissions.it.network.domains]\n';

interface PolicyDiag {
  file: string;
  line: number;
  col: number;
  message: string;
}

describe('hot reload', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('full.toml'), upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  async function status(host: string): Promise<{ status: number; reason?: string }> {
    const r = await curl(`http://${host}:${up.http.port}/reload-check`, { proxy: proxy.proxyUrl });
    if (r.status === 403) {
      assert.ok(header(lastBlock(r), 'x-proxy-error'));
      return { status: 403, reason: (JSON.parse(r.body) as { reason: string }).reason };
    }
    return { status: r.status };
  }

  async function edit(text: string, expect: 'loaded' | 'invalid', how: 'rename' | 'in-place' = 'rename'): Promise<ProxyEvent> {
    const since = proxy.mark();
    if (how === 'rename') writeAtomic(proxy.configPath, text);
    else writeFileSync(proxy.configPath, text);
    const e = await proxy.waitFor((ev) => ev.event === 'policy', { since, what: `a policy event after the edit (expecting ${expect})` });
    assert.equal(e.status, expect, JSON.stringify(e));
    return e;
  }

  function diagnostics(e: ProxyEvent): PolicyDiag[] {
    const d = e.diagnostics as PolicyDiag[];
    assert.ok(Array.isArray(d) && d.length > 0, 'an invalid policy event lists diagnostics');
    return d;
  }

  test('a valid edit (editor-style rename) allows a new host on the next request', async () => {
    assert.deepEqual(await status('other.test'), { status: 403, reason: 'not_allowed' });
    await edit(`${HEAD}"plain.test" = "allow"\n"other.test" = "allow"\n`, 'loaded');
    assert.deepEqual(await status('other.test'), { status: 200 });
  });

  test('an in-place write is picked up too, and can take a host away', async () => {
    await edit(`${HEAD}"other.test" = "allow"\n`, 'loaded', 'in-place');
    assert.deepEqual(await status('plain.test'), { status: 403, reason: 'not_allowed' });
    assert.deepEqual(await status('other.test'), { status: 200 });
  });

  test('a syntax error: policy event "invalid" with file and line; the previous policy stays enforced', async () => {
    // Were this half-parsed, "*" would allow everything: it must not.
    const broken = `${HEAD}"*" = "allow"\n"other.test" = "allow\n`;
    const e = await edit(broken, 'invalid');
    const d = diagnostics(e);
    assert.ok(d.some((x) => x.file === proxy.configPath && x.line === 9), JSON.stringify(d));
    assert.deepEqual(await status('internal-api.company.test'), { status: 403, reason: 'not_allowed' });
    assert.deepEqual(await status('plain.test'), { status: 403, reason: 'not_allowed' });
    assert.deepEqual(await status('other.test'), { status: 200 });
  });

  test('a schema error (unknown mode) is invalid, pointing at its line; old policy kept', async () => {
    const text = 'default_permissions = "it"\n\n[permissions.it.network]\nenabled = true\nmode = "everything"\nallow_local_binding = true\ndomains = { "*" = "allow" }\n';
    const d = diagnostics(await edit(text, 'invalid'));
    assert.ok(d.some((x) => x.line === 5), JSON.stringify(d));
    assert.deepEqual(await status('plain.test'), { status: 403, reason: 'not_allowed' });
  });

  test('an injected secret the proxy cannot resolve makes the edit invalid, without failing open', async () => {
    const text = `${HEAD}"*" = "allow"\n
[permissions.it.network.mitm.hooks.h]
host = "api.github.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]

[permissions.it.network.mitm.actions.inject]
[[permissions.it.network.mitm.actions.inject.inject_request_headers]]
name = "authorization"
secret_env_var = "IT_RELOAD_TOKEN_THAT_IS_NOT_SET"
`;
    const d = diagnostics(await edit(text, 'invalid'));
    assert.ok(d.some((x) => /IT_RELOAD_TOKEN_THAT_IS_NOT_SET/.test(x.message)), JSON.stringify(d));
    assert.deepEqual(await status('plain.test'), { status: 403, reason: 'not_allowed' });
    assert.deepEqual(await status('other.test'), { status: 200 });
  });

  test('fixing the file loads it again', async () => {
    await edit(`${HEAD}"plain.test" = "allow"\n"**.tracker.test" = "deny"\n`, 'loaded');
    assert.deepEqual(await status('plain.test'), { status: 200 });
    assert.deepEqual(await status('other.test'), { status: 403, reason: 'not_allowed' });
    assert.deepEqual(await status('a.tracker.test'), { status: 403, reason: 'denied' });
  });
});
