// Response deadlines on one shared sweep (core/proxy/deadlines.ts): a deadline fires once, no
// earlier than its time and within one sweep after it; progress restarts it; a stopped one never
// fires; the sweep stops when nothing is pending.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Deadlines } from '../../../core/proxy/deadlines';

/** Waits until `fired` is set or `limitMs` has passed; the elapsed ms. */
async function firedAfter(started: number, fired: () => number | undefined, limitMs: number): Promise<number | undefined> {
  while (performance.now() - started < limitMs && fired() === undefined) await sleep(5);
  const at = fired();
  return at === undefined ? undefined : at - started;
}

test('a deadline fires once, not before its time and within one sweep (a quarter of it) after', async () => {
  const d = new Deadlines();
  let at: number | undefined;
  let calls = 0;
  const started = performance.now();
  d.start(200, () => {
    calls++;
    at ??= performance.now();
  });
  const elapsed = await firedAfter(started, () => at, 1000);
  assert.ok(elapsed !== undefined, 'fired');
  assert.ok(elapsed >= 200, `not early: ${elapsed}`);
  assert.ok(elapsed < 200 + 50 + 40, `within a sweep (50 ms) plus scheduling slack: ${elapsed}`);
  await sleep(150);
  assert.equal(calls, 1, 'fires once');
  assert.equal(d.size, 0);
});

test('progress restarts a deadline; a stopped deadline never fires, and stop is idempotent', async () => {
  const d = new Deadlines();
  let touchedFired: number | undefined;
  let stoppedFired = false;
  const started = performance.now();
  const touched = d.start(120, () => (touchedFired ??= performance.now()));
  const stopped = d.start(120, () => (stoppedFired = true));
  stopped.stop();
  stopped.stop();
  // Progress every 60 ms for 300 ms: well past 120 ms, and the deadline must not fire meanwhile.
  for (let i = 0; i < 5; i++) {
    await sleep(60);
    touched.touch();
  }
  assert.equal(touchedFired, undefined, 'a deadline kept alive by progress did not fire');
  const lastTouch = performance.now();
  const elapsed = await firedAfter(lastTouch, () => touchedFired, 1000);
  assert.ok(elapsed !== undefined && elapsed >= 120 - 1, `fires ${elapsed} ms after the last progress, not before 120`);
  assert.equal(stoppedFired, false);
  assert.ok(performance.now() - started < 1000);
});

test('the sweep runs only while a deadline is pending (an idle proxy never wakes)', async () => {
  const d = new Deadlines();
  assert.equal(d.sweeping, false);
  const a = d.start(100, () => undefined);
  assert.equal(d.sweeping, true, 'a sweep timer while pending');
  d.start(100, () => undefined).stop();
  a.stop();
  assert.equal(d.size, 0);
  // The next sweep (25 ms for a 100 ms deadline) finds nothing pending and stops its timer.
  await sleep(80);
  assert.equal(d.sweeping, false, 'no timer once nothing is pending');
});
