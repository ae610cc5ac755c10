// Rules Codex added after our first reference (issue #9), with Codex's own wording where it has
// one: requirements' profile catalog (config/mod.rs, config_requirements.rs), keys the parser
// ignores inside hooks/actions/headers (permissions_toml.rs), header names and methods.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';
import { load } from '../helpers/policy';

function diags(requirements: string | undefined, config?: string) {
  const c = config !== undefined ? loadDocument(config, '/t/config.toml', 'config') : undefined;
  const r = requirements !== undefined ? loadDocument(requirements, '/t/requirements.toml', 'requirements') : undefined;
  return validateDocuments(c, r).map((d) => ({ code: d.code, severity: d.severity, message: d.message, path: d.path.join('.') }));
}
const errors = (requirements: string | undefined, config?: string) => diags(requirements, config).filter((d) => d.severity === 'error');

describe('requirements: the permission profile catalog', () => {
  test('default_permissions needs allowed_permission_profiles', () => {
    assert.deepEqual(errors('default_permissions = ":workspace"\n'), [{
      code: 'requirements-default-without-allowlist', severity: 'error', path: 'default_permissions',
      message: 'requirements.toml default_permissions requires allowed_permission_profiles',
    }]);
  });
  test('allowed_permission_profiles without default_permissions: only when both :workspace and :read-only are allowed', () => {
    const msg = 'requirements.toml default_permissions must be set unless allowed_permission_profiles allows both `:workspace` and `:read-only`';
    assert.deepEqual(errors('allowed_permission_profiles = { ":workspace" = true }\n').map((d) => d.message), [msg]);
    assert.deepEqual(errors('allowed_permission_profiles = { ":workspace" = true, ":read-only" = false }\n').map((d) => d.message), [msg]);
    assert.deepEqual(errors('allowed_permission_profiles = { ":workspace" = true, ":read-only" = true }\n'), []);
  });
  test('the managed default must itself be allowed', () => {
    assert.deepEqual(errors('allowed_permission_profiles = { ":read-only" = true }\ndefault_permissions = ":workspace"\n').map((d) => d.message),
      ['requirements.toml default_permissions `:workspace` must be allowed by allowed_permission_profiles']);
  });
  test('an allowlisted profile that is not defined: an error with the config, a warning alone', () => {
    const req = 'allowed_permission_profiles = { "ghost" = true, "work" = true, ":read-only" = true }\ndefault_permissions = ":read-only"\n';
    const withConfig = errors(req, '[permissions.work]\ndescription = "w"\n');
    assert.deepEqual(withConfig.map((d) => [d.path, d.message]), [['allowed_permission_profiles.ghost', 'requirements.toml allowed_permission_profiles refers to undefined profile `ghost`']]);
    const alone = diags(req).filter((d) => d.code === 'requirements-profile-undefined');
    assert.deepEqual(alone.map((d) => [d.path, d.severity]), [['allowed_permission_profiles.ghost', 'warning'], ['allowed_permission_profiles.work', 'warning']]);
    assert.deepEqual(errors('allowed_permission_profiles = { "m" = true }\ndefault_permissions = "m"\n[permissions.m]\ndescription = "managed"\n'), [], 'managed profiles count');
  });
  test('profile selection follows resolve_default_permissions: the implicit default is :workspace; a disallowed choice falls back', () => {
    const req = 'allowed_permission_profiles = { ":workspace" = true, ":read-only" = true }\n';
    assert.equal(load('', { requirements: req }).policy?.effective.profile, ':workspace');
    const r = load('default_permissions = ":danger-full-access"\n', { requirements: req });
    assert.equal(r.policy?.effective.profile, ':workspace');
    assert.ok(r.diagnostics.some((d) => d.message === 'Configured value for `permission_profile` is disallowed by requirements; falling back from `:danger-full-access` to required value `:workspace`.'));
    assert.equal(load('', { requirements: 'allowed_permission_profiles = { ":workspace" = true }\n' }).policy, undefined, 'no fallback: the files are invalid');
  });
  test('remote_sandbox_config: hostname_patterns must be a list, both keys required', () => {
    const ok = '[[remote_sandbox_config]]\nhostname_patterns = ["*.org", "runner-??.ci"]\nallowed_sandbox_modes = ["read-only"]\n';
    assert.deepEqual(diags(ok), []);
    const str = errors('[[remote_sandbox_config]]\nhostname_patterns = "*.org"\nallowed_sandbox_modes = ["read-only"]\n');
    assert.deepEqual(str.map((d) => [d.path, d.message]), [['remote_sandbox_config.0.hostname_patterns', 'invalid type: string "*.org", expected an array']]);
    assert.deepEqual(errors('[[remote_sandbox_config]]\nallowed_sandbox_modes = ["read-only"]\n').map((d) => d.message), ['missing field `hostname_patterns`']);
  });
  test('[permissions.filesystem] deny_read is valid in requirements; profile keys there are errors', () => {
    assert.deepEqual(diags('[permissions.filesystem]\ndeny_read = ["/home/alice/.gitconfig", "./private/**/*.txt"]\n'), []);
    assert.deepEqual(errors('[permissions.filesystem]\ndeny_read = []\n[permissions.filesystem.network]\nenabled = true\n').map((d) => [d.path, d.message]),
      [['permissions.filesystem.network', '`permissions.filesystem` is reserved for requirements-level filesystem constraints and cannot define a profile']]);
    const other = diags('[permissions.filesystem]\nfuture_key = 1\n');
    assert.deepEqual(other.map((d) => [d.code, d.severity]), [['unknown-key', 'warning']], 'other keys are ignored by Codex');
  });
  test('profile names: Codex wording for the reserved prefix and for managed collisions', () => {
    assert.ok(errors(undefined, '[permissions.":x"]\ndescription = "d"\n').some((d) => d.message === 'permissions profile `:x` uses a reserved built-in profile prefix'));
    assert.ok(errors('[permissions.w]\ndescription = "m"\n', '[permissions.w]\ndescription = "u"\n')
      .some((d) => d.message === 'requirements.toml permissions profile `w` conflicts with a config-defined profile of the same name'));
  });
});

