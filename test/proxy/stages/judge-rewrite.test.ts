import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DecisionRequest } from '../../../core/policy/decide';
import { check, judge } from '../../../core/proxy/stages/judge';
import { rewriteHeaders } from '../../../core/proxy/stages/rewrite';
import { stageRig, TOKEN, type StageRig } from './rig';

const inner = (host: string, path: string): DecisionRequest => ({ kind: 'inner', tunnelHost: host, port: 443, method: 'GET', path, query: '' });
const meta = { method: 'GET', path: '/x?secret=1', client: '127.0.0.1:1', startedAt: performance.now() };

describe('judge and rewrite stages', () => {
  let rig: StageRig;
  before(async () => {
    rig = await stageRig();
  });
  after(() => rig.close());

  test('judge records exactly one decision event, with the profile in force and no query', async () => {
    const j = await judge(rig.ctx, { kind: 'connect', authority: 'blocked.test:443' }, 'blocked.test', meta);
    assert.equal(j.decision.decision, 'deny');
    const events = rig.events.filter((e) => e.event === 'decision');
    assert.equal(events.length, 1);
    assert.equal(j.event.id, events[0]!.event === 'decision' ? events[0]!.id : -1);
    assert.equal(j.event.profile, 'work');
    assert.equal(j.event.path, '/x');
  });

  test('check alone records nothing and returns the checked addresses to dial', async () => {
    const before = rig.events.length;
    const c = await check(rig.ctx, { kind: 'connect', authority: 'ok.test:443' }, 'ok.test');
    assert.equal(c.decision.decision, 'allow');
    assert.deepEqual(c.addresses, ['127.0.0.1']);
    assert.equal(rig.events.length, before);
  });

  test('inside MITM: hop-by-hop dropped, hook strips and injects, Host is the tunnel authority', async () => {
    const { decision } = await check(rig.ctx, inner('hooked.test', '/a'), 'hooked.test');
    assert.ok(decision.appliedHook, 'the hook matched');
    const pairs: [string, string][] = [['Host', 'evil.test'], ['Cookie', 'c=1'], ['Connection', 'x-hop'], ['X-Hop', '1'], ['Authorization', 'client-value'], ['X-Keep', 'k']];
    const out = rewriteHeaders(rig.ctx, { pairs, decision, host: 'hooked.test', url: '/a', tls: true, authority: 'hooked.test' });
    assert.deepEqual(out, ['Host', 'hooked.test', 'X-Keep', 'k', 'authorization', TOKEN]);
  });

  test('plain HTTP: hooks never apply, the client Host is kept, a missing one is added', async () => {
    const { decision } = await check(rig.ctx, { kind: 'http', method: 'GET', host: 'ok.test', port: 80, scheme: 'http', path: '/', query: '' }, 'ok.test');
    const kept = rewriteHeaders(rig.ctx, { pairs: [['host', 'ok.test'], ['Proxy-Authorization', 'Basic x'], ['Cookie', 'c=1']], decision, host: 'ok.test', url: '/', tls: false, authority: 'ok.test' });
    assert.deepEqual(kept, ['host', 'ok.test', 'Cookie', 'c=1']);
    const added = rewriteHeaders(rig.ctx, { pairs: [], decision, host: 'ok.test', url: '/', tls: false, authority: 'ok.test:8080' });
    assert.deepEqual(added, ['Host', 'ok.test:8080']);
  });
});
