// Reading a corporate proxy's 407: the auth schemes in its Proxy-Authenticate values, and the
// reason our 502 gives when none of them is Basic (the only scheme we speak).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { challengeSchemes, refusedCredentials } from '../../../core/net/proxyTunnel';
import { parseProxyUrl } from '../../../core/net/upstreamProxy';

test('schemes: several challenges in one value, auth-params and quoted commas are not schemes', () => {
  assert.deepEqual(challengeSchemes('Digest realm="corp, inc", nonce="a,b=", qop="auth", Basic realm="x"'), ['Digest', 'Basic']);
  assert.deepEqual(challengeSchemes('Digest realm="r", nonce="n", algorithm=MD5, stale=false'), ['Digest']);
  assert.deepEqual(challengeSchemes('NTLM, Negotiate'), ['NTLM', 'Negotiate']);
  assert.deepEqual(challengeSchemes(['Negotiate', 'NTLM TlRMTVNTUAACAAAADAAMADAAAAA1goni==', 'ntlm']), ['Negotiate', 'NTLM']);
  assert.deepEqual(challengeSchemes([]), []);
});

test('reason: no Basic offered names the schemes and the way out; never the credential or a nonce', () => {
  const proxy = parseProxyUrl('http://alice:CANARY-pass@corp.test:3128', '--upstream-proxy');
  const r = refusedCredentials(proxy, 'Digest realm="corp", nonce="NONCE-123", qop="auth"');
  assert.match(r, /asks for Digest authentication, which codex-netpolicy does not speak \(Basic only\)/);
  assert.match(r, /cntlm or px/);
  assert.ok(!r.includes('CANARY') && !r.includes('NONCE-123') && !r.includes(proxy.authorization!.slice(6)));
  assert.match(refusedCredentials(proxy, ['Negotiate', 'NTLM']), /asks for Negotiate or NTLM authentication/);
  // Basic among them, or no challenge at all: the credential itself is the problem.
  assert.equal(refusedCredentials(proxy, 'NTLM, Basic realm="corp"'), 'the credentials in the proxy URL were refused');
  assert.equal(refusedCredentials(parseProxyUrl('corp.test:3128', 'HTTPS_PROXY')), 'the proxy requires credentials: put them in the proxy URL');
});
