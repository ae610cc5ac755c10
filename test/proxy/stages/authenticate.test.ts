import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authenticated, authenticatedUser } from '../../../core/proxy/stages/authenticate';

const cred = { user: 'codex', pass: 'p4ss-canary' };
const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

test('no credential required: every request passes, with or without a header', () => {
  assert.equal(authenticated({ credential: null }, undefined), true);
  assert.equal(authenticated({ credential: null }, basic('x:y')), true);
  assert.equal(authenticatedUser({ credential: null }, '', ''), true);
});

test('Proxy-Authorization must carry exactly the run credential', () => {
  const ctx = { credential: cred };
  assert.equal(authenticated(ctx, basic('codex:p4ss-canary')), true);
  assert.equal(authenticated(ctx, [basic('codex:p4ss-canary')]), true);
  assert.equal(authenticated(ctx, basic('codex:p4ss-canarY')), false);
  assert.equal(authenticated(ctx, basic('codex:p4ss-canary ')), false);
  assert.equal(authenticated(ctx, `Bearer ${cred.pass}`), false);
  assert.equal(authenticated(ctx, undefined), false);
});

test('SOCKS5 username/password is checked against the same credential', () => {
  const ctx = { credential: cred };
  assert.equal(authenticatedUser(ctx, 'codex', 'p4ss-canary'), true);
  assert.equal(authenticatedUser(ctx, 'codex', 'wrong'), false);
  assert.equal(authenticatedUser(ctx, 'other', 'p4ss-canary'), false);
});
