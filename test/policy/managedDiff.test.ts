// diffManagedLayer on inline documents: the cases the fleet fixtures do not cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDocument } from '../../core/toml/load';
import { diffManagedLayer } from '../../core/engine/managedDiff';

const cfg = (t: string) => loadDocument(t, '/u/config.toml', 'config');
const req = (t: string) => loadDocument(t, '/m/requirements.toml', 'requirements');
const USER = 'default_permissions = "work"\n[permissions.work.network]\nenabled = true\n[permissions.work.network.domains]\n"a.example" = "allow"\n"*.b.example" = "allow"\n"c.example" = "deny"\n';

test('managed_allowed_domains_only: every user allow is inert, each reported once (the cross-file rule)', () => {
  const d = diffManagedLayer(cfg(USER), req('[experimental_network]\nmanaged_allowed_domains_only = true\n[experimental_network.domains]\n"a.example" = "allow"\n'));
  const inert = d.changes.filter((c) => c.kind === 'inert-allow');
  assert.deepEqual(inert.map((c) => c.subject).sort(), ['*.b.example', 'a.example']);
  assert.ok(inert.every((c) => c.code === 'requirements-inert-allow'));
});

test('a wildcard allow is inert only when the managed deny covers its whole subtree', () => {
  const covered = diffManagedLayer(cfg(USER), req('[experimental_network.domains]\n"**.b.example" = "deny"\n'));
  assert.deepEqual(covered.changes.map((c) => [c.kind, c.subject]), [['inert-allow', '*.b.example']]);
  const partial = diffManagedLayer(cfg(USER), req('[experimental_network.domains]\n"x.b.example" = "deny"\n'));
  assert.deepEqual(partial.changes, []);
});

test('a managed enabled = false is an error (with the managed line) for a config that enables the network', () => {
  const d = diffManagedLayer(cfg(USER), req('[experimental_network]\nenabled = false\n'));
  const err = d.changes.find((c) => c.kind === 'error');
  assert.ok(err, JSON.stringify(d.changes));
  assert.equal(err.code, 'requirements-ceiling');
  assert.equal(err.requirementsLine, 2);
});

test('a managed http_port overwrites the proxy address', () => {
  const d = diffManagedLayer(cfg(USER), req('[experimental_network]\nhttp_port = 3128\n'));
  assert.deepEqual(d.changes.map((c) => [c.kind, c.subject, c.before, c.after, c.requirementsLine]), [['overwritten', 'proxy_url', '(unset)', 'http://127.0.0.1:3128', 2]]);
});
