// Decision log table logic: sort keys, grouping by host, overview buckets and top blocked hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupByHost, overview, sortIndexes, statusOf } from '../../client/logic/table';
import { rowText } from '../../client/logic/rows';
import { ev } from './sample';

const T0 = Date.parse('2026-12-05T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const events = [
  ev({ id: 1, time: at(0), host: 'a.test', decision: 'allow', upstreamStatus: 200, bytes: 2048, durationMs: 12 }),
  ev({ id: 2, time: at(1), host: 'b.test', decision: 'deny', reason: 'denied', status: 403 }),
  ev({ id: 3, time: at(20), host: 'a.test', decision: 'allow', upstreamStatus: 404, bytes: 10, durationMs: 3 }),
  ev({ id: 4, time: at(45), host: 'b.test', decision: 'deny', reason: 'denied', status: 403 }),
  ev({ id: 5, time: at(46), host: 'c.test', decision: 'deny', reason: 'not_allowed', status: 403 }),
];

test('status is the upstream\'s when known, the proxy\'s on a block, empty for a pending allow', () => {
  assert.equal(statusOf(events[0]!), 200);
  assert.equal(statusOf(events[1]!), 403);
  assert.equal(statusOf(ev({ decision: 'allow', status: 200 })), null);
  assert.deepEqual([rowText(events[0]!).status, rowText(events[0]!).bytes, rowText(events[0]!).duration], ['200', '2.0 KB', '12 ms']);
});

test('sorting by a column, ties in arrival order', () => {
  const idx = () => events.map((_, i) => i);
  assert.deepEqual(sortIndexes(events, idx(), { column: 'status', descending: true }), [2, 1, 3, 4, 0]);
  assert.deepEqual(sortIndexes(events, idx(), { column: 'bytes', descending: false }), [1, 3, 4, 2, 0]);
  assert.deepEqual(sortIndexes(events, idx(), { column: 'host', descending: false }), [0, 2, 1, 3, 4]);
  assert.deepEqual(sortIndexes(events, idx(), { column: 'time', descending: true }), [4, 3, 2, 1, 0]);
});

test('grouping by host counts allowed and blocked, and hides a collapsed group\'s rows', () => {
  const items = groupByHost(events, [0, 1, 2, 3, 4], new Set(['b.test']));
  assert.deepEqual(items, [
    { kind: 'group', host: 'a.test', allowed: 2, blocked: 0, collapsed: false }, { kind: 'row', index: 0 }, { kind: 'row', index: 2 },
    { kind: 'group', host: 'b.test', allowed: 0, blocked: 2, collapsed: true },
    { kind: 'group', host: 'c.test', allowed: 0, blocked: 1, collapsed: false }, { kind: 'row', index: 4 },
  ]);
});

test('overview: buckets sized to the span, top blocked hosts by count', () => {
  const o = overview(events);
  assert.equal(o.bucketMs, 5_000); // 46 s fits in under 30 buckets of 5 s
  assert.equal(o.buckets.length, 10);
  assert.deepEqual(o.buckets[0], { start: T0, allowed: 1, blocked: 1 });
  assert.equal(o.buckets.reduce((n, b) => n + b.allowed + b.blocked, 0), events.length);
  assert.deepEqual(o.topBlocked, [{ host: 'b.test', count: 2 }, { host: 'c.test', count: 1 }]);
  assert.deepEqual([o.allowed, o.blocked], [2, 3]);
  assert.deepEqual(overview([]).buckets, []);
});
