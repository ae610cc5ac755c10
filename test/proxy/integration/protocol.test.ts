// The stdout protocol's contract: every line the real proxy writes is exactly what the shared
// schema (core/proxy/protocol.ts) describes. A field the writer adds, renames or retypes shows up
// here as a difference between the line and its parse (the schema drops unknown keys and replaces
// malformed values with defaults).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseProxyLine } from '../../../core/proxy/protocol';
import { curl } from './clients';
import { disposeProxy, fixture, startProxy, writeAtomic, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

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

test('every stdout line of a real run parses to itself under the shared schema', async () => {
  assert.equal((await curl(`http://plain.test:${up.http.port}/`, { proxy: proxy.bareUrl })).status, 200);
  assert.equal((await curl(`http://x.tracker.test:${up.http.port}/`, { proxy: proxy.bareUrl })).status, 403);
  assert.equal((await curl(`https://api.github.test:${up.https.port}/`, { proxy: proxy.bareUrl, cacert: up.https.caCertPath })).status, 200);
  const since = proxy.mark();
  writeAtomic(proxy.configPath, `${fixture('full.toml')}\n[permissions.it.network.domains.broken\n`);
  await proxy.waitFor((e) => e.event === 'policy' && e.status === 'invalid', { since, what: 'the rejected reload' });
  await proxy.stop();
  const lines = proxy.stdout().split('\n').filter((l) => l.trim());
  const kinds = new Set<string>();
  for (const line of lines) {
    const parsed = parseProxyLine(line);
    kinds.add(parsed.event);
    assert.deepEqual(parsed, JSON.parse(line), `line drifts from the schema: ${line}`);
  }
  for (const k of ['listening', 'decision', 'outcome', 'policy']) assert.ok(kinds.has(k), `a ${k} line was written`);
});
