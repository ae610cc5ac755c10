import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addHookEdit, applyEdits, setDomainEdit, type EditResult } from '../../core/edit/policyEdits';
import { load } from '../helpers/policy';
import { connect, inner } from '../helpers/policy';

function apply(text: string, r: EditResult): string {
  assert.ok('edits' in r, 'error' in r ? r.error : '');
  return applyEdits(text, r.edits);
}

function errorsIn(text: string): string[] {
  return load(text).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.range.start.line + 1}: ${d.message}`);
}

const TABLE = `# Team policy — keep this comment
default_permissions = "work"

[permissions.work]
extends = ":workspace"

[permissions.work.network]
enabled = true   # aligned comment
mode = "full"

[permissions.work.network.domains]
"**.github.com" = "allow"  # GitHub
"evil.example" = "deny"

# trailing comment stays last in its section
[permissions.other]
extends = ":read-only"
`;

test('allow host: inserts one line into an existing domains table, everything else byte-identical', () => {
  const out = apply(TABLE, setDomainEdit(TABLE, 'work', 'Registry.NPMJS.org.', 'allow'));
  const added = out.split('\n').filter((l) => !TABLE.split('\n').includes(l));
  assert.deepEqual(added, ['"registry.npmjs.org" = "allow"']);
  assert.equal(out.replace('"registry.npmjs.org" = "allow"\n', ''), TABLE);
  assert.ok(out.indexOf('registry.npmjs.org') > out.indexOf('"evil.example"') && out.indexOf('registry.npmjs.org') < out.indexOf('# trailing'));
  assert.deepEqual(errorsIn(out), []);
  assert.equal(connect(load(TABLE).policy!, 'registry.npmjs.org:443').decision, 'deny');
  assert.equal(connect(load(out).policy!, 'registry.npmjs.org:443').decision, 'allow');
});

test('deny host: an existing key (any spelling) gets its value replaced, not a duplicate', () => {
  const out = apply(TABLE, setDomainEdit(TABLE, 'work', 'EVIL.example', 'allow'));
  assert.equal(out, TABLE.replace('"evil.example" = "deny"', '"evil.example" = "allow"'));
  const out2 = apply(TABLE, setDomainEdit(TABLE, 'work', '**.github.com', 'deny'));
  assert.equal(out2, TABLE.replace('"**.github.com" = "allow"  # GitHub', '"**.github.com" = "deny"  # GitHub'));
  assert.deepEqual(errorsIn(out2), []);
  assert.equal(connect(load(out2).policy!, 'api.github.com:443').decision, 'deny');
});

test('deny host on the exact name keeps the wildcard allow and blocks just that host', () => {
  const out = apply(TABLE, setDomainEdit(TABLE, 'work', 'gist.github.com', 'deny'));
  assert.deepEqual(errorsIn(out), []);
  const p = load(out).policy!;
  assert.equal(connect(p, 'gist.github.com:443').decision, 'deny');
  assert.equal(connect(p, 'api.github.com:443').decision, 'allow');
});

const INLINE = `default_permissions = "work"
[permissions.work.network]
enabled = true
domains = { "a.example" = "allow" } # inline
`;

test('inline domains table: adds an entry before the closing brace', () => {
  const out = apply(INLINE, setDomainEdit(INLINE, 'work', 'b.example', 'allow'));
  assert.equal(out, INLINE.replace('"a.example" = "allow" }', '"a.example" = "allow", "b.example" = "allow" }'));
  assert.deepEqual(errorsIn(out), []);
  assert.equal(connect(load(out).policy!, 'b.example:443').decision, 'allow');
  const empty = INLINE.replace('{ "a.example" = "allow" }', '{}');
  const out2 = apply(empty, setDomainEdit(empty, 'work', 'b.example', 'deny'));
  assert.match(out2, /domains = \{ "b.example" = "deny" \} # inline/);
  assert.deepEqual(errorsIn(out2), []);
});

test('missing domains table: created at the end, CRLF kept', () => {
  const text = 'default_permissions = "work"\r\n[permissions.work.network]\r\nenabled = true\r\n';
  const out = apply(text, setDomainEdit(text, 'work', 'c.example', 'allow'));
  assert.equal(out, text + '\r\n[permissions.work.network.domains]\r\n"c.example" = "allow"\r\n');
  assert.deepEqual(errorsIn(out), []);
  assert.equal(connect(load(out).policy!, 'c.example:443').decision, 'allow');
  const noNl = 'default_permissions = "work"\n[permissions.work.network]\nenabled = true';
  const out2 = apply(noNl, setDomainEdit(noNl, 'work', 'c.example', 'allow'));
  assert.equal(out2, noNl + '\n\n[permissions.work.network.domains]\n"c.example" = "allow"\n');
});

test('refuses with a clear message: built-in profile, unknown profile, syntax errors, bad host', () => {
  const err = (r: EditResult) => ('error' in r ? r.error : 'no error');
  assert.match(err(setDomainEdit(TABLE, ':workspace', 'x.example', 'allow')), /built-in profile/);
  assert.match(err(setDomainEdit(TABLE, 'nope', 'x.example', 'allow')), /not defined in this file/);
  assert.match(err(setDomainEdit(TABLE + '\n[broken\n', 'work', 'x.example', 'allow')), /syntax errors/);
  assert.match(err(setDomainEdit(TABLE, 'work', 'a "b', 'allow')), /Not a host/);
  assert.match(err(setDomainEdit(TABLE, null, 'x.example', 'allow')), /No permission profile/);
});

const HOOKED = `default_permissions = "work"
[permissions.work.network]
enabled = true
[permissions.work.network.domains]
"api.github.com" = "allow"
[permissions.work.network.mitm.hooks.gh_read]
host = "api.github.com"
methods = ["GET"]
path_prefixes = ["/repos/"]
action = ["bot"]
[permissions.work.network.mitm.actions.bot]
strip_request_headers = ["authorization"]
`;

test('add hook: references the existing action; the hooked request is then allowed, others still denied', () => {
  const before = load(HOOKED).policy!;
  assert.equal(inner(before, 'api.github.com', 'POST', '/graphql').decision, 'deny');
  const out = apply(HOOKED, addHookEdit(HOOKED, 'work', { host: 'api.github.com', method: 'post', path: '/graphql?x=1' }));
  assert.ok(out.startsWith(HOOKED));
  assert.match(out, /\[permissions\.work\.network\.mitm\.hooks\.allow_post_api_github_com\]\nhost = "api.github.com"\nmethods = \["POST"\]\npath_prefixes = \["\/graphql"\]\naction = \["bot"\]\n$/);
  assert.deepEqual(errorsIn(out), []);
  const after = load(out).policy!;
  assert.equal(inner(after, 'api.github.com', 'POST', '/graphql').decision, 'allow');
  assert.equal(inner(after, 'api.github.com', 'DELETE', '/graphql').decision, 'deny');
  // A second hook for the same request gets a fresh name.
  const twice = apply(out, addHookEdit(out, 'work', { host: 'api.github.com', method: 'POST', path: '/graphql' }));
  assert.match(twice, /hooks\.allow_post_api_github_com_2\]/);
  assert.deepEqual(errorsIn(twice), []);
});

test('add hook without actions: creates a pass-through action that validates', () => {
  const text = 'default_permissions = "work"\n[permissions.work.network]\nenabled = true\n[permissions.work.network.domains]\n"h.example" = "allow"\n';
  const out = apply(text, addHookEdit(text, 'work', { host: 'h.example', method: 'GET', path: 'pattern:x' }));
  assert.match(out, /path_prefixes = \["literal:pattern:x"\]/);
  assert.match(out, /\[permissions\.work\.network\.mitm\.actions\.pass_through\]\nstrip_request_headers = \["proxy-authorization"\]/);
  assert.deepEqual(errorsIn(out), []);
  const p = load(out).policy!;
  assert.equal(inner(p, 'h.example', 'GET', 'pattern:x/y').decision, 'allow');
  assert.equal(inner(p, 'h.example', 'GET', '/other').decision, 'deny');
});

test('add hook refuses wildcard hosts, CONNECT and inline mitm tables', () => {
  const err = (r: EditResult) => ('error' in r ? r.error : 'no error');
  assert.match(err(addHookEdit(HOOKED, 'work', { host: '*.github.com', method: 'GET', path: '/' })), /exact host/);
  assert.match(err(addHookEdit(HOOKED, 'work', { host: 'a.example', method: 'CONNECT', path: '/' })), /HTTP method/);
  const inline = 'default_permissions = "work"\n[permissions.work.network]\nenabled = true\nmitm = { }\n';
  assert.match(err(addHookEdit(inline, 'work', { host: 'a.example', method: 'GET', path: '/' })), /inline/);
});

test('hosts are normalised like the engine does (trailing dots, port, brackets)', () => {
  const text = 'default_permissions = "w"\n[permissions.w.network]\nenabled = true\n';
  const r = setDomainEdit(text, 'w', 'API.Example.COM..:443', 'allow');
  assert.ok(!('error' in r) || !r.error, JSON.stringify(r));
  const out = applyEdits(text, (r as { edits: Parameters<typeof applyEdits>[1] }).edits);
  assert.match(out, /"api\.example\.com" = "allow"/);
  const v6 = setDomainEdit(text, 'w', '[::1]:8443', 'deny');
  assert.match(applyEdits(text, (v6 as { edits: Parameters<typeof applyEdits>[1] }).edits), /"::1" = "deny"/);
});
