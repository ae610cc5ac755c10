// The proxy's idle collector (core/proxy/memory.ts): after a load, once idle, the heap V8 grew is
// given back; never while work is being started; a heap that stays large (live data) is left alone
// after a bounded number of attempts. With V8's own collections the effect shows in the load suite
// (proxy-load.test.ts: RSS after the load within 1.5x of the warm baseline); in a test runner that
// keeps allocating, V8 shrinks by itself, so that part is not asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectWhenIdle } from '../../core/proxy/memory';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('collects only when idle, and only after the heap grew', async () => {
  let heap = 100;
  let activity = 0;
  let collections = 0;
  const stop = collectWhenIdle({ activity: () => activity, intervalMs: 20, heapSize: () => heap, collect: () => { collections++; heap = 100; } });
  try {
    heap = 300;
    const busy = setInterval(() => activity++, 5);
    await sleep(200);
    clearInterval(busy);
    assert.equal(collections, 0, 'no collection while requests keep starting');
    await sleep(200);
    assert.equal(collections, 2, 'one attempt (two collections) once idle');
    await sleep(200);
    assert.equal(collections, 2, 'nothing more while the heap stays small');
    heap = 110;
    activity++;
    await sleep(200);
    assert.equal(collections, 2, 'growth below 1.25x is not worth a collection');
  } finally {
    stop();
  }
});

test('a single idle interval between bursts does not collect (the hot code survives short gaps)', async () => {
  let collections = 0;
  let activity = 0;
  let heap = 100;
  const stop = collectWhenIdle({ activity: () => activity, intervalMs: 40, settleIntervals: 3, heapSize: () => heap, collect: () => collections++ });
  try {
    heap = 500;
    // Bursts with gaps of about one interval: never three idle intervals in a row.
    for (let i = 0; i < 8; i++) {
      activity++;
      await sleep(60);
    }
    assert.equal(collections, 0, 'no collection in gaps shorter than the settle time');
    await sleep(300);
    assert.ok(collections >= 2, `collects once the gap lasts (${collections})`);
  } finally {
    stop();
  }
});

test('a heap that does not shrink (live data) gets at most three attempts per idle period', async () => {
  let collections = 0;
  let activity = 0;
  let heap = 100;
  const stop = collectWhenIdle({ activity: () => activity, intervalMs: 20, heapSize: () => heap, collect: () => collections++ });
  try {
    heap = 500;
    await sleep(400);
    assert.equal(collections, 6);
    activity++; // new work, then idle again: the live size is the new baseline
    await sleep(400);
    assert.equal(collections, 6);
  } finally {
    stop();
  }
});
