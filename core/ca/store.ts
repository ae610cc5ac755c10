// On-disk CA: `ca.pem` (0644) and `ca.key` (0600) in one directory.
// Never overwrites: new files are written to temp names and hard-linked into
// place, so a racing process either wins or loads what the winner wrote.
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { createCaMaterial, openCa, type CaPaths } from './authority';
import { checkCacheSize } from './leaf-cache';
import { CaError, type CaHandle, type CaOptions } from './types';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca.key';
/** How long a process that lost the creation race waits for the winner's second link. */
const RACE_WAIT_MS = 5_000;
const isWindows = process.platform === 'win32';

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;
const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function pathsIn(dir: string): CaPaths {
  return { certPath: join(dir, CA_CERT_FILE), keyPath: join(dir, CA_KEY_FILE) };
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Reads a CA file that must be a regular file (not a symlink); a secret one must
 * also have no group/world bits. O_NOFOLLOW + fstat close the check-then-open race;
 * O_NONBLOCK keeps a FIFO planted at the path from hanging us.
 */
async function readCaFile(path: string, secret: boolean): Promise<string> {
  const what = secret ? 'CA key' : 'CA certificate';
  const refuse = (why: string) => new CaError('CA_FILE_INSECURE', `refusing to use ${what} ${path}: ${why}`);
  const pre = await fs.lstat(path);
  if (pre.isSymbolicLink()) throw refuse('it is a symbolic link');
  if (!pre.isFile()) throw refuse('it is not a regular file');
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (errno(e) === 'ELOOP') throw refuse('it is a symbolic link');
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw refuse('it is not a regular file');
    // Windows has no POSIX mode bits to check (stat reports 0666/0444).
    if (secret && !isWindows && (st.mode & 0o077) !== 0) {
      throw refuse(`it must not be group/world accessible (mode ${octal(st.mode)}, expected 0600 or stricter)`);
    }
    return await fh.readFile({ encoding: 'utf8' });
  } finally {
    await fh.close();
  }
}

/** Both files → their contents; neither → undefined; exactly one → CA_INCOMPLETE. */
async function readExisting(dir: string, p: CaPaths): Promise<{ keyPem: string; certPem: string } | undefined> {
  const [cert, key] = await Promise.all([lstatOrUndefined(p.certPath), lstatOrUndefined(p.keyPath)]);
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    const [found, missing] = cert ? [CA_CERT_FILE, CA_KEY_FILE] : [CA_KEY_FILE, CA_CERT_FILE];
    throw new CaError('CA_INCOMPLETE', `both CA files must exist (found ${found}, missing ${missing}) in ${dir}; regenerate the CA to start over`);
  }
  const keyPem = await readCaFile(p.keyPath, true);
  return { keyPem, certPem: await readCaFile(p.certPath, false) };
}

/** Creates a file that must not exist yet, with exactly `mode` (umask-independent), fully synced. */
async function writeNew(path: string, data: string, mode: number): Promise<void> {
  const fh = await fs.open(path, 'wx', mode);
  try {
    await fh.chmod(mode);
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes renames/links durable. Not possible on Windows, where opening a directory fails. */
async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!isWindows) throw e;
  } finally {
    await fh?.close();
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([lstatOrUndefined(a), lstatOrUndefined(b)]);
  return !!x && !!y && x.ino === y.ino && x.dev === y.dev;
}

/** Writes a new CA. Returns undefined if another process linked its key first. */
async function createFiles(dir: string, p: CaPaths, nowMs: number): Promise<{ keyPem: string; certPem: string } | undefined> {
  const material = createCaMaterial(nowMs);
  const tag = `${process.pid}.${randomBytes(6).toString('hex')}`;
  const keyTmp = join(dir, `.${CA_KEY_FILE}.${tag}.tmp`);
  const certTmp = join(dir, `.${CA_CERT_FILE}.${tag}.tmp`);
  try {
    await writeNew(keyTmp, material.keyPem, 0o600);
    await writeNew(certTmp, material.certPem, 0o644);
    try {
      await fs.link(keyTmp, p.keyPath); // key first: a cert without its key is useless
    } catch (e) {
      if (errno(e) === 'EEXIST') return undefined;
      throw e;
    }
    try {
      await fs.link(certTmp, p.certPath);
    } catch (e) {
      // Roll back our key, and only ours, so we never leave a lone key behind.
      if (await sameFile(keyTmp, p.keyPath)) await fs.unlink(p.keyPath);
      if (errno(e) === 'EEXIST') {
        throw new CaError('CA_INCOMPLETE', `${p.certPath} appeared without ${CA_KEY_FILE} while creating the CA in ${dir}`);
      }
      throw e;
    }
    await syncDir(dir);
    return material;
  } finally {
    await Promise.all([fs.rm(keyTmp, { force: true }), fs.rm(certTmp, { force: true })]);
  }
}

async function ensureDir(dir: string): Promise<void> {
  // mode only applies to directories created here; an existing directory is the user's business.
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Loads the CA in `dir`, creating it (and `dir`, 0700) if neither file exists.
 * Throws CaError for an incomplete pair, an insecure or symlinked key, or invalid material.
 */
export async function loadOrCreateCa(dir: string, opts: CaOptions = {}): Promise<CaHandle> {
  const p = pathsIn(dir);
  const now = opts.now ?? Date.now;
  checkCacheSize(opts.leafCacheSize); // before touching the disk
  await ensureDir(dir);
  let raceDeadline: number | undefined;
  for (;;) {
    let existing: { keyPem: string; certPem: string } | undefined;
    try {
      existing = await readExisting(dir, p);
    } catch (e) {
      // Lost the race: the winner has linked its key but maybe not yet its cert.
      const waiting = raceDeadline !== undefined && Date.now() < raceDeadline;
      if (waiting && e instanceof CaError && e.code === 'CA_INCOMPLETE') {
        await sleep(20);
        continue;
      }
      throw e;
    }
    if (existing) return openCa(existing.keyPem, existing.certPem, p, opts);
    const created = await createFiles(dir, p, now());
    if (created) return openCa(created.keyPem, created.certPem, p, opts);
    raceDeadline ??= Date.now() + RACE_WAIT_MS;
  }
}

export interface RegeneratedCa {
  readonly ca: CaHandle;
  /** Where the previous files went (`ca.pem.bak-<ts>`, `ca.key.bak-<ts>`); empty if there were none. */
  readonly backups: readonly string[];
}

/** Explicit user action: move the current CA files aside (never deleted) and create a new CA. */
export async function regenerateCa(dir: string, opts: CaOptions = {}): Promise<RegeneratedCa> {
  const p = pathsIn(dir);
  checkCacheSize(opts.leafCacheSize);
  await ensureDir(dir);
  const ts = new Date((opts.now ?? Date.now)()).toISOString().replace(/[-:.]/g, '');
  const backups: string[] = [];
  for (const path of [p.certPath, p.keyPath]) {
    if (!(await lstatOrUndefined(path))) continue;
    const backup = `${path}.bak-${ts}`;
    await fs.link(path, backup); // link+unlink: unlike rename, never replaces an existing backup
    await fs.unlink(path);
    backups.push(backup);
  }
  await syncDir(dir);
  return { ca: await loadOrCreateCa(dir, opts), backups };
}
