// The combined trust bundle children use: system roots + CAs the user already trusted + our CA.
// Written content-addressed (immutable, upstream §6.4) and mirrored at a stable path (see README).
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readFile, readdir, realpath, rename, stat, unlink, utimes } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import * as tls from 'node:tls';
import { CA_ENV_KEYS, HASH_BUNDLE_RE, STABLE_BUNDLE_NAME, STABLE_CA_NAME, isManagedCaPath } from './keys';
import { type ParsedCert, parsePemCertificates } from './pem';

export interface CaBundleOptions {
  /** Directory for the bundle files (created 0755 if missing: children must be able to read it). */
  dir: string;
  /** Our CA certificate, PEM. */
  caCertPem: string;
  /** The user's environment, to carry over CA bundles they had configured. */
  env: Record<string, string | undefined>;
  /** Override the distro bundle search (tests); `[]` falls back to Node's built-in roots. */
  systemBundlePaths?: readonly string[];
  /** Hash-named bundles kept when pruning, the current one included (default 4). */
  keep?: number;
}

export interface CaBundleResult {
  /** Stable `<dir>/ca-bundle.pem`: what buildProxyEnv should get as caBundlePath. */
  path: string;
  /** Immutable `<dir>/ca-bundle-<sha256>.pem` with the same content. */
  hashPath: string;
  /** Stable `<dir>/ca-cert.pem`: our CA alone, for buildProxyEnv's caCertPath. */
  caCertPath: string;
  sha256: string;
  certCount: number;
  /** Where certificates came from, e.g. `SSL_CERT_FILE: /etc/corp.pem (2 certificates)`. */
  sources: string[];
  /** Sources left out and why (unreadable, too large, no certificates, our own bundle). */
  skipped: string[];
}

/** Distro bundle locations, in the order Go's crypto/x509 probes them. */
const SYSTEM_BUNDLE_PATHS: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL 6
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS, RHEL 7+
  '/etc/ssl/cert.pem', // Alpine, macOS, BSDs
];

const USER_BYTES_CAP = 4 * 1024 * 1024; // upstream's limit for carried-over user CA material
const SYSTEM_BYTES_CAP = 16 * 1024 * 1024;
const DIR_ENTRIES_CAP = 256;
const CERT_DIR_NAME = /^(?:.+\.(?:pem|crt)|[0-9a-f]{8}\.[0-9]+)$/i; // hash links are NNNNNNNN.0; .r0 are CRLs

class CaBundleError extends Error {
  override name = 'CaBundleError';
}

export async function buildCaBundle(opts: CaBundleOptions): Promise<CaBundleResult> {
  const ours = parsePemCertificates(opts.caCertPem).certs;
  if (ours.length !== 1) throw new CaBundleError(`caCertPem must hold exactly one certificate (found ${ours.length})`);
  const ca = ours[0]!;
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const realDir = await realpath(dir);

  const sources: string[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>([ca.fingerprint]); // ours goes last, once
  const certs: ParsedCert[] = [];
  const add = (list: ParsedCert[]): number => {
    let n = 0;
    for (const c of list) {
      if (seen.has(c.fingerprint)) continue;
      seen.add(c.fingerprint);
      certs.push(c);
      n++;
    }
    return n;
  };

  const sys = await systemRoots(opts.systemBundlePaths);
  sources.push(`system: ${sys.source} (${add(sys.certs)} certificates)`);
  await collectUserCas(opts.env, [dir, realDir], add, sources, skipped);
  certs.push(ca);
  sources.push('codex-netpolicy CA');

  const content = certs.map((c) => c.pem).join('');
  const sha256 = createHash('sha256').update(content).digest('hex');
  const hashPath = join(dir, `ca-bundle-${sha256}.pem`);
  await writeContentAddressed(dir, hashPath, content, sha256);
  const path = await writeStable(dir, STABLE_BUNDLE_NAME, content);
  const caCertPath = await writeStable(dir, STABLE_CA_NAME, ca.pem);
  await prune(dir, hashPath, Math.max(1, opts.keep ?? 4));
  return { path, hashPath, caCertPath, sha256, certCount: certs.length, sources, skipped };
}

async function systemRoots(paths: readonly string[] | undefined): Promise<{ certs: ParsedCert[]; source: string }> {
  if (paths === undefined && (process.platform === 'darwin' || process.platform === 'win32')) {
    // Node ≥ 22.15 exposes the OS store (keychain / Windows store, with enterprise roots).
    const get = (tls as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
    if (typeof get === 'function') {
      const certs = parsePemCertificates(get('system').join('\n')).certs;
      if (certs.length > 0) return { certs, source: 'OS certificate store' };
    }
  }
  for (const p of paths ?? SYSTEM_BUNDLE_PATHS) {
    const text = await readRegular(p, SYSTEM_BYTES_CAP).catch(() => null);
    const certs = text === null ? [] : parsePemCertificates(text).certs;
    if (certs.length > 0) return { certs, source: p };
  }
  return { certs: parsePemCertificates(tls.rootCertificates.join('\n')).certs, source: "Node's built-in roots" };
}

/** Files named by the CA variables (each once) and SSL_CERT_DIR entries, within the byte budget. */
async function collectUserCas(
  env: Record<string, string | undefined>,
  ownDirs: string[],
  add: (l: ParsedCert[]) => number,
  sources: string[],
  skipped: string[],
): Promise<void> {
  let budget = USER_BYTES_CAP;
  const done = new Set<string>();
  const take = async (label: string, file: string): Promise<number | null> => {
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      skipped.push(`${label}: ${file} (unreadable)`);
      return null;
    }
    if (done.has(real)) return -1; // same file under another variable
    done.add(real);
    if (ownDirs.some((d) => isManagedCaPath(real, d) || isManagedCaPath(file, d))) {
      // A previous bundle of ours would carry an old CA forward forever.
      skipped.push(`${label}: ${file} (our own bundle)`);
      return null;
    }
    let text: string;
    try {
      const st = await stat(real);
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > budget) {
        skipped.push(`${label}: ${file} (over the ${USER_BYTES_CAP / 1048576} MiB limit for user CA files)`);
        return null;
      }
      budget -= st.size;
      text = await readRegular(real, st.size);
    } catch {
      skipped.push(`${label}: ${file} (unreadable)`);
      return null;
    }
    const { certs } = parsePemCertificates(text);
    if (certs.length === 0) {
      skipped.push(`${label}: ${file} (no PEM certificates)`);
      return null;
    }
    return add(certs);
  };

  for (const key of CA_ENV_KEYS) {
    const file = env[key]?.trim();
    if (!file) continue;
    const n = await take(key, file);
    if (n !== null && n >= 0) sources.push(`${key}: ${file} (${n} new certificates)`);
  }

  let entries = 0;
  for (const d of (env.SSL_CERT_DIR ?? '').split(delimiter).map((s) => s.trim()).filter(Boolean)) {
    let names: string[];
    try {
      names = (await readdir(d)).filter((n) => CERT_DIR_NAME.test(n)).sort();
    } catch {
      skipped.push(`SSL_CERT_DIR: ${d} (unreadable)`);
      continue;
    }
    let files = 0;
    let added = 0;
    for (const name of names) {
      if (entries >= DIR_ENTRIES_CAP) {
        skipped.push(`SSL_CERT_DIR: ${d} (stopped at ${DIR_ENTRIES_CAP} entries)`);
        break;
      }
      entries++;
      const n = await take('SSL_CERT_DIR', join(d, name));
      if (n !== null && n >= 0) {
        files++;
        added += n;
      }
    }
    if (files > 0) sources.push(`SSL_CERT_DIR: ${d} (${files} files, ${added} new certificates)`);
  }
}

