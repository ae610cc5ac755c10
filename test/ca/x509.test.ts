// Certificate contents, checked by OpenSSL and Node's X509Certificate (no mocks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateCa, normaliseHost, InvalidHostError, type CaHandle } from '../../core/ca/index';
import { hasCommand, leafWithoutAki, run, tempDir } from './helpers';

const openssl = hasCommand('openssl');
const dir = tempDir();
let ca: CaHandle;
const file = (name: string, pem: string): string => {
  const p = join(dir.path, name);
  writeFileSync(p, pem);
  return p;
};
/** Hex of the key id printed on the line after `label` in `openssl x509 -text`. */
const keyIdAfter = (text: string, label: string): string | undefined =>
  new RegExp(`${label}: ?\\n\\s+(?:keyid:)?([0-9A-F:]+)`).exec(text)?.[1];

before(async () => {
  ca = await loadOrCreateCa(join(dir.path, 'ca'));
});
after(() => dir.cleanup());

describe('CA certificate', { skip: !openssl && 'openssl not installed' }, () => {
  it('has the required extensions, ECDSA P-256 and a 10-year validity', async () => {
    const { code, stdout } = await run('openssl', ['x509', '-in', ca.certPath, '-noout', '-text']);
    assert.equal(code, 0);
    assert.match(stdout, /Subject: O = Codex Network Policy, CN = Codex Network Policy Local CA/);
    assert.match(stdout, /X509v3 Basic Constraints: critical\n\s+CA:TRUE/);
    assert.match(stdout, /X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign/);
    assert.match(stdout, /NIST CURVE: P-256/);
    assert.match(stdout, /Signature Algorithm: ecdsa-with-SHA256/);
    const ski = keyIdAfter(stdout, 'X509v3 Subject Key Identifier');
    assert.ok(ski, 'SKI present');
    assert.equal(keyIdAfter(stdout, 'X509v3 Authority Key Identifier'), ski, 'self-signed AKI = SKI');
    const years = (ca.notAfter.getTime() - ca.notBefore.getTime()) / (365.25 * 86_400_000);
    assert.ok(years > 9.99 && years < 10.01, `validity ${years} years`);
    assert.ok(ca.notBefore.getTime() <= Date.now() - 3_500_000, 'backdated about an hour');
    assert.equal(ca.keyType, 'ec P-256');
  });

  it('self-verifies strictly and reports the same fingerprint as OpenSSL', async () => {
    const v = await run('openssl', ['verify', '-x509_strict', '-CAfile', ca.certPath, ca.certPath]);
    assert.equal(v.code, 0, v.stderr);
    const fp = await run('openssl', ['x509', '-in', ca.certPath, '-noout', '-fingerprint', '-sha256']);
    assert.equal(fp.stdout.trim().split('=')[1], ca.fingerprintSha256);
  });
});

