import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket } from 'node:net';
import { httpUpstream, httpsUpstream, ResponseReader, startRig, tcp, tempDir, testCa, tlsOver } from './helpers';

const CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"plain.test" = "allow"
"api.test" = "allow"
[permissions.work.network.mitm.hooks.read]
host = "api.test"
methods = ["GET"]
path_prefixes = ["/ok"]
action = ["strip"]
[permissions.work.network.mitm.actions.strip]
strip_request_headers = ["cookie"]
`;

/** Reads exactly n bytes. */
function readN(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= n) {
        s.off('data', onData);
        s.pause();
        if (buf.length > n) s.unshift(buf.subarray(n));
        resolve(buf.subarray(0, n));
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error(`closed after ${buf.length} bytes`)));
    s.resume();
  });
}

async function socksConnect(port: number, host: string, dstPort: number, cmd = 1): Promise<{ rep: number; socket: Socket }> {
  const s = await tcp(port);
  s.write(Buffer.from([5, 1, 0]));
  assert.deepEqual([...(await readN(s, 2))], [5, 0]);
  const p = Buffer.alloc(2);
  p.writeUInt16BE(dstPort);
  s.write(Buffer.concat([Buffer.from([5, cmd, 0, 3, host.length]), Buffer.from(host), p]));
  const head = await readN(s, 10);
  return { rep: head[1]!, socket: s };
}

describe('SOCKS5', () => {
  test('TCP CONNECT: allowed host is tunnelled, other hosts refused with 0x02, UDP ASSOCIATE 0x07', async () => {
    const up = await httpUpstream();
    const rig = await startRig(CONFIG, { socks: '127.0.0.1:0' });
    try {
      const socksPort = Number(rig.proxy.socks!.split(':').pop());
      const ok = await socksConnect(socksPort, 'plain.test', up.port);
      assert.equal(ok.rep, 0);
      const reader = new ResponseReader(ok.socket);
      ok.socket.resume();
      ok.socket.write('GET /via-socks HTTP/1.1\r\nHost: plain.test\r\n\r\n');
      assert.equal((await reader.next()).body, 'upstream saw GET /via-socks');
      ok.socket.destroy();

      const denied = await socksConnect(socksPort, 'nope.test', 80);
      assert.equal(denied.rep, 2);
      denied.socket.destroy();
      const udp = await socksConnect(socksPort, 'plain.test', 53, 3);
      assert.equal(udp.rep, 7);
      udp.socket.destroy();

      const evs = rig.decisions();
      assert.deepEqual(evs.map((e) => `${e.protocol} ${e.decision} ${e.host}`), ['socks5_tcp allow plain.test', 'socks5_tcp deny nope.test', 'socks5_udp deny plain.test']);
      assert.equal(evs[1]!.reason, 'not_allowed');
    } finally {
      await rig.close();
      await up.close();
    }
  });

  test('hooked host on a non-443 port is mitm_required; on 443 it goes through MITM', async () => {
    const dir = tempDir();
    const ca = await testCa(dir);
    const api = await httpsUpstream(ca, 'api.test');
    const rig = await startRig(CONFIG, { dir, socks: '127.0.0.1:0', upstreamCaFiles: [ca.certPath] });
    try {
      const socksPort = Number(rig.proxy.socks!.split(':').pop());
      const r = await socksConnect(socksPort, 'api.test', api.port);
      assert.equal(r.rep, 2);
      r.socket.destroy();
      assert.equal(rig.decisions().at(-1)!.reason, 'mitm_required');
      // :443 is MITM'd; the upstream is not on 443, so the inner request fails upstream (502) —
      // but the TLS leaf comes from our CA and the hook is applied first.
      const m = await socksConnect(socksPort, 'api.test', 443);
      assert.equal(m.rep, 0);
      const t = await tlsOver(m.socket, 'api.test', rig.proxy.ca.certPem);
      const reader = new ResponseReader(t);
      t.write('GET /nope HTTP/1.1\r\nHost: api.test\r\n\r\n');
      const res = await reader.next();
      assert.equal(res.status, 403);
      assert.equal(res.headers['x-proxy-error'], 'blocked-by-mitm-hook');
      t.destroy();
    } finally {
      await rig.close();
      await api.close();
    }
  });
});
