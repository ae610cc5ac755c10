// Upstream TLS stays strict after the trust store became one shared SecureContext and upstream
// sockets are pooled: trust never leaks from one host's pooled connection to another name.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectTunnel, httpsUpstream, ResponseReader, startRig, tempDir, testCa, tlsOver, type Rig } from './helpers';

const CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"api.test" = "allow"
"other.test" = "allow"
[permissions.work.network.mitm.hooks.api]
host = "api.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["strip"]
[permissions.work.network.mitm.hooks.other]
host = "other.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["strip"]
[permissions.work.network.mitm.actions.strip]
strip_request_headers = ["cookie"]
`;

async function get(rig: Rig, host: string, port: number): Promise<number> {
  const { res, socket } = await connectTunnel(rig.port, `${host}:${port}`);
  assert.equal(res.status, 200);
  const t = await tlsOver(socket, host, rig.proxy.ca.certPem);
  const reader = new ResponseReader(t);
  t.write(`GET /x HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  const r = await reader.next();
  t.destroy();
  return r.status;
}

describe('upstream trust with pooled connections and one shared trust context', () => {
  test('a pooled connection to a verified host is never reused for another name on the same address', async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    const api = await httpsUpstream(ca, 'api.test'); // certificate names api.test only
    const rig = await startRig(CONFIG, { dir, auth: 'off', upstreamCaFiles: [ca.certPath] });
    try {
      assert.equal(await get(rig, 'api.test', api.port), 200);
      assert.equal(await get(rig, 'api.test', api.port), 200);
      // other.test resolves to the same 127.0.0.1:port, where a verified keep-alive socket waits.
      assert.equal(await get(rig, 'other.test', api.port), 502);
      assert.deepEqual(api.seen.map((s) => s.headers.host), [`api.test:${api.port}`, `api.test:${api.port}`]);
    } finally {
      await rig.close();
      await api.close();
    }
  });

  test('an untrusted upstream is refused while a trusted one on the same proxy keeps working', async () => {
    const dir = tempDir();
    const trusted = await testCa(dir);
    const rogue = await testCa(tempDir());
    const good = await httpsUpstream(trusted, 'api.test');
    const bad = await httpsUpstream(rogue, 'other.test');
    const rig = await startRig(CONFIG, { dir, auth: 'off', upstreamCaFiles: [trusted.certPath] });
    try {
      assert.equal(await get(rig, 'api.test', good.port), 200);
      assert.equal(await get(rig, 'other.test', bad.port), 502);
      assert.equal(bad.seen.length, 0, 'nothing reached the untrusted upstream');
      assert.equal(await get(rig, 'api.test', good.port), 200);
    } finally {
      await rig.close();
      await good.close();
      await bad.close();
    }
  });
});
