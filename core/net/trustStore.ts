// What upstream TLS trusts besides Node's bundled roots (reference §0 "startup CA bundles", §6.3):
// the OS store (Node's system store where this Node has one, the platform bundle file),
// SSL_CERT_FILE / SSL_CERT_DIR / NODE_EXTRA_CA_CERTS as set when the proxy starts, and
// --upstream-ca files. So a corporate TLS-inspection CA installed on the machine works without
// flags. Our own MITM CA is never trusted upstream (a proxied terminal's SSL_CERT_FILE carries it).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { createHash } from 'node:crypto';
import { parsePemCertificates, type ParsedCert } from '../env/pem';

/** Platform bundle files (Debian/Ubuntu first), the first readable one is used. */
const OS_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];
const MAX_DIR_ENTRIES = 4096;

export interface TrustSources {
  env: Record<string, string | undefined>;
  /** --upstream-ca files (an unreadable one is an error: the user named it). */
  extraFiles: readonly string[];
  /** PEM of our MITM CA: left out wherever it appears. */
  excludePem?: string;
}

export interface Trust {
  /** PEM certificates, de-duplicated. */
  ca: string[];
  /** Where certificates came from, for the startup line. */
  sources: string[];
  /** Unreadable optional sources (no secrets in them). */
  warnings: string[];
  /** The loaded context (built once here; every upstream socket shares it). */
  secureContext?: tls.SecureContext;
}

type SystemCaGetter = (type: 'system') => string[];

export function upstreamTrustStore(src: TrustSources): Trust {
  // Fast path: de-duplicate by a hash of each block's DER without parsing certificates (parsing
  // ~300 of them took most of a second at start); only if the result does not load do we parse.
  const fast = collect(src, quickCertificates);
  try {
    return { ...fast, secureContext: tls.createSecureContext({ ca: fast.ca }) };
  } catch {
    return collect(src, (text) => parsePemCertificates(text).certs);
  }
}

const BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** PEM CERTIFICATE blocks with a DER hash; other forms (TRUSTED CERTIFICATE) go through the parser. */
function quickCertificates(text: string): ParsedCert[] {
  if (text.includes('TRUSTED CERTIFICATE') || text.includes('X509 CERTIFICATE')) return parsePemCertificates(text).certs;
  const out: ParsedCert[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const der = Buffer.from(m[1]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    if (der.length) out.push({ fingerprint: createHash('sha256').update(der).digest('hex'), pem: `${m[0]}\n` });
  }
  return out;
}

function collect(src: TrustSources, certsOf: (text: string) => ParsedCert[]): Trust {
  const seen = new Set<string>();
  const ca: string[] = [];
  const sources: string[] = [];
  const warnings: string[] = [];
  const exclude = src.excludePem ? new Set(certsOf(src.excludePem).map((c) => c.fingerprint)) : new Set<string>();
  const addPem = (pems: readonly string[], label: string): void => {
    let n = 0;
    for (const text of pems) {
      for (const c of certsOf(text)) {
        if (seen.has(c.fingerprint) || exclude.has(c.fingerprint)) continue;
        seen.add(c.fingerprint);
        ca.push(c.pem);
        n++;
      }
    }
    if (n) sources.push(`${label} (${n})`);
  };
  const readOptional = (file: string, label: string): void => {
    try {
      addPem([readFileSync(file, 'utf8')], label);
    } catch (e) {
      warnings.push(`cannot read ${label}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };

  addPem([...tls.rootCertificates], "Node's roots");
  const system = (tls as unknown as { getCACertificates?: SystemCaGetter }).getCACertificates;
  if (system) {
    try {
      addPem(system('system'), 'system store');
    } catch {
      // an OS store this Node cannot read: the bundle files below still count
    }
  }
  const env = src.env;
  if (env.SSL_CERT_FILE) readOptional(env.SSL_CERT_FILE, `SSL_CERT_FILE ${env.SSL_CERT_FILE}`);
  else {
    const bundle = OS_BUNDLES.find((f) => isFile(f));
    if (bundle) readOptional(bundle, `OS bundle ${bundle}`);
  }
  for (const dir of (env.SSL_CERT_DIR ?? '').split(':').filter(Boolean)) addPem(readDir(dir, warnings), `SSL_CERT_DIR ${dir}`);
  if (env.NODE_EXTRA_CA_CERTS) readOptional(env.NODE_EXTRA_CA_CERTS, `NODE_EXTRA_CA_CERTS ${env.NODE_EXTRA_CA_CERTS}`);
  for (const f of src.extraFiles) addPem([readFileSync(f, 'utf8')], `--upstream-ca ${f}`);
  return { ca, sources, warnings };
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

function readDir(dir: string, warnings: string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).slice(0, MAX_DIR_ENTRIES);
  } catch (e) {
    warnings.push(`cannot read SSL_CERT_DIR ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    if (!isFile(p)) continue;
    try {
      out.push(readFileSync(p, 'utf8'));
    } catch {
      // an unreadable entry is skipped; the rest still count
    }
  }
  return out;
}
