// Runs the language server's bundle (dist/lsp.js) with a V8 code cache (#8): Node 20 has no
// `module.enableCompileCache()`, so the bundle is compiled here with `vm.Script` and `cachedData`,
// the way VS Code loads its own code. The cache is made once the server has done real work (the
// first analysis, or priming when idle), so it holds the functions V8 compiled lazily for it too,
// not just the top level: a later start skips parsing and compiling them.
//
// V8 checks a cache only against the source's length and its own version and flags, and does not
// checksum it: a stale cache of a same-length bundle, or a damaged file, could run wrong code. So
// a cache file is named by a hash of the bundle's content, the Node version, the architecture and
// the V8-relevant flags, and carries that key and a SHA-256 of its payload, both checked before V8
// sees it. Anything wrong (missing, short, damaged, another key, refused by V8, unwritable
// directory) means a normal compile: the cache can make a start faster, never break it.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { Script } from 'node:vm';
import { onServerWarm } from './warm';

/** Where the cache goes: a directory the editor gives (its storage), `none` for no cache. */
export const CACHE_DIR_ENV = 'CODEX_NETPOLICY_LSP_CACHE_DIR';
const MAGIC = Buffer.from('CNPV8C01');
const DIGEST = 32; // SHA-256
const HEADER = MAGIC.length + 2 * DIGEST;
/** Written at the latest this long after the start, when no first analysis or priming said so before. */
const SAVE_AT_MOST_AFTER_MS = 10_000;
/** Cache files of other bundles or runtimes kept beside the current one (e.g. two editors' Node versions). */
const KEEP_OTHERS = 2;

export interface CacheOutcome {
  /** `used`: V8 took the cache; otherwise why not. */
  status: 'used' | 'none' | 'missing' | 'invalid' | 'rejected';
  /** The cache file (absent with `none`). */
  file?: string;
}

export interface LoadedBundle extends CacheOutcome {
  /** The bundle's `module.exports`. */
  exports: unknown;
  /** Writes the cache now when it was not used (tests; the server does it when warm). Returns whether it wrote. */
  save(): boolean;
}

/**
 * The directory for cache files: `CODEX_NETPOLICY_LSP_CACHE_DIR`, else a per-user directory in the
 * system's temp dir; undefined (no cache) for `none` or a directory others could write to.
 */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env[CACHE_DIR_ENV];
  if (given === 'none') return undefined;
  const dir = given || join(tmpdir(), `codex-netpolicy-${process.getuid?.() ?? 'user'}`, 'code-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return ownedPrivately(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** A real directory of this user that no one else can write to: a cache there is ours (it becomes code). */
function ownedPrivately(dir: string): boolean {
  const st = lstatSync(dir);
  if (!st.isDirectory()) return false;
  if (process.getuid === undefined) return true; // Windows: the user's own profile directories
  return st.uid === process.getuid() && (st.mode & 0o022) === 0;
}

/** Everything that makes V8's compiled code differ besides the source: runtime, CPU and flags. */
function runtimeKey(): string {
  return JSON.stringify([process.version, process.versions.v8, process.arch, process.execArgv, process.env.NODE_OPTIONS ?? '']);
}

const sha256 = (...parts: (string | Buffer)[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The cache's payload when the file is whole and made for this key; undefined otherwise. */
export function readCache(file: string, key: Buffer): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return undefined;
  }
  if (raw.length <= HEADER || !raw.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!raw.subarray(MAGIC.length, MAGIC.length + DIGEST).equals(key)) return undefined;
  const payload = raw.subarray(HEADER);
  return sha256(payload).equals(raw.subarray(MAGIC.length + DIGEST, HEADER)) ? payload : undefined;
}

/** Writes the cache atomically (a temp file renamed over it): a reader sees the old file or the whole new one. */
export function writeCache(file: string, key: Buffer, payload: Buffer): void {
  const tmp = `${file}.${process.pid}-${threadId}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      for (const part of [MAGIC, key, sha256(payload), payload]) writeSync(fd, part);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Removes cache files of other keys of this bundle beyond the KEEP_OTHERS newest, and stray temp files. */
function prune(dir: string, keep: string, bundleName: string): void {
  const mine = readdirSync(dir).filter((f) => f.startsWith(`${bundleName}-`) && f !== basename(keep));
  const stale = mine.filter((f) => f.endsWith('.tmp') && Date.now() - statSync(join(dir, f)).mtimeMs > 60_000);
  const others = mine.filter((f) => f.endsWith('.v8cache')).sort((a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs);
  for (const f of [...stale, ...others.slice(KEEP_OTHERS)]) rmSync(join(dir, f), { force: true });
}

/**
 * Compiles and runs the CommonJS bundle `file` in this thread (as `require` would), with the code
 * cache from `dir` when there is a valid one. Without one, the cache is written once the server is
 * warm (server/warm.ts), or SAVE_AT_MOST_AFTER_MS after the start. Never before: a cache of the top
 * level alone would lack the analysis's functions, and a used cache is not rewritten.
 */
export function runBundle(file: string, dir: string | undefined): LoadedBundle {
  const source = readFileSync(file);
  const name = basename(file, '.js');
  const key = sha256(source, '\0', runtimeKey());
  const cacheFile = dir && join(dir, `${name}-${key.toString('hex').slice(0, 32)}.v8cache`);
  const cachedData = cacheFile ? readCache(cacheFile, key) : undefined;
  // Node's own CommonJS wrapper, so the bundle runs exactly as when required.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source.toString('utf8')}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const outcome: CacheOutcome = !cacheFile ? { status: 'none' }
    : { file: cacheFile, status: !cachedData ? (existsSync(cacheFile) ? 'invalid' : 'missing') : script.cachedDataRejected ? 'rejected' : 'used' };
  let saved = outcome.status === 'used' || !cacheFile;
  const save = (): boolean => {
    if (saved || !cacheFile || !dir) return false;
    saved = true;
    try {
      writeCache(cacheFile, key, script.createCachedData());
      prune(dir, cacheFile, name);
      return true;
    } catch {
      return false; // a full disk or a read-only directory: the next start compiles as this one did
    }
  };
  if (!saved) {
    const latest = setTimeout(save, SAVE_AT_MOST_AFTER_MS);
    latest.unref();
    onServerWarm(() => {
      clearTimeout(latest);
      setImmediate(save); // after the analysis's answer went out, before the next message is read
      process.once('exit', save); // a session that ends sooner
    });
  }
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return { ...outcome, exports: module.exports, save };
}

/** The language server (dist/lsp.js, beside the running bundle) with the cache directory of this environment. */
export function runServer(): LoadedBundle {
  return runBundle(join(__dirname, 'lsp.js'), cacheDirectory());
}
