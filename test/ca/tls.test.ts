// Real TLS handshakes against leaves from the CA: Node, Python ssl (strict), curl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { loadOrCreateCa, type CaHandle } from '../../core/ca/index';
import { hasCommand, leafWithoutAki, nodeConnect, run, startTlsServer, tempDir } from './helpers';

const dir = tempDir();
let ca: CaHandle;
let server: { port: number; close: () => Promise<void> };

// Mirrors how the proxy serves MITM'd tunnels: SNI picks the leaf; without SNI
// (IP literals) the default context serves the CONNECT host's leaf.
function sniCallback(name: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void {
  try {
    cb(null, ca.secureContextFor(name));
  } catch (e) {
    cb(e as Error);
  }
}

before(async () => {
  ca = await loadOrCreateCa(join(dir.path, 'ca'));
  const ipLeaf = ca.leafFor('127.0.0.1');
  server = await startTlsServer({ key: ipLeaf.keyPem, cert: ipLeaf.certPem, SNICallback: sniCallback });
});
after(async () => {
  await server.close();
  dir.cleanup();
});

describe('Node TLS client', () => {
  for (const servername of ['example.test', 'second.example.test']) {
    it(`verifies ${servername} via SNI`, async () => {
      const r = await nodeConnect({ host: '127.0.0.1', port: server.port, servername, ca: [ca.certPem] });
      assert.equal(r.error, undefined);
      assert.equal(r.authorized, true);
      assert.equal(r.san, `DNS:${servername}`);
    });
  }

  it('verifies 127.0.0.1 without SNI (IP SAN from the default context)', async () => {
    const r = await nodeConnect({ host: '127.0.0.1', port: server.port, ca: [ca.certPem] });
    assert.equal(r.error, undefined);
    assert.equal(r.authorized, true);
    assert.equal(r.san, 'IP Address:127.0.0.1');
  });

  it('works over TLS 1.2 (ECDHE-ECDSA) as well as 1.3', async () => {
    const r12 = await nodeConnect({ host: '127.0.0.1', port: server.port, servername: 'example.test', ca: [ca.certPem], maxVersion: 'TLSv1.2' });
    assert.equal(r12.authorized, true, r12.error);
    assert.equal(r12.protocol, 'TLSv1.2');
    const r13 = await nodeConnect({ host: '127.0.0.1', port: server.port, servername: 'example.test', ca: [ca.certPem] });
    assert.equal(r13.protocol, 'TLSv1.3');
  });

  it('a client that does not trust the CA is rejected', async () => {
    const r = await nodeConnect({ host: '127.0.0.1', port: server.port, servername: 'example.test', ca: [] });
    assert.equal(r.authorized, false);
    assert.match(r.error ?? '', /unable to (verify the first certificate|get local issuer certificate)/);
  });

  it('per-CONNECT socket: ::1 served without SNI from secureContextFor(connect host)', async (t) => {
    const raw = net.createServer((sock) => {
      const s = new tls.TLSSocket(sock, { isServer: true, secureContext: ca.secureContextFor('[::1]'), SNICallback: sniCallback });
      s.on('error', () => {});
      s.on('secure', () => s.end());
    });
    const ok = await new Promise<boolean>((r) => raw.listen(0, '::1', () => r(true)).on('error', () => r(false)));
    if (!ok) return t.skip('no IPv6 loopback');
    try {
      const port = (raw.address() as net.AddressInfo).port;
      const r = await nodeConnect({ host: '::1', port, ca: [ca.certPem] });
      assert.equal(r.error, undefined);
      assert.equal(r.authorized, true);
      assert.equal(r.san, 'IP Address:0:0:0:0:0:0:0:1');
    } finally {
      await new Promise((r) => raw.close(r));
    }
  });
});

const PY = `
import socket, ssl, sys
cafile, host, port, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
ctx.verify_flags |= ssl.VERIFY_X509_STRICT  # default from Python 3.13; explicit for older versions
with socket.create_connection((host, port), timeout=10) as s:
    with ctx.wrap_socket(s, server_hostname=name) as t:
        print(t.version(), dict(x[0] for x in t.getpeercert()["subject"]) , t.getpeercert()["subjectAltName"])
`;

describe('Python ssl (VERIFY_X509_STRICT)', { skip: !hasCommand('python3') && 'python3 not installed' }, () => {
  for (const name of ['example.test', 'second.example.test', '127.0.0.1']) {
    it(`verifies ${name}`, async () => {
      const r = await run('python3', ['-c', PY, ca.certPath, '127.0.0.1', String(server.port), name]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(name.includes('.test') ? `\\('DNS', '${name}'\\)` : `\\('IP Address', '${name}'\\)`));
    });
  }

  it('negative control: a leaf without AKI is rejected ("Missing Authority Key Identifier")', async () => {
    const noAki = leafWithoutAki(ca, 'noaki.test');
    const bad = await startTlsServer({ key: noAki.keyPem, cert: noAki.certPem });
    try {
      const r = await run('python3', ['-c', PY, ca.certPath, '127.0.0.1', String(bad.port), 'noaki.test']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Missing Authority Key Identifier/);
    } finally {
      await bad.close();
    }
  });
});

describe('curl', { skip: !hasCommand('curl') && 'curl not installed' }, () => {
  const curl = (url: string, ...extra: string[]) =>
    run('curl', ['-sS', '--noproxy', '*', '--max-time', '10', '--cacert', ca.certPath, ...extra, url]);

  it('verifies example.test via --resolve', async () => {
    const r = await curl(`https://example.test:${server.port}/`, '--resolve', `example.test:${server.port}:127.0.0.1`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok');
  });

  it('verifies https://127.0.0.1 (IP SAN)', async () => {
    const r = await curl(`https://127.0.0.1:${server.port}/`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok');
  });

  it('fails without our CA (system trust store only)', async () => {
    const r = await run('curl', ['-sS', '--noproxy', '*', '--max-time', '10', `https://127.0.0.1:${server.port}/`]);
    assert.equal(r.code, 60, r.stderr); // CURLE_PEER_FAILED_VERIFICATION
  });
});
