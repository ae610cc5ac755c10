// `proxy --workers 2`: a second process accepts on the primary's listener. What must not change:
// one ordered event stream (stdout and --audit, from the primary), the 407 credential, injected
// secrets, hot reload, upstream verification and a clean stop of every process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { nodeFetch, type FetchResult } from './clients';
import { disposeProxy, fixture, startProxy, writeAtomic, type ProxyEvent, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const CANARY = `canary-workers-${randomBytes(12).toString('hex')}`;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Status of a bare CONNECT (no credentials) on a fresh connection. */
function bareConnect(proxy: RunningProxy, target: string): Promise<number> {
  const u = new URL(proxy.bareUrl);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port) }, () => s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    s.once('data', (b: Buffer) => {
      s.destroy();
      resolve(Number(b.toString('latin1').slice(9, 12)));
    });
    s.once('error', reject);
  });
}

/**
 * Batches of parallel requests, each on its own connection, until a worker has judged one and the
 * primary one too (which process accepts a connection is the kernel's choice: a whole batch can go
 * to either). Returns every response.
 */
async function untilBothServe(proxy: RunningProxy, send: () => Promise<FetchResult>): Promise<FetchResult[]> {
  const out: FetchResult[] = [];
  const since = proxy.mark();
  for (let batch = 0; batch < 12; batch++) {
    out.push(...(await Promise.all(Array.from({ length: 12 }, send))));
    const decisions = proxy.events.slice(since).filter((e) => e.event === 'decision');
    if (decisions.some((e) => e.worker === 1) && decisions.some((e) => e.worker === undefined)) return out;
  }
  assert.fail('no request was judged by the worker process, or none by the primary');
}

describe('--workers 2', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  let secretFile: string;
  before(async () => {
    up = await startUpstreams();
    secretFile = join(up.https.caCertPath, '..', 'audit-source');
    writeFileSync(secretFile, 'workers-audit-source\n');
    proxy = await startProxy({
      config: fixture('inject.toml', { AUDIT_SECRET_FILE: secretFile }), env: { IT_GITHUB_TOKEN: CANARY },
      upstreamCa: [up.https.caCertPath], audit: true, args: ['--workers', '2'],
    });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  const hooked = (): Promise<FetchResult> => nodeFetch(`https://api.github.test:${up.https.port}/repos/myorg/x`, {
    proxy: proxy.proxyUrl, ca: [proxy.listening.caCert], headers: { authorization: 'Bearer client-token' },
  });

  test('a worker serves beside the primary; its requests get the secret and appear in the one numbered stream', async () => {
    assert.equal(childrenOf(proxy.child.pid!).length, 1, 'one worker process');
    const since = proxy.mark();
    const received = up.https.received.length;
    const results = await untilBothServe(proxy, hooked);
    for (const r of results) assert.equal(r.status, 200, r.error ?? r.body);
    const got = up.https.received.slice(received);
    assert.equal(got.length, results.length);
    for (const r of got) assert.equal(r.headers.authorization, `Bearer ${CANARY}`);
    // Every decision once (the CONNECT and the request inside), ids increasing in stream order;
    // every outcome follows its decision.
    await proxy.waitFor(() => proxy.events.slice(since).filter((e) => e.event === 'outcome').length >= results.length, { what: 'all outcomes' });
    const events = proxy.events.slice(since);
    const ids = events.filter((e) => e.event === 'decision').map((e) => e.id as number);
    assert.equal(ids.length, 2 * results.length);
    ids.forEach((id, i) => i > 0 && assert.ok(id > ids[i - 1]!, `ids increase: ${ids.join(',')}`));
    const seen = new Set<number>();
    for (const e of events) {
      if (e.event === 'decision') seen.add(e.id as number);
      if (e.event === 'outcome') assert.ok(seen.has(e.id as number), `outcome ${String(e.id)} after its decision`);
    }
    assert.ok(events.some((e) => e.event === 'decision' && e.worker === undefined), 'the primary served some too');
    // The audit file (written by the primary only) has the workers' decisions, and no secret.
    const audit = readFileSync(proxy.auditPath!, 'utf8');
    assert.ok(!audit.includes(CANARY) && !proxy.stdout().includes(CANARY));
    const audited = audit.trim().split('\n').map((l) => JSON.parse(l) as ProxyEvent).filter((e) => e.event === 'decision' && ids.includes(e.id as number));
    assert.equal(audited.length, ids.length);
  });

  test('every process asks for the credential (407)', async () => {
    const statuses = await Promise.all(Array.from({ length: 24 }, () => bareConnect(proxy, `api.github.test:${up.https.port}`)));
    assert.deepEqual([...new Set(statuses)], [407]);
  });

  test('a policy edit reaches the worker: the host is denied whichever process serves', async () => {
    const since = proxy.mark();
    writeAtomic(proxy.configPath, fixture('inject.toml', { AUDIT_SECRET_FILE: secretFile }).replace('"api.github.test" = "allow"', '"api.github.test" = "deny"'));
    await proxy.waitFor((e) => e.event === 'policy' && e.status === 'loaded', { since, what: 'the reload' });
    // The worker reloads on the primary's word, a moment later: wait until it denies too. The
    // CONNECT itself is refused now, so the client sees no response at all.
    const deadline = Date.now() + 10_000;
    let mark = proxy.mark();
    let results: FetchResult[];
    const allowed = (): ProxyEvent[] => proxy.events.slice(mark).filter((e) => e.event === 'decision' && e.decision === 'allow');
    do {
      mark = proxy.mark();
      results = await untilBothServe(proxy, hooked);
    } while (allowed().length && Date.now() < deadline);
    assert.deepEqual(allowed(), []);
    for (const r of results) assert.notEqual(r.status, 200, r.body);
    assert.equal(proxy.events.slice(since).filter((e) => e.event === 'policy').length, 1, 'one policy event, from the primary');
  });

  test('SIGTERM stops the worker too', async () => {
    const [worker] = childrenOf(proxy.child.pid!);
    assert.ok(worker);
    const exit = await proxy.stop();
    assert.equal(exit.code, 0);
    assert.throws(() => process.kill(worker, 0), /ESRCH/);
  });
});

describe('--workers 2, upstream verification', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  before(async () => {
    up = await startUpstreams();
    // No --upstream-ca: the upstream's own test CA is not trusted by either process.
    proxy = await startProxy({ config: fixture('limited.toml'), args: ['--workers', '2'] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('an untrusted upstream certificate is refused (502) by the worker as by the primary', async () => {
    const results = await untilBothServe(proxy, () => nodeFetch(`https://api.github.test:${up.https.port}/secret-path`, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert] }));
    for (const r of results) assert.equal(r.status, 502, r.error ?? r.body);
    assert.equal(up.https.received.length, 0);
  });
});
