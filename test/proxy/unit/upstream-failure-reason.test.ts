// Which outcome reason an upstream error gets (core/proxy/upstreamFailure.ts): the codes real
// sockets, resolvers and TLS raise (integration: upstream-failures.test.ts), including the ones a
// loopback-only test cannot provoke (a DNS failure, a wrong certificate name).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UpstreamProxyError } from '../../../core/net/proxyTunnel';
import { upstreamFailure, upstreamReason } from '../../../core/proxy/upstreamFailure';

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

test('resolver and socket codes, TLS codes, proxy errors and the rest', () => {
  for (const c of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) assert.equal(upstreamReason(coded(c)), 'upstream_unreachable', c);
  for (const c of ['ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'ERR_SSL_WRONG_VERSION_NUMBER']) assert.equal(upstreamReason(coded(c)), 'upstream_tls', c);
  assert.equal(upstreamReason(new Error('Client network socket disconnected before secure TLS connection was established')), 'upstream_tls');
  // A wrapped cause (undici-style) is looked through.
  assert.equal(upstreamReason(Object.assign(new Error('fetch failed'), { cause: coded('ECONNREFUSED') })), 'upstream_unreachable');
  assert.equal(upstreamReason(new UpstreamProxyError('upstream proxy http://127.0.0.1:9 refused the connection', 502)), 'upstream_proxy');
  for (const c of ['ECONNRESET', 'EPIPE', 'HPE_INVALID_CONSTANT']) assert.equal(upstreamReason(coded(c)), 'upstream_closed', c);
  assert.equal(upstreamReason(new Error('socket hang up')), 'upstream_closed');
});

test('the message is scrubbed and names the target', () => {
  const f = upstreamFailure((s) => s.replace(/s3cret/g, '***'), coded('ECONNREFUSED', 'connect ECONNREFUSED s3cret'), 'a.test:443', 502);
  assert.deepEqual(f, { reason: 'upstream_unreachable', status: 502, message: 'upstream a.test:443: connect ECONNREFUSED ***' });
});
