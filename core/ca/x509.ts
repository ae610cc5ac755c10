// Builds X.509 v3 certificates: node-forge encodes the ASN.1 values, the native
// SPKI DER is spliced in as-is, and node:crypto signs the TBSCertificate.
// forge's getTBSCertificate() is not used because it can only emit RSA keys and
// would add a NULL parameter to ecdsa-with-SHA256 (RFC 5758 says omit it).
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { bitString, childrenOf, content, readTlv, sequence, toPem } from './der';

const { asn1 } = forge;
type Node = forge.asn1.Asn1;

export const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const toDer = (n: Node): Buffer => Buffer.from(asn1.toDer(n).getBytes(), 'binary');
const prim = (type: number, bytes: Buffer): Node =>
  asn1.create(asn1.Class.UNIVERSAL, type, false, bytes.toString('binary'));
const oid = (o: string): Node =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const ctx = (tag: number, constructed: boolean, value: Node[] | Buffer): Node =>
  asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, constructed,
    Buffer.isBuffer(value) ? value.toString('binary') : value);

export interface NameAttr {
  readonly oid: string;
  readonly value: string;
}

/** RDNSequence with one UTF8String attribute per RDN (RFC 5280 §4.1.2.6). */
export function encodeName(attrs: readonly NameAttr[]): Buffer {
  return toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, attrs.map((a) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        oid(a.oid),
        prim(asn1.Type.UTF8, Buffer.from(a.value, 'utf8')),
      ]),
    ]))));
}

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Node;
}

export type KeyUsage = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';
const KU_BIT: Record<KeyUsage, number> = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };

export type GeneralName = { readonly dns: string } | { readonly ip: Buffer };

export const ext = {
  basicConstraints(ca: boolean, pathLen?: number): Extension {
    const v: Node[] = [];
    if (ca) v.push(prim(asn1.Type.BOOLEAN, Buffer.from([0xff])));
    if (ca && pathLen !== undefined) v.push(prim(asn1.Type.INTEGER, Buffer.from([pathLen])));
    return { oid: OID.basicConstraints, critical: true, value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, v) };
  },
  keyUsage(usages: readonly KeyUsage[]): Extension {
    // Named BIT STRING: trailing zero bits are dropped, so "unused" = 7 - highest bit set.
    let byte = 0;
    let last = 0;
    for (const u of usages) {
      byte |= 0x80 >> KU_BIT[u];
      last = Math.max(last, KU_BIT[u]);
    }
    return { oid: OID.keyUsage, critical: true, value: prim(asn1.Type.BITSTRING, Buffer.from([7 - last, byte])) };
  },
  serverAuth(): Extension {
    return { oid: OID.extKeyUsage, critical: false, value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [oid(OID.serverAuth)]) };
  },
  subjectAltName(names: readonly GeneralName[], critical: boolean): Extension {
    const v = names.map((n) => ('dns' in n ? ctx(2, false, Buffer.from(n.dns, 'ascii')) : ctx(7, false, n.ip)));
    return { oid: OID.subjectAltName, critical, value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, v) };
  },
  subjectKeyIdentifier(id: Buffer): Extension {
    return { oid: OID.subjectKeyIdentifier, critical: false, value: prim(asn1.Type.OCTETSTRING, id) };
  },
  authorityKeyIdentifier(id: Buffer): Extension {
    return { oid: OID.authorityKeyIdentifier, critical: false, value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [ctx(0, false, id)]) };
  },
};

function encodeExtensions(exts: readonly Extension[]): Buffer {
  return toDer(ctx(3, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, exts.map((e) => {
    const parts: Node[] = [oid(e.oid)];
    if (e.critical) parts.push(prim(asn1.Type.BOOLEAN, Buffer.from([0xff])));
    parts.push(prim(asn1.Type.OCTETSTRING, toDer(e.value)));
    return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, parts);
  }))]));
}

/** RFC 5280 §5.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function encodeTime(d: Date): Node {
  return d.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

/** Positive, minimally encoded 16-byte serial (top byte in 0x40..0x7f): 126 random bits. */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spkiDer: Buffer): Buffer {
  const spki = readTlv(spkiDer, 0);
  const key = childrenOf(spkiDer, spki)[1];
  if (!key || key.tag !== 0x03) throw new Error('SPKI: missing subjectPublicKey');
  return createHash('sha1').update(content(spkiDer, key).subarray(1)).digest();
}

/** AlgorithmIdentifier for signing with `key` using SHA-256. */
function signatureAlgorithm(key: KeyObject): Buffer {
  switch (key.asymmetricKeyType) {
    case 'ec': // parameters MUST be absent (RFC 5758 §3.2)
      return toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [oid(OID.ecdsaWithSha256)]));
    case 'rsa': // parameters MUST be NULL (RFC 4055 §5)
      return toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        oid(OID.sha256WithRsa), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
      ]));
    default:
      throw new Error(`unsupported CA key type: ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}

export interface CertSpec {
  readonly serial: Buffer;
  /** DER Name of the issuer (for self-signed: same as the encoded subject). */
  readonly issuer: Buffer;
  /** DER Name of the subject. */
  readonly subject: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER straight from `KeyObject.export({ type: 'spki', format: 'der' })`. */
  readonly spki: Buffer;
  readonly extensions: readonly Extension[];
  readonly signer: KeyObject;
}

export function buildCertificate(spec: CertSpec): { der: Buffer; pem: string } {
  const alg = signatureAlgorithm(spec.signer);
  const tbs = sequence([
    toDer(ctx(0, true, [prim(asn1.Type.INTEGER, Buffer.from([2]))])), // v3
    toDer(prim(asn1.Type.INTEGER, spec.serial)),
    alg,
    spec.issuer,
    toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [encodeTime(spec.notBefore), encodeTime(spec.notAfter)])),
    spec.subject,
    spec.spki,
    encodeExtensions(spec.extensions),
  ]);
  // ECDSA signatures come out as DER Ecdsa-Sig-Value, which is what X.509 wants.
  const der = sequence([tbs, alg, bitString(sign('sha256', tbs, spec.signer))]);
  return { der, pem: toPem('CERTIFICATE', der) };
}

/** Drops milliseconds: certificate times have one-second resolution. */
export const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);
