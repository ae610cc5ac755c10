// The CA itself: creating new CA material in memory, and opening existing
// material (validated) into a CaHandle that issues leaves.
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import forge from 'node-forge';
import { childrenOf, content, fromPem, readTlv, slice, type Tlv } from './der';
import { processLeafKey, type Issuer } from './leaf';
import { LeafCache } from './leaf-cache';
import { CaError, type CaHandle, type CaOptions, type LeafCert } from './types';
import { OID, buildCertificate, encodeName, ext, keyIdentifier, randomSerial, wholeSeconds } from './x509';

export const CA_COMMON_NAME = 'Codex Network Policy Local CA';
export const CA_ORGANIZATION = 'Codex Network Policy';
const HOUR = 3_600_000;

/** A fresh ECDSA P-256 CA, valid from an hour ago for 10 years. Nothing touches disk here. */
export function createCaMaterial(nowMs: number): { keyPem: string; certPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const id = keyIdentifier(spki);
  // CA/B Forum subject order: O before CN.
  const name = encodeName([
    { oid: OID.organizationName, value: CA_ORGANIZATION },
    { oid: OID.commonName, value: CA_COMMON_NAME },
  ]);
  const notAfter = wholeSeconds(nowMs);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 10);
  const { pem } = buildCertificate({
    serial: randomSerial(),
    issuer: name,
    subject: name,
    notBefore: wholeSeconds(nowMs - HOUR),
    notAfter,
    spki,
    extensions: [
      // pathLen 0: this CA only ever signs leaves.
      ext.basicConstraints(true, 0),
      ext.keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
      ext.subjectKeyIdentifier(id),
      ext.authorityKeyIdentifier(id),
    ],
    signer: privateKey,
  });
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: pem };
}

interface ParsedCa {
  readonly subject: Buffer;
  readonly spki: Buffer;
  readonly ski: Buffer | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

function parseTime(der: Buffer, t: Tlv): Date {
  const s = content(der, t).toString('latin1');
  if (t.tag === 0x17) return forge.asn1.utcTimeToDate(s);
  if (t.tag === 0x18) return forge.asn1.generalizedTimeToDate(s);
  throw new Error('bad validity time');
}

/** Pulls out the raw pieces the leaf issuer needs (forge's parser rejects EC keys). */
function parseCaCert(der: Buffer): ParsedCa {
  const [tbsTlv] = childrenOf(der, readTlv(der, 0));
  if (!tbsTlv) throw new Error('empty certificate');
  const tbs = childrenOf(der, tbsTlv);
  const v = tbs[0]?.tag === 0xa0 ? 1 : 0; // explicit version is optional in DER (v1)
  const [validity, subject, spki] = [tbs[v + 3], tbs[v + 4], tbs[v + 5]];
  if (!validity || !subject || !spki) throw new Error('truncated TBSCertificate');
  const [nb, na] = childrenOf(der, validity);
  if (!nb || !na) throw new Error('bad validity');
  let ski: Buffer | undefined;
  const exts = tbs.find((t) => t.tag === 0xa3);
  const extList = exts ? childrenOf(der, exts)[0] : undefined;
  for (const e of extList ? childrenOf(der, extList) : []) {
    const parts = childrenOf(der, e);
    const id = parts[0] ? forge.asn1.derToOid(content(der, parts[0]).toString('binary')) : '';
    const value = parts[parts.length - 1];
    if (id === OID.subjectKeyIdentifier && value) {
      const inner = content(der, value);
      ski = Buffer.from(content(inner, readTlv(inner, 0)));
    }
  }
  return {
    subject: Buffer.from(slice(der, subject)),
    spki: Buffer.from(slice(der, spki)),
    ski,
    notBefore: parseTime(der, nb),
    notAfter: parseTime(der, na),
  };
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `ec ${d?.namedCurve === 'prime256v1' ? 'P-256' : d?.namedCurve ?? '?'}`;
  return `${key.asymmetricKeyType ?? 'unknown'}${d?.modulusLength ? ` ${d.modulusLength}` : ''}`;
}

export interface CaPaths {
  readonly certPath: string;
  readonly keyPath: string;
}

class LocalCa implements CaHandle {
  readonly certPem: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly fingerprintSha256: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyType: string;
  readonly #leaves: LeafCache;

  constructor(certPem: string, x509: X509Certificate, parsed: ParsedCa, key: KeyObject, paths: CaPaths, opts: CaOptions) {
    this.certPem = certPem;
    this.certPath = paths.certPath;
    this.keyPath = paths.keyPath;
    this.fingerprintSha256 = x509.fingerprint256;
    this.subject = x509.subject.split('\n').join(', ');
    this.notBefore = parsed.notBefore;
    this.notAfter = parsed.notAfter;
    this.keyType = describeKey(key);
    const issuer: Issuer = {
      name: parsed.subject,
      // A CA without SKI (not ours) still gets a matching AKI computed from its key.
      keyId: parsed.ski ?? keyIdentifier(parsed.spki),
      key,
      notAfter: parsed.notAfter,
    };
    this.#leaves = new LeafCache(issuer, processLeafKey(), opts.now ?? Date.now, opts.leafCacheSize);
  }

  leafFor(host: string): LeafCert {
    return this.#leaves.leafFor(host);
  }

  secureContextFor(host: string): SecureContext {
    return this.#leaves.secureContextFor(host);
  }
}

/** Validates CA material (parsable, a CA, key matches) and wraps it. Errors name paths, never contents. */
export function openCa(keyPem: string, certPem: string, paths: CaPaths, opts: CaOptions = {}): CaHandle {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new CaError('CA_INVALID', `CA key ${paths.keyPath} is not a readable private key (${(e as Error).message})`);
  }
  let x509: X509Certificate;
  let parsed: ParsedCa;
  try {
    x509 = new X509Certificate(certPem);
    parsed = parseCaCert(fromPem('CERTIFICATE', certPem));
  } catch (e) {
    throw new CaError('CA_INVALID', `CA certificate ${paths.certPath} is not a readable certificate (${(e as Error).message})`);
  }
  if (!x509.ca) throw new CaError('CA_INVALID', `certificate ${paths.certPath} is not a CA certificate`);
  if (!x509.checkPrivateKey(key)) {
    throw new CaError('CA_INVALID', `CA key ${paths.keyPath} does not belong to certificate ${paths.certPath}`);
  }
  if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa') {
    throw new CaError('CA_INVALID', `CA key ${paths.keyPath} has unsupported type ${describeKey(key)}`);
  }
  return new LocalCa(certPem, x509, parsed, key, paths, opts);
}