async function readRegular(p: string, cap: number): Promise<string> {
  const st = await stat(p);
  if (!st.isFile() || st.size > cap) throw new Error('not a readable bundle');
  return readFile(p, 'utf8');
}

/**
 * Create-new-or-reuse, never overwrite (upstream §6.4): an existing file must be a regular,
 * non-symlink file whose content hashes to its name; a symlink or mismatch is refused.
 */
async function writeContentAddressed(dir: string, target: string, content: string, sha256: string): Promise<void> {
  if (await verifyExisting(target, sha256)) return;
  const tmp = await writeTemp(dir, content);
  try {
    try {
      await link(tmp, target); // atomic and exclusive: fails if someone else got there first
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        if (!(await verifyExisting(target, sha256))) throw new CaBundleError(`${target} vanished while being created`);
      } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EXDEV') {
        await copyFile(tmp, target, fsc.COPYFILE_EXCL); // file systems without hard links
      } else throw e;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncDir(dir);
}

/** false when absent; true when valid (and touched, so pruning sees it as in use); else throws. */
async function verifyExisting(target: string, sha256: string): Promise<boolean> {
  let st;
  try {
    st = await lstat(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (st.isSymbolicLink()) throw new CaBundleError(`Refusing CA bundle ${target}: it is a symbolic link`);
  if (!st.isFile()) throw new CaBundleError(`Refusing CA bundle ${target}: not a regular file`);
  if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) {
    throw new CaBundleError(`Refusing CA bundle ${target}: writable by group or others`);
  }
  const actual = createHash('sha256').update(await readFile(target)).digest('hex');
  if (actual !== sha256) {
    throw new CaBundleError(`Refusing CA bundle ${target}: content does not match its name (delete it to rebuild)`);
  }
  const now = new Date();
  await utimes(target, now, now).catch(() => undefined);
  return true;
}

/** Replaces `<dir>/<name>` atomically (rename replaces a symlink entry, never its target). */
async function writeStable(dir: string, name: string, content: string): Promise<string> {
  const target = join(dir, name);
  const st = await lstat(target).catch(() => null);
  const modeOk = process.platform === 'win32' || (st !== null && (st.mode & 0o777) === 0o644);
  if (st?.isFile() && modeOk && (await readFile(target, 'utf8').catch(() => null)) === content) {
    return target; // unchanged: keep its mtime and any reader undisturbed
  }
  const tmp = await writeTemp(dir, content);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(tmp, target);
        break;
      } catch (e) {
        // Windows refuses to replace a file another process has open; retry briefly.
        const code = (e as NodeJS.ErrnoException).code;
        if (attempt >= 4 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw e;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncDir(dir);
  return target;
}

async function writeTemp(dir: string, content: string): Promise<string> {
  const tmp = join(dir, `.ca-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(content);
    await fh.chmod(0o644); // the umask may have narrowed it; children (other sandboxes) read it
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r').catch(() => null);
  if (fh) await fh.sync().catch(() => undefined).finally(() => fh.close());
}

/** Keeps the newest `keep` hash bundles (current included) and drops stale temp files. */
async function prune(dir: string, current: string, keep: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const bundles: { p: string; mtime: number }[] = [];
  for (const name of names) {
    const p = join(dir, name);
    const st = await lstat(p).catch(() => null);
    if (!st) continue;
    if (HASH_BUNDLE_RE.test(name) && p !== current) bundles.push({ p, mtime: st.mtimeMs });
    else if (name.startsWith('.ca-tmp-') && Date.now() - st.mtimeMs > 10 * 60_000) await unlink(p).catch(() => undefined);
  }
  bundles.sort((a, b) => b.mtime - a.mtime);
  for (const b of bundles.slice(keep - 1)) await unlink(b.p).catch(() => undefined);
}
