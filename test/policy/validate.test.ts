import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';
import { errorsOf, policyOf, connect } from '../helpers/policy';

function diags(config: string, requirements?: string) {
  const c = loadDocument(config, '/t/config.toml', 'config');
  const r = requirements !== undefined ? loadDocument(requirements, '/t/requirements.toml', 'requirements') : undefined;
  return validateDocuments(c, r);
}
const codes = (config: string, requirements?: string) => errorsOf(config, requirements !== undefined ? { requirements } : {}).map((e) => `${e.line}:${e.code}`);

describe('profile selection and extends', () => {
  test('unknown built-in, undefined profile, missing [permissions]', () => {
    assert.deepEqual(codes('default_permissions = ":bogus"\n'), ['1:profile-unknown-builtin']);
    assert.deepEqual(codes('default_permissions = "work"\n'), ['1:profile-missing-permissions']);
    assert.deepEqual(codes('default_permissions = "work"\n[permissions.other]\ndescription = "x"\n'), ['1:profile-undefined']);
  });
  test('extends: undefined parent, danger-full-access parent, cycles', () => {
    assert.deepEqual(codes('default_permissions = "a"\n[permissions.a]\nextends = "nope"\n'), ['3:profile-extends-undefined']);
    assert.deepEqual(codes('default_permissions = "a"\n[permissions.a]\nextends = ":danger-full-access"\n'), ['3:profile-extends-unsupported']);
    const cyc = errorsOf('default_permissions = "a"\n[permissions.a]\nextends = "b"\n[permissions.b]\nextends = "a"\n');
    assert.ok(cyc.length >= 1);
    assert.match(cyc[0]!.message, /a -> b -> a|b -> a -> b/);
  });
  test('profile names may not start with a colon', () => {
    assert.ok(codes('[permissions.":mine"]\ndescription = "x"\n').includes('1:profile-reserved-name'));
  });
  test('a child inherits and overrides the parent network; actions resolve after the merge', () => {
    const p = policyOf(`default_permissions = "child"
[permissions.base.network]
enabled = true
domains = { "a.example" = "allow", "b.example" = "deny" }
[permissions.base.network.mitm.actions.strip]
strip_request_headers = ["cookie"]
[permissions.child]
extends = "base"
[permissions.child.network.domains]
"B.Example." = "allow"
[permissions.child.network.mitm.hooks.h]
host = "a.example"
methods = ["GET"]
path_prefixes = ["/"]
action = ["strip"]
`);
    assert.equal(connect(p, 'b.example:443').decision, 'allow', 'child key replaces the parent one after normalisation');
    assert.equal(connect(p, 'a.example:443').mitm, true);
  });
  test('sandbox_mode wins over default_permissions', () => {
    const p = policyOf('sandbox_mode = "danger-full-access"\ndefault_permissions = "w"\n[permissions.w.network]\nenabled = true\n');
    assert.equal(p.effective.state, 'unrestricted');
  });
});