describe('leaf certificates (OpenSSL)', { skip: !openssl && 'openssl not installed' }, () => {
  it('DNS leaf: SAN, EKU, KU, basicConstraints, AKI = CA SKI', async () => {
    const leaf = file('dns.pem', ca.leafFor('example.test').certPem);
    const { stdout } = await run('openssl', ['x509', '-in', leaf, '-noout', '-text']);
    const caText = (await run('openssl', ['x509', '-in', ca.certPath, '-noout', '-text'])).stdout;
    assert.match(stdout, /Subject: CN = example.test/);
    assert.match(stdout, /X509v3 Subject Alternative Name: \n\s+DNS:example.test\n/);
    assert.match(stdout, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    assert.match(stdout, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(stdout, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    assert.ok(keyIdAfter(stdout, 'X509v3 Subject Key Identifier'));
    assert.equal(keyIdAfter(stdout, 'X509v3 Authority Key Identifier'), keyIdAfter(caText, 'X509v3 Subject Key Identifier'));
  });

  for (const [host, flag, value] of [
    ['example.test', '-verify_hostname', 'example.test'],
    ['Second.Example.TEST.', '-verify_hostname', 'second.example.test'],
    ['127.0.0.1', '-verify_ip', '127.0.0.1'],
    ['[fe80::1%eth0]', '-verify_ip', 'fe80::1'],
    ['bücher.example', '-verify_hostname', 'xn--bcher-kva.example'],
  ] as const) {
    it(`openssl verify -x509_strict -purpose sslserver ${flag} ${value}`, async () => {
      const leaf = file(`leaf-${value.replace(/\W/g, '_')}.pem`, ca.leafFor(host).certPem);
      const v = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', flag, value, '-CAfile', ca.certPath, leaf]);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /: OK/);
    });
  }

  it('IP leaves carry an IP SAN, not a DNS SAN', async () => {
    const leaf = file('ip6.pem', ca.leafFor('::1').certPem);
    const { stdout } = await run('openssl', ['x509', '-in', leaf, '-noout', '-ext', 'subjectAltName']);
    assert.match(stdout, /IP Address:0:0:0:0:0:0:0:1/);
    assert.doesNotMatch(stdout, /DNS:/);
  });

  it('names too long for a CN go only into a critical SAN', async () => {
    const host = `${'a'.repeat(60)}.example.test`;
    const leaf = file('long.pem', ca.leafFor(host).certPem);
    const { stdout } = await run('openssl', ['x509', '-in', leaf, '-noout', '-subject', '-ext', 'subjectAltName']);
    assert.match(stdout, /subject=\s*\n/);
    assert.match(stdout, new RegExp(`Subject Alternative Name: critical\\n\\s+DNS:${host}`));
    const v = await run('openssl', ['verify', '-x509_strict', '-verify_hostname', host, '-CAfile', ca.certPath, leaf]);
    assert.equal(v.code, 0, v.stderr);
  });

  it('negative control: the same leaf without AKI fails -x509_strict (so these checks have teeth)', async () => {
    const leaf = file('noaki.pem', leafWithoutAki(ca, 'noaki.test').certPem);
    const lax = await run('openssl', ['verify', '-CAfile', ca.certPath, leaf]);
    assert.equal(lax.code, 0, lax.stderr);
    const strict = await run('openssl', ['verify', '-x509_strict', '-CAfile', ca.certPath, leaf]);
    assert.notEqual(strict.code, 0);
    assert.match(strict.stdout + strict.stderr, /Missing Authority Key Identifier/i);
  });
});

describe('a CA made elsewhere (openssl req, RSA-2048)', { skip: !openssl && 'openssl not installed' }, () => {
  it('is loaded as-is and signs strict-valid leaves with sha256WithRSAEncryption', async () => {
    const rsaDir = join(dir.path, 'rsa');
    const mk = await run('sh', ['-c', `umask 077 && mkdir -p '${rsaDir}' && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
      -subj '/C=DE/O=Elsewhere/CN=Test RSA CA' -keyout '${rsaDir}/ca.key' -out '${rsaDir}/ca.pem' \
      -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'`]);
    assert.equal(mk.code, 0, mk.stderr);
    const rsa = await loadOrCreateCa(rsaDir);
    assert.equal(rsa.keyType, 'rsa 2048');
    assert.equal(rsa.subject, 'C=DE, O=Elsewhere, CN=Test RSA CA');
    const leaf = file('rsa-leaf.pem', rsa.leafFor('rsa.example.test').certPem);
    const text = (await run('openssl', ['x509', '-in', leaf, '-noout', '-text'])).stdout;
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /Issuer: C = DE, O = Elsewhere, CN = Test RSA CA/);
    const v = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-verify_hostname', 'rsa.example.test', '-CAfile', rsa.certPath, leaf]);
    assert.equal(v.code, 0, v.stderr);
  });
});

describe('leaf certificates (Node X509Certificate)', () => {
  it('verify against the CA key, checkIssued, checkHost, checkIP', () => {
    const caCert = new X509Certificate(ca.certPem);
    const dns = new X509Certificate(ca.leafFor('example.test').certPem);
    assert.equal(dns.verify(caCert.publicKey), true);
    assert.equal(dns.checkIssued(caCert), true);
    assert.equal(dns.checkHost('example.test'), 'example.test');
    assert.equal(dns.checkHost('other.test'), undefined);
    assert.equal(dns.ca, false);
    const ip4 = new X509Certificate(ca.leafFor('127.0.0.1').certPem);
    assert.equal(ip4.verify(caCert.publicKey), true);
    assert.equal(ip4.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(ip4.subjectAltName, 'IP Address:127.0.0.1', 'IP SAN, no DNS SAN');
    const ip6 = new X509Certificate(ca.leafFor('[::1]').certPem);
    assert.equal(ip6.checkIP('::1'), '::1');
  });

  it('validity: backdated 1 h, 30 days, serials random and positive', () => {
    const leaf = ca.leafFor('validity.test');
    const span = leaf.notAfter.getTime() - leaf.notBefore.getTime();
    assert.ok(Math.abs(span - (30 * 24 + 1) * 3_600_000) <= 2000, `span ${span}`);
    assert.ok(leaf.notBefore.getTime() <= Date.now() - 3_599_000);
    const other = ca.leafFor('validity2.test');
    assert.notEqual(leaf.serialHex, other.serialHex);
    assert.match(leaf.serialHex, /^[4-7][0-9A-F]{31}$/);
    assert.equal(new X509Certificate(leaf.certPem).serialNumber, leaf.serialHex);
  });

  it('leaf public key is the shared leaf key, not the CA key', () => {
    const leafKey = new X509Certificate(ca.leafFor('example.test').certPem).publicKey;
    const fromPemKey = createPublicKey(createPrivateKey(ca.leafFor('example.test').keyPem));
    assert.equal(leafKey.equals(fromPemKey), true);
    assert.equal(leafKey.equals(new X509Certificate(ca.certPem).publicKey), false);
  });
});

describe('host normalisation', () => {
  it('maps names and IP literals to SAN values', () => {
    assert.deepEqual(normaliseHost('Example.COM.'), { kind: 'dns', name: 'example.com' });
    assert.deepEqual(normaliseHost('bücher.de'), { kind: 'dns', name: 'xn--bcher-kva.de' });
    assert.deepEqual(normaliseHost('_dmarc.example.com'), { kind: 'dns', name: '_dmarc.example.com' });
    const v4 = normaliseHost('10.1.2.3');
    assert.equal(v4.kind === 'ip' && v4.bytes.toString('hex'), '0a010203');
    const v6 = normaliseHost('[FE80:0:0::1%25eth0]');
    assert.equal(v6.name, 'fe80::1');
    assert.equal(v6.kind === 'ip' && v6.bytes.toString('hex'), 'fe800000000000000000000000000001');
    const mapped = normaliseHost('::ffff:1.2.3.4');
    assert.equal(mapped.kind === 'ip' && mapped.bytes.toString('hex'), '00000000000000000000ffff01020304');
  });

  it('rejects what cannot be a SAN', () => {
    for (const bad of ['', ' ', 'a..b', 'exa mple.com', 'http://x', '-lead.example', `${'a'.repeat(64)}.com`, 'a/b']) {
      assert.throws(() => normaliseHost(bad), InvalidHostError, bad);
      assert.throws(() => ca.leafFor(bad), InvalidHostError, bad);
    }
  });
});
