// Public types of the local certificate authority.
import type { SecureContext } from 'node:tls';

export interface CaOptions {
  /** Clock in ms since the epoch (validity of a new CA and of leaves); injectable so tests can age certificates. */
  readonly now?: () => number;
  /** Maximum number of cached leaf certificates (LRU). Default 1000. */
  readonly leafCacheSize?: number;
}

/** A leaf certificate for one host. The key is the process-wide leaf key. */
export interface LeafCert {
  /** Normalised host: lower-case ASCII DNS name or canonical IP literal. */
  readonly host: string;
  readonly certPem: string;
  /** PKCS#8 PEM of the shared leaf key. Not enumerable, so it never shows up in logs or JSON. */
  readonly keyPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Upper-case hex. */
  readonly serialHex: string;
}

export interface CaHandle {
  readonly certPem: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** SHA-256 of the DER certificate, upper-case colon hex (as browsers and `openssl -fingerprint` show it). */
  readonly fingerprintSha256: string;
  /** One line, e.g. "O=Codex Network Policy, CN=Codex Network Policy Local CA". */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Key algorithm of the CA, e.g. "ec P-256" or "rsa 2048". */
  readonly keyType: string;
  /**
   * Leaf for a DNS name or IP literal (brackets and IPv6 zone ids are stripped).
   * Cached per host; reissued when less than a day of validity remains.
   * Throws InvalidHostError for names that cannot go into a SAN.
   */
  leafFor(host: string): LeafCert;
  /** Cached TLS context serving `leafFor(host)`; meant for SNICallback / per-CONNECT sockets. */
  secureContextFor(host: string): SecureContext;
}

export type CaErrorCode =
  | 'CA_INCOMPLETE' // exactly one of ca.pem / ca.key exists
  | 'CA_FILE_INSECURE' // a CA file is a symlink or not a regular file, or the key is group/world accessible
  | 'CA_INVALID'; // unparsable, not a CA, or key and certificate do not match

export class CaError extends Error {
  constructor(readonly code: CaErrorCode, message: string) {
    super(message);
    this.name = 'CaError';
  }
}
