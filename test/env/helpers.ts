// Shared test helpers: throwaway CAs/leaves via the real openssl CLI, tool discovery, temp dirs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Absolute path of `cmd` on PATH, or null. */
export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', cmd], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'envtest-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

export interface TestCa {
  certPath: string;
  keyPath: string;
  pem: string;
}

/** A P-256 CA with critical basicConstraints, keyUsage and SKI (what strict verifiers want). */
export function makeCa(dir: string, name: string): TestCa {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-subj', `/CN=${name}`, '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
  return { certPath, keyPath, pem: readFileSync(certPath, 'utf8') };
}

/** A serverAuth leaf for localhost/127.0.0.1 signed by `ca`, with AKI (Python 3.13+ needs it). */
export function makeLeaf(dir: string, ca: TestCa, name: string): { certPath: string; keyPath: string } {
  const keyPath = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const certPath = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid:always',
  ].join('\n'));
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyPath, '-out', csr, '-subj', '/CN=localhost']);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial',
    `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
    '-days', '1', '-extfile', ext, '-out', certPath]);
  return { certPath, keyPath };
}

/** Number of PEM certificate blocks in `text`. */
export function countCerts(text: string): number {
  return text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
}
