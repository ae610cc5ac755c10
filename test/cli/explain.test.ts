import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { runCli, tempFile } from '../helpers/cli';

const DEMO = resolve(__dirname, '../../examples/demo/.codex/config.toml');
const SECRETS = { CI_GITHUB_TOKEN: 'canary-gh-7f3a', NPM_PUBLISH_TOKEN: 'canary-npm-91c2' };

function explainJson(args: string[], env: Record<string, string> = SECRETS) {
  const r = runCli(['explain', '--json', ...args], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('explain --json', () => {
  test('prints exactly the documented object', () => {
    const out = explainJson(['--config', DEMO, 'GET', 'https://api.github.com/repos/myorg/app']);
    assert.deepEqual(Object.keys(out), ['decision', 'reason', 'proxyError', 'status', 'mitm', 'hook', 'headers', 'rule', 'explanation', 'hop']);
    assert.deepEqual(out, {
      decision: 'allow', reason: null, proxyError: null, status: 200, mitm: true, hook: 'github_controlled_access',
      headers: { strip: ['authorization'], inject: ['authorization'] }, rule: { file: DEMO, line: 33 },
      explanation: 'matched hook `github_controlled_access` at config.toml:33, stripped `authorization`, injected `authorization`',
      hop: { route: 'direct', proxy: null, description: 'direct (no upstream proxy configured)' },
    });
  });
  test('never prints a secret', () => {
    const r = runCli(['explain', '--json', '--config', DEMO, 'PUT', 'https://registry.npmjs.org/-/package/x'], SECRETS);
    assert.ok(!r.stdout.includes('canary') && !r.stderr.includes('canary'));
    const human = runCli(['explain', '--config', DEMO, 'PUT', 'https://registry.npmjs.org/-/package/x'], SECRETS);
    assert.match(human.stdout, /ALLOW/);
    assert.ok(!human.stdout.includes('canary'));
  });
  test('pattern 3: writes to the read-only internal API are blocked at the hook', () => {
    const out = explainJson(['--config', DEMO, 'POST', 'https://internal-api.company.com/v1/items']);
    assert.equal(out.decision, 'deny');
    assert.equal(out.reason, 'mitm_hook_denied');
    assert.equal(out.proxyError, 'blocked-by-mitm-hook');
    assert.equal(out.status, 403);
    assert.deepEqual(out.rule, { file: DEMO, line: 40 });
    assert.equal(out.explanation, 'no hook on internal-api.company.com matches POST /v1/items, and a hooked host blocks what no hook allows (first hook at config.toml:40)');
  });
  test('plain http:// to a hooked host is refused (mitm_required) and names no secret header', () => {
    const out = explainJson(['--config', DEMO, 'GET', 'http://internal-api.company.com/v1/items']);
    assert.equal(out.decision, 'deny');
    assert.equal(out.reason, 'mitm_required');
    assert.equal(out.proxyError, 'blocked-by-mitm-required');
    assert.equal(out.status, 403);
    assert.deepEqual(out.headers, { strip: [], inject: [] });
    const human = runCli(['explain', '--config', DEMO, 'POST', 'http://api.github.com/repos/myorg/app'], SECRETS);
    assert.match(human.stdout, /mitm_required — MITM required for limited HTTPS\./);
  });
  test('IPv4 literals in any WHATWG spelling are judged as their address', () => {
    const cfg = tempFile('config.toml', 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\ndomains = { "*" = "allow" }\n');
    for (const host of ['127.1', '2130706433', '0x7f.0.0.1', '0177.0.0.1']) {
      assert.equal(explainJson(['--config', cfg, 'GET', `http://${host}/`], {}).reason, 'not_allowed_local', host);
      assert.equal(explainJson(['--config', cfg, 'GET', `https://${host}/`], {}).reason, 'not_allowed_local', host);
    }
    assert.equal(explainJson(['--config', cfg, 'GET', 'http://134744072/'], {}).decision, 'allow', '8.8.8.8 spelled as a number');
  });
  test('CONNECT deny stops before the tunnel', () => {
    const out = explainJson(['--config', DEMO, 'GET', 'https://tracker.example.com/pixel']);
    assert.equal(out.reason, 'denied');
    assert.equal(out.mitm, false);
  });
  test('unhooked allowed host: raw tunnel, no MITM', () => {
    const out = explainJson(['--config', DEMO, 'POST', 'https://pypi.org/legacy/']);
    assert.equal(out.decision, 'allow');
    assert.equal(out.mitm, false);
  });
  test('--resolve maps a name to a private address; HOST= makes it unresolvable', () => {
    const priv = explainJson(['--config', DEMO, '--resolve', 'pypi.org=10.0.0.8', 'GET', 'https://pypi.org/']);
    assert.equal(priv.reason, 'not_allowed_local');
    assert.equal(priv.explanation, 'pypi.org resolves to 10.0.0.8, a local/private address, and allow_local_binding is off');
    const gone = explainJson(['--config', DEMO, '--resolve', 'pypi.org=', 'GET', 'https://pypi.org/']);
    assert.equal(gone.reason, 'not_allowed_local');
    assert.equal(gone.explanation, 'pypi.org could not be resolved (ENOTFOUND), and Codex fails closed');
    const human = runCli(['explain', '--config', DEMO, '--resolve', 'example.org=', 'GET', 'https://example.org/'], SECRETS);
    assert.match(human.stdout, /^ {2}why: {5}example\.org could not be resolved \(ENOTFOUND\), and Codex fails closed \(it is not in the allowlist either\)$/m);
    assert.equal(explainJson(['--config', DEMO, '--resolve', 'pypi.org=151.101.0.223', 'GET', 'https://pypi.org/']).decision, 'allow');
  });
  test('IPv6 literals with zone ids', () => {
    const cfg = tempFile('config.toml', 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\n[permissions.w.network.domains]\n"fe80::1" = "allow"\n');
    const out = explainJson(['--config', cfg, 'GET', 'http://[fe80::1%25lo0]:8080/x'], {});
    assert.equal(out.decision, 'allow');
    assert.deepEqual(out.rule, { file: cfg, line: 5 });
    assert.equal(explainJson(['--config', cfg, 'GET', 'https://[fe80::2%25eth0]/'], {}).reason, 'not_allowed_local');
  });
  test('--header feeds hook header matchers, and a Host override is checked', () => {
    const cfg = tempFile('config.toml', `default_permissions = "w"
[permissions.w.network]
enabled = true
domains = { "api.example.com" = "allow" }
[permissions.w.network.mitm.hooks.v]
host = "api.example.com"
methods = ["GET"]
path_prefixes = ["/"]
headers = { "x-api-version" = ["pattern:2024-*"] }
action = ["a"]
[permissions.w.network.mitm.actions.a]
strip_request_headers = ["cookie"]
`);
    assert.equal(explainJson(['--config', cfg, '--header', 'X-Api-Version: 2024-01-01', 'GET', 'https://api.example.com/'], {}).hook, 'v');
    assert.equal(explainJson(['--config', cfg, 'GET', 'https://api.example.com/'], {}).reason, 'mitm_hook_denied');
    assert.equal(explainJson(['--config', cfg, '--header', 'Host: evil.example', 'GET', 'https://api.example.com/'], {}).status, 400);
  });
  test('requirements: managed denies always apply, managed_allowed_domains_only pins the allowlist', () => {
    const cfg = tempFile('config.toml', 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\ndomains = { "user.example" = "allow", "corp.example" = "allow" }\n');
    const req = tempFile('requirements.toml', '[experimental_network]\nmanaged_allowed_domains_only = true\n[experimental_network.domains]\n"corp.example" = "allow"\n"blocked.example" = "deny"\n');
    assert.equal(explainJson(['--config', cfg, '--requirements', req, 'GET', 'https://user.example/'], {}).reason, 'not_allowed');
    const ok = explainJson(['--config', cfg, '--requirements', req, 'GET', 'https://corp.example/'], {});
    assert.deepEqual(ok.rule, { file: req, line: 4 });
  });
});

describe('explain errors', () => {
  test('an invalid policy exits 2 with file:line:col lines and no stack trace', () => {
    const cfg = tempFile('config.toml', 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\n[permissions.w.network.mitm]\nenabled = true\n');
    const r = runCli(['explain', '--config', cfg, 'GET', 'https://x.example/']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.toml:5:1: `mitm\.enabled` was removed/);
    assert.ok(!/\bat .*\.js:\d+/.test(r.stderr), 'no stack trace');
  });
  test('a missing secret names the variable and exits 2', () => {
    const r = runCli(['explain', '--config', DEMO, 'GET', 'https://api.github.com/']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing required environment variable CI_GITHUB_TOKEN/);
  });
  test('a TOML syntax error points at its line', () => {
    const cfg = tempFile('config.toml', 'default_permissions = "w"\n[permissions.w.network\n');
    const r = runCli(['explain', '--config', cfg, 'GET', 'https://x.example/']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.toml:2:\d+: /);
  });
  test('--help and --version work; usage errors are reported', () => {
    assert.match(runCli(['--help']).stdout, /explain METHOD URL/);
    assert.match(runCli(['explain', '--help']).stdout, /--resolve HOST=IP/);
    assert.match(runCli(['--version']).stdout, /^\d+\.\d+\.\d+/);
    const bad = runCli(['explain', '--config', DEMO, 'GET']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /METHOD and URL/);
  });
});
