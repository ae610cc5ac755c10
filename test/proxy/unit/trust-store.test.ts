// What upstream TLS trusts (core/net/trustStore.ts): Node's roots plus the OS bundle and the
// startup CA variables, de-duplicated, never our own MITM CA, unreadable optional sources skipped.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, test } from 'node:test';
import { parsePemCertificates } from '../../../core/env/pem';
import { upstreamTrustStore } from '../../../core/net/trustStore';
import { tempDir, testCa } from './helpers';

const fingerprints = (pems: string[]): Set<string> => new Set(pems.flatMap((p) => parsePemCertificates(p).certs.map((c) => c.fingerprint)));

describe('upstream trust store', () => {
  test('SSL_CERT_FILE, SSL_CERT_DIR and NODE_EXTRA_CA_CERTS add their certificates once; our CA never', async () => {
    const dir = tempDir();
    const corp = await testCa(join(dir, 'corp'));
    const other = await testCa(join(dir, 'other'));
    const ours = await testCa(join(dir, 'ours'));
    const certDir = join(dir, 'certs');
    mkdirSync(certDir);
    writeFileSync(join(certDir, 'other.pem'), other.certPem);
    writeFileSync(join(certDir, 'not-a-cert.txt'), 'hello');
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, corp.certPem + ours.certPem + corp.certPem);
    const t = upstreamTrustStore({ env: { SSL_CERT_FILE: bundle, SSL_CERT_DIR: `${certDir}:${join(dir, 'missing')}`, NODE_EXTRA_CA_CERTS: corp.certPath }, extraFiles: [], excludePem: ours.certPem });
    const got = fingerprints(t.ca);
    const fp = (pem: string): string => parsePemCertificates(pem).certs[0]!.fingerprint;
    assert.ok(got.has(fp(corp.certPem)));
    assert.ok(got.has(fp(other.certPem)));
    assert.ok(!got.has(fp(ours.certPem)), 'our MITM CA is never trusted upstream');
    assert.equal(t.ca.length, got.size, 'no duplicates');
    assert.ok(t.sources.some((s) => s.startsWith(`SSL_CERT_FILE ${bundle} (1)`)), t.sources.join('; '));
    assert.match(t.warnings.join('\n'), /cannot read SSL_CERT_DIR .*missing: ENOENT/);
    assert.ok(t.ca.length >= rootCertificates.length, "Node's roots are kept");
  });

  test("without SSL_CERT_FILE the OS bundle is read (Debian's ca-certificates.crt)", { skip: !existsSync('/etc/ssl/certs/ca-certificates.crt') && 'no Debian bundle here' }, () => {
    const t = upstreamTrustStore({ env: {}, extraFiles: [] });
    assert.ok(t.sources.some((s) => s.startsWith('OS bundle /etc/ssl/certs/ca-certificates.crt') || s.startsWith('system store')), t.sources.join('; '));
  });

  test('an unreadable --upstream-ca is an error (the user named it)', () => {
    assert.throws(() => upstreamTrustStore({ env: {}, extraFiles: ['/nonexistent/ca.pem'] }), /ENOENT/);
  });
});
