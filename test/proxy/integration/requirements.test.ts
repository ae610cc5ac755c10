// Managed requirements (--requirements) on a running proxy: a managed deny beats the user's allow,
// the decision names the requirements file, and edits to requirements.toml reload too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { curl, header, lastBlock } from './clients';
import { decisionFor, disposeProxy, fixture, startProxy, writeAtomic, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

describe('managed requirements', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  const requirements = fixture('managed-requirements.toml');
  before(async () => {
    up = await startUpstreams();
    proxy = await startProxy({ config: fixture('user-allows.toml'), requirements, upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('a managed deny wins over the user allow; the event points into requirements.toml', async () => {
    const since = proxy.mark();
    const r = await curl(`http://plain.test:${up.http.port}/`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 403);
    assert.equal(header(lastBlock(r), 'x-proxy-error'), 'blocked-by-denylist');
    assert.equal(up.http.received.length, 0);
    const d = await decisionFor(proxy, 'plain.test', since);
    assert.equal(d.reason, 'denied');
    const rule = d.rule as { file: string; line: number };
    assert.equal(rule.file, proxy.requirementsPath);
    assert.equal(rule.line, requirements.split('\n').findIndex((l) => l.includes('"plain.test"')) + 1);
  });

  test('hosts the requirements leave alone follow the user config', async () => {
    const r = await curl(`http://other.test:${up.http.port}/ok`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 200, r.stderr);
  });

  test('editing requirements.toml reloads: a new managed deny applies to the next request', async () => {
    const since = proxy.mark();
    writeAtomic(proxy.requirementsPath!, `${requirements}"other.test" = "deny"\n`);
    const e = await proxy.waitFor((ev) => ev.event === 'policy', { since, what: 'a policy event after editing requirements.toml' });
    assert.equal(e.status, 'loaded');
    const r = await curl(`http://other.test:${up.http.port}/`, { proxy: proxy.proxyUrl });
    assert.equal(r.status, 403);
    assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'denied');
  });

  test('a broken requirements.toml is reported and the managed denies stay in force', async () => {
    const since = proxy.mark();
    writeAtomic(proxy.requirementsPath!, '[experimental_network\nenabled = true\n');
    const e = await proxy.waitFor((ev) => ev.event === 'policy', { since, what: 'a policy event after breaking requirements.toml' });
    assert.equal(e.status, 'invalid');
    const d = e.diagnostics as { file: string; line: number }[];
    assert.ok(d.some((x) => x.file === proxy.requirementsPath && x.line === 1), JSON.stringify(d));
    for (const host of ['plain.test', 'other.test']) {
      const r = await curl(`http://${host}:${up.http.port}/`, { proxy: proxy.proxyUrl });
      assert.equal(r.status, 403, `${host} must stay denied`);
    }
  });
});
