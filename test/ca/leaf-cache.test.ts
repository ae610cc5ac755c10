// Leaf cache: reuse, shared key, expiry-driven reissue (injected clock), LRU bound, no key leaks.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { join } from 'node:path';
import { CaError, loadOrCreateCa } from '../../core/ca/index';
import { tempDir } from './helpers';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const freshDir = (): string => join(tmp.path, `ca${n++}`);

/** A controllable clock starting at a fixed instant (whole seconds, like certificate times). */
function clock(start = Date.UTC(2030, 5, 1, 12, 0, 0)) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v), advance: (ms: number) => (t += ms), start };
}

describe('leaf cache', () => {
  it('same host twice → the same cached objects; timings printed', async (t) => {
    const t0 = performance.now();
    const ca = await loadOrCreateCa(freshDir());
    const t1 = performance.now();
    const a = ca.leafFor('example.test');
    const t2 = performance.now();
    const b = ca.leafFor('example.test');
    const t3 = performance.now();
    const ctx1 = ca.secureContextFor('example.test');
    const t4 = performance.now();
    const ctx2 = ca.secureContextFor('example.test');
    const t5 = performance.now();
    const N = 200;
    for (let i = 0; i < N; i++) ca.leafFor(`host${i}.example.test`);
    const t6 = performance.now();
    for (let i = 0; i < N; i++) ca.secureContextFor(`host${i}.example.test`);
    const t7 = performance.now();
    assert.equal(a, b);
    assert.equal(ctx1, ctx2);
    t.diagnostic(`CA creation: ${(t1 - t0).toFixed(2)} ms`);
    t.diagnostic(`first leaf (this file's first; may include leaf keygen): ${(t2 - t1).toFixed(3)} ms`);
    t.diagnostic(`cached leaf lookup: ${((t3 - t2) * 1000).toFixed(1)} µs`);
    t.diagnostic(`first secureContext: ${(t4 - t3).toFixed(3)} ms, cached: ${((t5 - t4) * 1000).toFixed(1)} µs`);
    t.diagnostic(`new leaf, key reused: ${((t6 - t5) / N).toFixed(3)} ms avg over ${N}`);
    t.diagnostic(`new secureContext for a cached leaf: ${((t7 - t6) / N).toFixed(3)} ms avg over ${N}`);
  });

  it('spellings of one host share an entry', async () => {
    const ca = await loadOrCreateCa(freshDir());
    assert.equal(ca.leafFor('Example.TEST.'), ca.leafFor('example.test'));
    assert.equal(ca.leafFor('[::1]'), ca.leafFor('0:0::1'));
    assert.equal(ca.leafFor('fe80::1%eth0'), ca.leafFor('fe80::1'));
    assert.equal(ca.leafFor('::1').host, '::1');
  });

  it('one key pair is reused across hosts (and across CAs in the process)', async () => {
    const ca = await loadOrCreateCa(freshDir());
    const other = await loadOrCreateCa(freshDir());
    const a = ca.leafFor('a.test');
    const b = ca.leafFor('b.test');
    const c = other.leafFor('c.test');
    assert.notEqual(a.certPem, b.certPem);
    assert.equal(a.keyPem, b.keyPem);
    assert.equal(a.keyPem, c.keyPem);
    const pa = new X509Certificate(a.certPem).publicKey;
    assert.ok(pa.equals(new X509Certificate(b.certPem).publicKey));
  });

  it('reissues a leaf with less than a day left, keeps it before that', async () => {
    const c = clock();
    const ca = await loadOrCreateCa(freshDir(), { now: c.now });
    const first = ca.leafFor('example.test');
    const ctx = ca.secureContextFor('example.test');
    assert.equal(first.notBefore.getTime(), c.start - HOUR);
    assert.equal(first.notAfter.getTime(), c.start + 30 * DAY);
    c.set(first.notAfter.getTime() - DAY); // exactly one day left: still fine
    assert.equal(ca.leafFor('example.test'), first);
    c.advance(1000); // under a day left
    const second = ca.leafFor('example.test');
    assert.notEqual(second, first);
    assert.notEqual(second.serialHex, first.serialHex);
    assert.equal(second.notBefore.getTime(), c.now() - HOUR);
    assert.notEqual(ca.secureContextFor('example.test'), ctx, 'context follows the reissued leaf');
    assert.equal(ca.leafFor('example.test'), second);
  });

  it('reissues an expired leaf, and one not yet valid (clock stepped back)', async () => {
    const c = clock();
    const ca = await loadOrCreateCa(freshDir(), { now: c.now });
    const first = ca.leafFor('example.test');
    c.advance(40 * DAY);
    const expiredReplacement = ca.leafFor('example.test');
    assert.notEqual(expiredReplacement, first);
    assert.ok(expiredReplacement.notAfter.getTime() > c.now());
    c.advance(-2 * HOUR); // before the new leaf's notBefore
    assert.notEqual(ca.leafFor('example.test'), expiredReplacement);
  });

  it('leaf validity never exceeds the CA; issuing after CA expiry fails clearly', async () => {
    const c = clock();
    const ca = await loadOrCreateCa(freshDir(), { now: c.now });
    c.set(ca.notAfter.getTime() - 10 * DAY);
    assert.equal(ca.leafFor('late.test').notAfter.getTime(), ca.notAfter.getTime());
    c.set(ca.notAfter.getTime() + 1000);
    assert.throws(() => ca.leafFor('after.test'), (e: unknown) => e instanceof CaError && /CA certificate expired/.test(e.message));
  });

  it('is bounded: least recently used hosts are evicted', async () => {
    const ca = await loadOrCreateCa(freshDir(), { leafCacheSize: 2 });
    const a = ca.leafFor('a.test');
    const b = ca.leafFor('b.test');
    assert.equal(ca.leafFor('a.test'), a); // touch a: b is now least recently used
    ca.leafFor('c.test'); // evicts b
    assert.equal(ca.leafFor('a.test'), a);
    assert.notEqual(ca.leafFor('b.test'), b);
  });

  it('rejects a nonsensical cache size', async () => {
    await assert.rejects(loadOrCreateCa(freshDir(), { leafCacheSize: 0 }), RangeError);
  });

  it('leaves and handles do not leak key material through inspect or JSON', async () => {
    const ca = await loadOrCreateCa(freshDir());
    const leaf = ca.leafFor('example.test');
    assert.match(leaf.keyPem, /BEGIN PRIVATE KEY/); // reachable on purpose...
    for (const shown of [inspect(leaf, { depth: 5 }), JSON.stringify(leaf), inspect(ca, { depth: 5 }), JSON.stringify(ca)]) {
      assert.doesNotMatch(shown, /PRIVATE KEY/); // ...but never printed by accident
    }
  });
});
