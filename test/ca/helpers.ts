// Shared helpers for the CA tests: temp dirs, running real external tools, a TLS test server.
import { execFile, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { CaHandle } from '../../core/ca/index';
import { childrenOf, fromPem, readTlv, slice } from '../../core/ca/der';
import { processLeafKey } from '../../core/ca/leaf';
import { OID, buildCertificate, encodeName, ext, randomSerial, wholeSeconds } from '../../core/ca/x509';

export function tempDir(): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'ca-test-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Async on purpose: the TLS servers under test live in this process's event loop. */
export function run(cmd: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 20_000, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A TLS server answering every request with a tiny HTTP/1.1 "ok". */
export async function startTlsServer(
  options: tls.TlsOptions,
  host = '127.0.0.1',
): Promise<{ port: number; close: () => Promise<void> }> {
  const server = tls.createServer(options, (sock) => {
    sock.on('error', () => {});
    sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
  });
  server.on('tlsClientError', () => {}); // rejected handshakes are expected in negative tests
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Connects with Node's TLS client and reports whether the chain and name verified. */
export function nodeConnect(options: tls.ConnectionOptions): Promise<{ authorized: boolean; error?: string; san?: string; protocol?: string }> {
  return new Promise((resolve) => {
    const sock = tls.connect(options, () => {
      const res = { authorized: sock.authorized, san: sock.getPeerCertificate().subjectaltname, protocol: sock.getProtocol() ?? undefined };
      sock.end();
      resolve(res);
    });
    sock.on('error', (e) => resolve({ authorized: false, error: e.message }));
  });
}

/**
 * Negative control: a leaf like ours but without the Authority Key Identifier
 * (the Codex bug, issue #45202). Strict verifiers must reject it.
 */
export function leafWithoutAki(ca: CaHandle, host: string): { certPem: string; keyPem: string } {
  const caDer = fromPem('CERTIFICATE', ca.certPem);
  // TBSCertificate fields: version, serial, signature alg, issuer, validity, subject, ...
  const tbs = childrenOf(caDer, childrenOf(caDer, readTlv(caDer, 0))[0]!);
  const key = processLeafKey();
  const { pem } = buildCertificate({
    serial: randomSerial(),
    issuer: slice(caDer, tbs[5]!),
    subject: encodeName([{ oid: OID.commonName, value: host }]),
    notBefore: wholeSeconds(Date.now() - 3_600_000),
    notAfter: wholeSeconds(Date.now() + 86_400_000),
    spki: key.spki,
    extensions: [ext.basicConstraints(false), ext.keyUsage(['digitalSignature']), ext.serverAuth(),
      ext.subjectAltName([{ dns: host }], false), ext.subjectKeyIdentifier(key.keyId)],
    signer: createPrivateKey(readFileSync(ca.keyPath)),
  });
  return { certPem: pem, keyPem: key.pem };
}