const NET = (extra: string) => `default_permissions = "w"
[permissions.w.network]
enabled = true
domains = { "api.example.com" = "allow" }
[permissions.w.network.mitm.hooks.h]
host = "api.example.com"
methods = ["GET"]
path_prefixes = ["/"]
action = ["a"]
[permissions.w.network.mitm.actions.a]
strip_request_headers = ["cookie"]
${extra}`;

describe('hooks, actions and injected headers', () => {
  test('unknown keys inside a hook, an action or an injected header are warnings (Codex ignores them)', () => {
    const text = NET('[[permissions.w.network.mitm.actions.a.inject_request_headers]]\nname = "x-token"\nsecret_env_var = "T"\nnote = "mine"\n')
      .replace('action = ["a"]', 'action = ["a"]\nowner = "team"').replace('strip_request_headers = ["cookie"]', 'strip_request_headers = ["cookie"]\ncomment = "c"');
    const unknown = diags(undefined, text).filter((d) => d.code === 'unknown-key');
    assert.deepEqual(unknown.map((d) => [d.path, d.severity]), [
      ['permissions.w.network.mitm.hooks.h.owner', 'warning'],
      ['permissions.w.network.mitm.actions.a.comment', 'warning'],
      ['permissions.w.network.mitm.actions.a.inject_request_headers.0.note', 'warning'],
    ]);
    assert.ok(load(text, { env: { T: 'v' } }).policy, 'the policy loads');
    // The mitm table itself still denies unknown fields, as Codex does.
    assert.deepEqual(errors(undefined, NET('[permissions.w.network.mitm]\nextra = 1\n')).map((d) => d.code), ['unknown-key']);
  });
  test('an injected header without `name` is an error at the header', () => {
    const text = NET('[[permissions.w.network.mitm.actions.a.inject_request_headers]]\nsecret_env_var = "T"\n');
    const e = errors(undefined, text);
    assert.deepEqual(e.map((d) => [d.path, d.code]), [['permissions.w.network.mitm.actions.a.inject_request_headers.0', 'mitm-header-name-missing']]);
    assert.match(e[0]!.message, /invalid header name "": invalid HTTP header name/);
    assert.equal(load(text, { env: { T: 'v' } }).policy, undefined, 'the proxy refuses the policy');
  });
  test('a method that is not an HTTP token is an error at that entry', () => {
    const text = NET('').replace('methods = ["GET"]', 'methods = ["GET", "GET POST", "DELETE,PUT", "G(T", "patch"]');
    const e = errors(undefined, text);
    assert.deepEqual(e.map((d) => d.path), ['permissions.w.network.mitm.hooks.h.methods.1', 'permissions.w.network.mitm.hooks.h.methods.2', 'permissions.w.network.mitm.hooks.h.methods.3']);
    assert.ok(e.every((d) => d.code === 'mitm-method-invalid'));
    assert.match(e[0]!.message, /method "GET POST" is not an HTTP token/);
    assert.deepEqual(diags(undefined, NET('').replace('methods = ["GET"]', 'methods = ["get", "M-SEARCH", "PROPFIND"]')), []);
  });
});

describe('filesystem tables (core/src/config/permissions.rs)', () => {
  const fsErrors = (body: string) => errors(undefined, `default_permissions = "dev"\n[permissions.dev.filesystem]\n${body}`).map((d) => d.message);
  test('paths must be absolute, `~/…` or special', () => {
    assert.deepEqual(fsErrors('"relative/path" = "read"\n'), ['filesystem path `relative/path` must be absolute, use `~/...`, or start with `:`']);
    assert.deepEqual(fsErrors('"~/.ssh" = "deny"\n"/etc" = "read"\n":minimal" = "read"\n":future_special" = "read"\n'), []);
  });
  test('globs only deny, except a trailing /**; glob_scan_max_depth at least 1', () => {
    assert.deepEqual(fsErrors('"/src/**/*.ts" = "write"\n'), ['filesystem glob path `/src/**/*.ts` only supports `deny` access; use an exact path or trailing `/**` for `write` subtree access']);
    assert.deepEqual(fsErrors('"/src/**" = "write"\n"/src/**/*.env" = "deny"\nglob_scan_max_depth = 3\n'), []);
    assert.deepEqual(fsErrors('glob_scan_max_depth = 0\n'), ['glob_scan_max_depth must be at least 1']);
  });
  test('nested entries: only under workspace roots (or unknown specials), descendant paths, globs deny-only', () => {
    assert.deepEqual(fsErrors('[permissions.dev.filesystem.":workspace_roots"]\n"." = "write"\n"docs" = "read"\n"a/./b" = "read"\n"**/*.env" = "none"\n'), []);
    assert.deepEqual(fsErrors('[permissions.dev.filesystem.":workspace_roots"]\n"../x" = "read"\n"**/*.md" = "read"\n'), [
      'filesystem subpath `../x` must be a descendant path without `.` or `..` components',
      'filesystem glob subpath `**/*.md` only supports `deny` access',
    ]);
    assert.deepEqual(fsErrors('[permissions.dev.filesystem.":tmpdir"]\n"sub" = "read"\n'), ['filesystem path `:tmpdir` does not support nested entries']);
  });
});
