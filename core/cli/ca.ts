// `codex-netpolicy ca`: where the local CA is and its fingerprint (created when missing).
import { resolve } from 'node:path';
import { loadOrCreateCa, regenerateCa } from '../ca';
import { defaultCaDir } from '../proxy/state';
import { one, parseArgs } from './args';
import type { Io } from './io';

export const CA_HELP = `Usage: codex-netpolicy ca [--ca-dir DIR] [--regenerate] [--json]

Prints the MITM CA certificate path and SHA-256 fingerprint, creating the CA if it is missing.
--regenerate backs up the current CA files and creates a new CA (running proxies keep the old one).`;

export async function runCa(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { flags: ['help', 'regenerate', 'json'], options: ['ca-dir'] });
  if (args.flags.has('help')) {
    io.out(CA_HELP);
    return 0;
  }
  const dir = resolve(one(args, 'ca-dir') ?? defaultCaDir(io.env));
  let backups: string[] = [];
  let ca;
  if (args.flags.has('regenerate')) {
    const r = await regenerateCa(dir);
    ca = r.ca;
    backups = [...r.backups];
  } else ca = await loadOrCreateCa(dir);
  const info = {
    certPath: ca.certPath, fingerprintSha256: ca.fingerprintSha256, subject: ca.subject,
    notBefore: ca.notBefore.toISOString(), notAfter: ca.notAfter.toISOString(), keyType: ca.keyType, backups,
  };
  if (args.flags.has('json')) io.out(JSON.stringify(info));
  else {
    io.out(`CA certificate: ${info.certPath}`);
    io.out(`SHA-256: ${info.fingerprintSha256}`);
    io.out(`Subject: ${info.subject}; valid ${info.notBefore} … ${info.notAfter} (${info.keyType})`);
    for (const b of backups) io.out(`backup: ${b}`);
  }
  return 0;
}
