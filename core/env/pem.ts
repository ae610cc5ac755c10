// PEM certificate parsing for trust bundles: extract, normalise, fingerprint.
import { X509Certificate, createHash } from 'node:crypto';

export interface ParsedCert {
  /** SHA-256 of the DER encoding, lower-case hex: the de-duplication key. */
  fingerprint: string;
  /** Canonical PEM: `CERTIFICATE` label, 64-column base64, trailing newline. */
  pem: string;
}

const BLOCK = /-----BEGIN (CERTIFICATE|TRUSTED CERTIFICATE|X509 CERTIFICATE)-----([\s\S]*?)-----END \1-----/g;

/**
 * Every parsable certificate in `text`, in order. Unparsable blocks are skipped (counted in
 * `bad`), so one corrupt entry in a user's bundle does not lose the rest.
 */
export function parsePemCertificates(text: string): { certs: ParsedCert[]; bad: number } {
  const certs: ParsedCert[] = [];
  let bad = 0;
  for (const m of text.matchAll(BLOCK)) {
    let der: Buffer = Buffer.from(m[2]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    // OpenSSL's TRUSTED CERTIFICATE is the certificate followed by trust settings (X509_CERT_AUX);
    // keep only the certificate. Decision: drop the aux settings; upstream accepts this form (§6.3)
    // and many clients (Node, rustls) only understand plain CERTIFICATE blocks.
    if (m[1] === 'TRUSTED CERTIFICATE') der = firstDerElement(der) ?? Buffer.alloc(0);
    const cert = fromDer(der);
    if (cert) certs.push(cert);
    else bad++;
  }
  return { certs, bad };
}

/** Parses one DER certificate; null when it is not a valid X.509 certificate. */
function fromDer(der: Buffer): ParsedCert | null {
  if (der.length === 0) return null;
  try {
    const x = new X509Certificate(der);
    const raw = x.raw;
    const b64 = raw.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
    return {
      fingerprint: createHash('sha256').update(raw).digest('hex'),
      pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    };
  } catch {
    return null;
  }
}

/** The first complete DER TLV in `buf` (definite lengths only), or null. */
function firstDerElement(buf: Buffer): Buffer | null {
  if (buf.length < 2 || buf[0] !== 0x30) return null;
  let len = buf[1]!;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || buf.length < 2 + n) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[2 + i]!;
    off = 2 + n;
  }
  return off + len <= buf.length ? buf.subarray(0, off + len) : null;
}
