// IPv4 literals in every WHATWG spelling: the proxy (real sockets) and `explain` give the same
// verdict, because both ask core/match/address.ts `literalAddress` whether a host is a literal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { explainRequest } from '../../../core/cli/explain';
import { loadPolicyFiles } from '../../../core/cli/policyFiles';
import type { CompiledPolicy } from '../../../core/policy/compile';
import { connectTunnel, httpUpstream, rawRequest, startRig, type Rig, type Upstream } from './helpers';

const SPELLINGS = ['127.0.0.1', '127.1', '2130706433', '0x7f.0.0.1', '0177.0.0.1', '0x7f000001', '127.0.1', '0x7F.1'];

function policyOf(rig: Rig): CompiledPolicy {
  const r = loadPolicyFiles({ config: rig.configPath, env: {} });
  assert.ok(r.policy);
  return r.policy;
}

function explain(policy: CompiledPolicy, method: string, url: string) {
  const r = explainRequest(policy, { method, url, headers: [], resolve: new Map() });
  assert.ok(!('error' in r), url);
  return r.final;
}

describe('IPv4 spellings, local binding off: the proxy and explain both block them as local', () => {
  let rig: Rig;
  let up: Upstream;
  before(async () => {
    up = await httpUpstream();
    rig = await startRig('default_permissions = "w"\n[permissions.w.network]\nenabled = true\ndomains = { "*" = "allow" }\n', { hosts: [] });
  });
  after(async () => {
    await rig.close();
    await up.close();
  });

  test('plain HTTP and CONNECT to each spelling: 403 not_allowed_local, as explain says', async () => {
    const policy = policyOf(rig);
    for (const host of SPELLINGS) {
      const res = await rawRequest(rig.port, `GET http://${host}:${up.port}/x HTTP/1.1\r\nHost: ${host}:${up.port}\r\n\r\n`);
      const e = explain(policy, 'GET', `http://${host}:${up.port}/x`);
      assert.equal(res.status, 403, host);
      assert.equal((JSON.parse(res.body) as { reason: string }).reason, 'not_allowed_local', host);
      assert.equal(e.reason, 'not_allowed_local', `explain ${host}`);
      assert.equal(e.status, res.status, host);
      const t = await connectTunnel(rig.port, `${host}:${up.port}`);
      t.socket.destroy();
      assert.equal(t.res.status, 403, `CONNECT ${host}`);
      assert.equal(explain(policy, 'GET', `https://${host}:${up.port}/`).reason, 'not_allowed_local', `explain https ${host}`);
    }
    assert.equal(up.seen.length, 0, 'nothing reached the loopback upstream');
  });
});

describe('IPv4 spellings, local binding on: the proxy dials the address it judged', () => {
  let rig: Rig;
  let up: Upstream;
  before(async () => {
    up = await httpUpstream();
    rig = await startRig('default_permissions = "w"\n[permissions.w.network]\nenabled = true\nallow_local_binding = true\ndomains = { "*" = "allow" }\n', { hosts: [] });
  });
  after(async () => {
    await rig.close();
    await up.close();
  });

  test('each spelling reaches 127.0.0.1, and explain agrees it is allowed', async () => {
    const policy = policyOf(rig);
    for (const host of SPELLINGS) {
      const res = await rawRequest(rig.port, `GET http://${host}:${up.port}/${encodeURIComponent(host)} HTTP/1.1\r\nHost: ${host}:${up.port}\r\n\r\n`);
      assert.equal(res.status, 200, `${host}: ${res.body}`);
      assert.equal(up.seen.at(-1)?.url, `/${encodeURIComponent(host)}`);
      assert.equal(explain(policy, 'GET', `http://${host}:${up.port}/`).decision, 'allow', host);
    }
  });
});
