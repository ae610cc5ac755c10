// Issues leaf (server) certificates for one host, signed by the local CA.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { HostName } from './host';
import { CaError, type LeafCert } from './types';
import { OID, buildCertificate, encodeName, ext, keyIdentifier, randomSerial, wholeSeconds, type GeneralName } from './x509';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Short enough that a leaked leaf ages out soon, long enough to never churn. */
const LEAF_VALIDITY_MS = 30 * DAY;
/** Backdating absorbs client clocks that run slightly behind ours. */
const LEAF_BACKDATE_MS = HOUR;
/** RFC 5280 ub-common-name: longer names go into the SAN only. */
const MAX_CN = 64;

/** What a leaf needs from its CA. */
export interface Issuer {
  /** DER Name copied verbatim from the CA certificate's subject. */
  readonly name: Buffer;
  /** The CA's Subject Key Identifier, used as the leaf's Authority Key Identifier. */
  readonly keyId: Buffer;
  readonly key: KeyObject;
  readonly notAfter: Date;
}

export interface LeafKey {
  readonly privateKey: KeyObject;
  readonly pem: string;
  readonly spki: Buffer;
  readonly keyId: Buffer;
}

let processKey: LeafKey | undefined;

/**
 * One P-256 key for every leaf this process issues. Per-host keys would cost a
 * keygen per host and protect nothing: all leaves live in the same process memory.
 */
export function processLeafKey(): LeafKey {
  if (!processKey) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    processKey = { privateKey, pem, spki, keyId: keyIdentifier(spki) };
  }
  return processKey;
}

class Leaf implements LeafCert {
  readonly #keyPem: string;
  constructor(
    readonly host: string,
    readonly certPem: string,
    keyPem: string,
    readonly notBefore: Date,
    readonly notAfter: Date,
    readonly serialHex: string,
  ) {
    this.#keyPem = keyPem;
  }
  // A prototype getter: util.inspect and JSON.stringify skip it, so logging a leaf leaks no key.
  get keyPem(): string {
    return this.#keyPem;
  }
}

export function issueLeaf(issuer: Issuer, key: LeafKey, host: HostName, nowMs: number): LeafCert {
  const notBefore = wholeSeconds(nowMs - LEAF_BACKDATE_MS);
  const notAfter = wholeSeconds(Math.min(nowMs + LEAF_VALIDITY_MS, issuer.notAfter.getTime()));
  if (notAfter.getTime() <= nowMs) {
    throw new CaError('CA_INVALID', `CA certificate expired at ${issuer.notAfter.toISOString()}; regenerate the CA`);
  }
  const san: GeneralName = host.kind === 'ip' ? { ip: host.bytes } : { dns: host.name };
  const withCn = host.name.length <= MAX_CN;
  const serial = randomSerial();
  const { pem } = buildCertificate({
    serial,
    issuer: issuer.name,
    subject: encodeName(withCn ? [{ oid: OID.commonName, value: host.name }] : []),
    notBefore,
    notAfter,
    spki: key.spki,
    extensions: [
      ext.basicConstraints(false),
      // EC key: signatures only; keyEncipherment is meaningless for ECDSA (RFC 8813).
      ext.keyUsage(['digitalSignature']),
      ext.serverAuth(),
      // An empty subject makes the SAN the only name, and RFC 5280 then requires it critical.
      ext.subjectAltName([san], !withCn),
      ext.subjectKeyIdentifier(key.keyId),
      // Required: OpenSSL's X509_STRICT (Python 3.13+ default) rejects leaves without AKI.
      ext.authorityKeyIdentifier(issuer.keyId),
    ],
    signer: issuer.key,
  });
  return new Leaf(host.name, pem, key.pem, notBefore, notAfter, serial.toString('hex').toUpperCase());
}
