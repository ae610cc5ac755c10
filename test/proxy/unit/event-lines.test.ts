// The CLI writes event lines once per event-loop turn: order kept, nothing lost on flush.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { batchLines } from '../../../core/cli/proxy';

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