describe('network and MITM rules (Codex wording, exact lines)', () => {
  const prefix = 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\n';
  test('global wildcard deny', () => assert.deepEqual(codes(prefix + 'domains = { "*" = "deny" }\n'), ['4:domain-global-deny']));
  test('unbalanced glob', () => assert.deepEqual(codes(prefix + '[permissions.w.network.domains]\n"[a.example" = "allow"\n'), ['5:domain-pattern-invalid']));
  test('domain value none is an unknown variant', () => {
    const e = errorsOf(prefix + '[permissions.w.network.domains]\n"a.example" = "none"\n');
    assert.equal(e[0]!.line, 5);
    assert.match(e[0]!.message, /unknown variant `none`, expected `allow` or `deny`/);
  });
  test('socket paths must be absolute', () => assert.deepEqual(codes(prefix + '[permissions.w.network.unix_sockets]\n"rel.sock" = "allow"\n'), ['5:socket-not-absolute']));
  test('mitm.enabled is removed; unknown mitm keys are errors', () => {
    assert.deepEqual(codes(prefix + '[permissions.w.network.mitm]\nenabled = true\n'), ['5:mitm-enabled-removed']);
    assert.deepEqual(codes(prefix + '[permissions.w.network.mitm]\ninspect = true\n'), ['5:unknown-key']);
  });
  test('hook rules', () => {
    const hook = (body: string) => prefix + `[permissions.w.network.mitm.hooks.h]\n${body}\n[permissions.w.network.mitm.actions.a]\nstrip_request_headers = ["x"]\n`;
    assert.deepEqual(codes(hook('host = "*.x.com"\nmethods = ["GET"]\npath_prefixes = ["/"]\naction = ["a"]')), ['5:mitm-hook-host-invalid']);
    assert.deepEqual(codes(hook('host = "x.com"\nmethods = []\npath_prefixes = ["/"]\naction = ["a"]')), ['6:mitm-methods-empty']);
    assert.deepEqual(codes(hook('host = "x.com"\nmethods = ["GET"]\npath_prefixes = ["pattern:"]\naction = ["a"]')), ['7:mitm-path-invalid']);
    assert.deepEqual(codes(hook('host = "x.com"\nmethods = ["GET"]\npath_prefixes = ["/"]\naction = []')), ['8:mitm-action-empty']);
    assert.deepEqual(codes(hook('host = "x.com"\nmethods = ["GET"]\npath_prefixes = ["/"]\naction = ["nope"]')), ['8:mitm-undefined-action']);
    assert.deepEqual(codes(hook('host = "x.com"\nmethods = ["GET"]\npath_prefixes = ["/"]\nbody = {}\naction = ["a"]')), ['8:mitm-body-unsupported']);
    assert.deepEqual(codes(hook('host = "x.com"\npath_prefixes = ["/"]\naction = ["a"]')), ['4:mitm-hook-missing-field']);
    assert.deepEqual(codes(hook('host = "x.com"\nmethods = ["GET"]\npath_prefixes = ["/"]\nquery = { q = [] }\naction = ["a"]')), ['8:mitm-query-invalid']);
  });
  test('action rules', () => {
    const act = (body: string) => prefix + `[permissions.w.network.mitm.actions.a]\n${body}\n`;
    const empty = errorsOf(act(''));
    assert.equal(empty[0]!.code, 'mitm-action-no-operation');
    assert.match(empty[0]!.message, /network\.mitm\.actions\.a must define at least one operation/);
    assert.deepEqual(codes(act('[[permissions.w.network.mitm.actions.a.inject_request_headers]]\nname = "x"\nsecret_env_var = "A"\nsecret_file = "/b"')), ['5:mitm-secret-source']);
    assert.deepEqual(codes(act('[[permissions.w.network.mitm.actions.a.inject_request_headers]]\nname = "x"\nsecret_file = "rel/key"')), ['7:mitm-secret-file-relative']);
    assert.deepEqual(codes(act('strip_request_headers = ["bad header"]')), ['5:mitm-header-name-invalid']);
  });
  test('wrong types use serde-like wording at the value', () => {
    const e = errorsOf(prefix + 'mode = "strict"\n');
    assert.equal(e[0]!.line, 4);
    assert.match(e[0]!.message, /unknown variant `strict`, expected `limited` or `full`/);
    const t = errorsOf(prefix + 'allow_local_binding = "yes"\n');
    assert.match(t[0]!.message, /invalid type: string "yes", expected a boolean/);
  });
  test('unknown keys in loose tables are warnings with a suggestion', () => {
    const d = diags(prefix + 'alow_local_binding = true\n');
    const w = d.find((x) => x.code === 'unknown-key');
    assert.equal(w?.severity, 'warning');
    assert.equal(w?.data?.suggestion, 'allow_local_binding');
  });
  test('legacy list keys are warnings, not errors', () => {
    const d = diags(prefix + 'allowed_domains = ["a.example"]\n');
    assert.equal(d.find((x) => x.code === 'legacy-network-list')?.severity, 'warning');
  });
});

describe('requirements rules', () => {
  test('canonical and legacy network forms may not be mixed', () => {
    assert.deepEqual(codes('default_permissions = ":read-only"\n', '[experimental_network]\nallowed_domains = ["a"]\n[experimental_network.domains]\n"b" = "allow"\n').filter((c) => c.includes('mixed')), ['2:requirements-network-mixed']);
  });
  test('list rules', () => {
    const e = errorsOf('default_permissions = ":read-only"\n', { requirements: 'allowed_approval_policies = []\nallowed_sandbox_modes = ["workspace-write"]\n' });
    assert.ok(e.some((x) => /allowed_approval_policies` cannot be empty/.test(x.message) && x.file.endsWith('requirements.toml')));
    assert.ok(e.some((x) => /must include 'read-only'/.test(x.message)));
  });
  test('prefix rules', () => {
    const e = errorsOf('default_permissions = ":read-only"\n', { requirements: '[[rules.prefix_rules]]\npattern = [{ token = "rm" }]\ndecision = "allow"\njustification = "x"\n' });
    assert.match(e[0]!.message, /rules prefix_rule at index 0 has decision 'allow', which is not permitted in requirements.toml: .*\(use 'prompt' or 'forbidden'\)$/);
  });
});

describe('domain keys that normalise to one host', () => {
  const prefix = 'default_permissions = "child"\n[permissions.base.network]\nenabled = true\ndomains = { "a.example" = "deny" }\n[permissions.child]\nextends = "base"\n';
  test('within one table the stronger permission wins, whatever the order', () => {
    assert.equal(connect(policyOf(prefix + '[permissions.child.network.domains]\n"B.example" = "deny"\n"b.example." = "allow"\n'), 'b.example:443').reason, 'denied');
    assert.equal(connect(policyOf(prefix + '[permissions.child.network.domains]\n"b.example." = "allow"\n"B.example" = "deny"\n'), 'b.example:443').reason, 'denied');
  });
  test('a child that allows a parent-denied host under two spellings replaces the deny', () => {
    const p = policyOf(prefix + '[permissions.child.network.domains]\n"A.example" = "allow"\n"a.example." = "allow"\n');
    assert.equal(connect(p, 'a.example:443').decision, 'allow');
    assert.equal(connect(p, 'a.example:443').rule?.line, 8, 'the rule is the first spelling in the child');
  });
});
