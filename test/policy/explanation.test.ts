// explanationOf(): the one sentence every face of a decision shows (events, 403 bodies, explain,
// panel), checked against real decide() results.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explanationOf } from '../../core/policy/explanation';
import { connect, http, inner, policyOf } from '../helpers/policy';

const POLICY = `default_permissions = "w"
[permissions.w.network]
enabled = true
[permissions.w.network.domains]
"api.github.com" = "allow"
"pypi.org" = "allow"
"tracker.example.com" = "deny"
[permissions.w.network.mitm.hooks.github_write]
host = "api.github.com"
methods = ["POST"]
path_prefixes = ["/repos/"]
action = ["swap"]
[permissions.w.network.mitm.actions.swap]
strip_request_headers = ["authorization"]
[[permissions.w.network.mitm.actions.swap.inject_request_headers]]
name = "x-token"
secret_env_var = "TOKEN"
`;

const LIMITED = `default_permissions = "w"
[permissions.w.network]
enabled = true
mode = "limited"
[permissions.w.network.domains]
"example.com" = "allow"
`;

describe('explanationOf', () => {
  const p = policyOf(POLICY, { env: { TOKEN: 'canary-secret-value' } });

  test('a matched hook names the hook, its line and the header names, never a value', () => {
    const d = inner(p, 'api.github.com', 'POST', '/repos/a/b?token=q');
    const s = explanationOf(d, { method: 'POST', path: '/repos/a/b' });
    assert.equal(s, 'matched hook `github_write` at config.toml:8, stripped `authorization`, injected `x-token`');
    assert.ok(!s.includes('canary') && !s.includes('token=q'));
  });

  test('a DNS failure is told apart from a local address, and both from a literal', () => {
    const failed = connect(p, 'api.github.com:443', { error: 'unresolvable', code: 'ENOTFOUND' });
    assert.equal(failed.reason, 'not_allowed_local');
    assert.deepEqual(failed.dns, { error: 'ENOTFOUND', allowlisted: true });
    assert.equal(explanationOf(failed), 'api.github.com could not be resolved (ENOTFOUND), and Codex fails closed');
    const timeout = connect(p, 'example.org:443', { error: 'timeout' });
    assert.equal(explanationOf(timeout), 'example.org could not be resolved (ETIMEOUT), and Codex fails closed (it is not in the allowlist either)');
    const priv = connect(p, 'pypi.org:443', { addresses: ['93.184.216.34', '10.1.2.3'] });
    assert.equal(explanationOf(priv), 'pypi.org resolves to 10.1.2.3, a local/private address, and allow_local_binding is off');
    assert.equal(explanationOf(connect(p, '127.0.0.1:443')), '127.0.0.1 is a local/private address, and allow_local_binding is off');
  });

  test('allow, deny, allowlist and hook default-deny each say their rule', () => {
    assert.equal(explanationOf(connect(p, 'pypi.org:443')), 'pypi.org is allowed by `pypi.org` (config.toml:6); the tunnel is not decrypted');
    assert.equal(explanationOf(connect(p, 'api.github.com:443')), 'api.github.com is allowed by `api.github.com` (config.toml:5); the tunnel is decrypted so each request is judged');
    assert.equal(explanationOf(connect(p, 'tracker.example.com:443')), 'tracker.example.com is denied by `tracker.example.com` (config.toml:7), and a deny always wins');
    assert.equal(explanationOf(connect(p, 'example.org:443')), 'example.org is not in the allowlist');
    const d = inner(p, 'api.github.com', 'DELETE', '/repos/a');
    assert.equal(explanationOf(d, { method: 'DELETE', path: '/repos/a' }), 'no hook on api.github.com matches DELETE /repos/a, and a hooked host blocks what no hook allows (first hook at config.toml:8)');
  });

  test('limited mode names the method and the mode line', () => {
    const l = policyOf(LIMITED);
    const d = http(l, 'POST', 'example.com');
    assert.equal(d.reason, 'method_not_allowed');
    assert.equal(explanationOf(d, { method: 'POST', path: '/' }), 'POST is not allowed in limited mode at config.toml:4');
  });
});
