// The CLI's event lines (core/cli/eventLines.ts): few writes, order kept, nothing lost on flush,
// and a held decision's line out the moment its response head is about to be written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { batchLines } from '../../../core/cli/eventLines';

test('event lines from one turn go out in one write, in order; flush() drains the rest', async () => {
  const writes: string[] = [];
  const lines = batchLines((t) => writes.push(t));
  lines.push('a');
  lines.push('b');
  assert.deepEqual(writes, [], 'nothing written synchronously');
  await tick();
  assert.deepEqual(writes, ['a\nb']);
  lines.push('c');
  lines.flush();
  assert.deepEqual(writes, ['a\nb', 'c']);
  await tick();
  assert.equal(writes.length, 2, 'no empty write after a flush');
});

test('a large burst is written in bounded chunks without waiting for the turn to end', () => {
  const writes: string[] = [];
  const lines = batchLines((t) => writes.push(t));
  for (let i = 0; i < 1100; i++) lines.push(String(i));
  lines.flush();
  assert.ok(writes.length >= 3);
  assert.deepEqual(writes.join('\n').split('\n'), Array.from({ length: 1100 }, (_, i) => String(i)));
});

test('held decisions wait for their response head across turns, then go out with everything before them', async () => {
  const writes: string[] = [];
  const lines = batchLines((t) => writes.push(t), 10_000, 0);
  lines.push('d1', 1);
  lines.push('o0', true);
  lines.push('d2', 2);
  await tick();
  assert.deepEqual(writes, [], 'held lines outlive the turn');
  lines.shown(1);
  assert.deepEqual(writes, ['d1\no0\nd2'], 'written at once, in order');
  lines.shown(2);
  assert.equal(writes.length, 1, 'd2 already went out with d1');
  lines.push('d3', 3);
  lines.shown(2);
  assert.equal(writes.length, 1, 'an older response head does not release a newer line');
  lines.push('policy');
  await tick();
  assert.deepEqual(writes, ['d1\no0\nd2', 'd3\npolicy'], 'an urgent line takes the held ones with it at the end of the turn');
  lines.flush();
});

test('a line that may wait is written within the wait bound even when no head follows', async () => {
  const writes: string[] = [];
  const lines = batchLines((t) => writes.push(t), 30);
  lines.push('d1', 1);
  lines.push('o1', true);
  await sleep(80);
  assert.deepEqual(writes, ['d1\no1']);
});

test('heads shown on their connections in one turn share one write; each connection stays corked until its line is out', async () => {
  const log: string[] = [];
  const lines = batchLines((t) => log.push(`write ${t}`), 10_000, 0);
  const conn = (name: string) => ({ cork: () => log.push(`cork ${name}`), uncork: () => log.push(`uncork ${name}`) });
  lines.push('d1', 1);
  lines.push('d2', 2);
  lines.shown(1, conn('c1'));
  lines.shown(2, conn('c2'));
  assert.deepEqual(log, ['cork c1', 'cork c2'], 'no write of its own per head');
  await tick();
  assert.deepEqual(log, ['cork c1', 'cork c2', 'write d1\nd2', 'uncork c1', 'uncork c2'], 'the lines first, then the responses');
  lines.shown(2, conn('c3'));
  await tick();
  assert.equal(log.length, 5, 'a head whose line is already out is not held back');
  lines.push('d4', 4);
  lines.shown(4, conn('c4'));
  lines.flush();
  assert.deepEqual(log.slice(5), ['cork c4', 'write d4', 'uncork c4'], 'any flush releases the connections it wrote lines for');
  await tick();
  assert.equal(log.length, 8, 'nothing left for the end of the turn');
});

test('under sustained traffic writes are at least the gap apart: later lines and heads wait for its end, nothing is corked', async () => {
  const log: string[] = [];
  const lines = batchLines((t) => log.push(`write ${t}`), 10_000, 60);
  const conn = (name: string) => ({ cork: () => log.push(`cork ${name}`), uncork: () => log.push(`uncork ${name}`) });
  lines.push('error 1');
  await tick();
  assert.deepEqual(log, ['write error 1'], 'outside a gap: the end of the turn');
  const wrote = performance.now();
  lines.push('error 2');
  lines.push('d3', 3);
  lines.shown(3, conn('c3'));
  await tick();
  assert.deepEqual(log, ['write error 1'], 'inside the gap: neither a line nor a head forces a write');
  await sleep(100);
  assert.deepEqual(log, ['write error 1', 'write error 2\nd3'], 'one write at the end of the gap, the head never held back');
  assert.ok(performance.now() - wrote >= 60);
  await sleep(80);
  lines.push('d4', 4);
  lines.shown(4, conn('c4'));
  await tick();
  assert.deepEqual(log.slice(2), ['cork c4', 'write d4', 'uncork c4'], 'after the gap a head waits for its line again');
});

test('an urgent line inside a gap is not kept for the longer wait of a held line queued before it', async () => {
  const writes: string[] = [];
  const lines = batchLines((t) => writes.push(t), 10_000, 40);
  lines.push('first');
  await tick();
  lines.push('d2', 2);
  lines.push('policy');
  await sleep(90);
  assert.deepEqual(writes, ['first', 'd2\npolicy']);
});
