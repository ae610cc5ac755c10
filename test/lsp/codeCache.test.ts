// The language server's V8 code cache (server/codeCache.ts, #8): used when valid; refused when it
// belongs to another bundle or runtime, is damaged or is refused by V8 — and then the bundle still
// runs as compiled normally and the cache is rewritten; never a reason for the server not to start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cacheDirectory, runBundle } from '../../server/codeCache';
import { serverWarm } from '../../server/warm';
import { LspSession, summary } from './harness';

/** A CommonJS bundle with lazily compiled functions, whose result shows which source ran. */
const bundle = (tag: string) => `'use strict';
const path = require('node:path');
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function describe(x) { return x.map((v) => 'v' + v).join(','); }
module.exports = { tag: ${JSON.stringify(tag)}, fib: fib(15), list: describe([1, 2, 3]), base: path.basename(__filename), dir: __dirname };
`;

const fixture = () => {
  const root = mkdtempSync(join(tmpdir(), 'cnp-code-cache-'));
  const dir = join(root, 'cache');
  mkdirSync(dir, { mode: 0o700 });
  const file = join(root, 'lsp.js');
  writeFileSync(file, bundle('A'));
  return { root, dir, file };
};
const cacheFile = (dir: string) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.v8cache'));
  assert.equal(files.length, 1, `one cache file in ${files.join(' ')}`);
  return join(dir, files[0]!);
};
/**
 * Loads the bundle in a fresh process, as the server does (in this one V8 would find the source in
 * its own compilation cache and never look at the file's), and saves the cache when asked.
 */
function load(file: string, dir: string, save = false): { status: string; exports: unknown; wrote: boolean; file?: string } {
  const code = `const b = require(${JSON.stringify(join(__dirname, '..', '..', 'server', 'codeCache.ts'))}).runBundle(process.argv[1], process.argv[2]);
    process.stdout.write(JSON.stringify({ status: b.status, exports: b.exports, file: b.file, wrote: process.argv[3] === 'save' && b.save() }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code, file, dir, save ? 'save' : ''], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof load>;
}
const expected = (root: string, tag = 'A') => ({ tag, fib: 610, list: 'v1,v2,v3', base: 'lsp.js', dir: root });

describe('language server code cache', () => {
  it('runs the bundle as require would; the cache is written once and used by the next process', () => {
    const { root, dir, file } = fixture();
    const inProcess = runBundle(file, dir);
    assert.equal(inProcess.status, 'missing');
    assert.deepEqual(inProcess.exports, expected(root));
    const first = load(file, dir, true);
    assert.deepEqual(first, { status: 'missing', exports: expected(root), file: first.file, wrote: true });
    assert.equal(statSync(cacheFile(dir)).mode & 0o777, 0o600);
    assert.deepEqual(load(file, dir, true), { status: 'used', exports: expected(root), file: first.file, wrote: false }, 'used, and not rewritten');
  });

  it('is written when the server says it is warm, at most once', async () => {
    const { dir, file } = fixture();
    const loaded = runBundle(file, dir);
    assert.equal(loaded.status, 'missing');
    assert.deepEqual(readdirSync(dir), []);
    serverWarm();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(cacheFile(dir), loaded.file);
    assert.equal(loaded.save(), false, 'written once');
  });

  it('a damaged cache (truncated, garbled, empty) is refused before V8 sees it; the bundle runs and the cache is rewritten', () => {
    const damage: [string, (f: string) => void][] = [
      ['truncated', (f) => truncateSync(f, statSync(f).size - 100)],
      ['header only', (f) => truncateSync(f, 72)],
      ['empty', (f) => writeFileSync(f, '')],
      ['garbled payload', (f) => {
        const raw = readFileSync(f);
        for (let i = 200; i < raw.length; i += 997) raw[i] ^= 0xff;
        writeFileSync(f, raw);
      }],
      ['garbled header', (f) => {
        const raw = readFileSync(f);
        raw[3] ^= 0xff;
        writeFileSync(f, raw);
      }],
    ];
    const { root, dir, file } = fixture();
    load(file, dir, true);
    for (const [what, harm] of damage) {
      harm(cacheFile(dir));
      const loaded = load(file, dir, true);
      assert.deepEqual([loaded.status, loaded.wrote], ['invalid', true], what);
      assert.deepEqual(loaded.exports, expected(root), what);
      assert.equal(load(file, dir).status, 'used', `${what}: rewritten`);
    }
  });

  it('a cache whose checksum holds but V8 refuses it runs the bundle compiled normally, and is rewritten', () => {
    const { root, dir, file } = fixture();
    load(file, dir, true);
    // Another bundle's V8 data (its length differs) under this bundle's key, with a valid checksum.
    const other = join(root, 'other.js');
    writeFileSync(other, bundle('A') + '// longer\n'.repeat(50));
    const otherDir = join(root, 'other-cache');
    mkdirSync(otherDir, { mode: 0o700 });
    load(other, otherDir, true);
    const ours = cacheFile(dir), payload = readFileSync(cacheFile(otherDir)).subarray(72);
    const header = readFileSync(ours).subarray(0, 40); // magic + our key
    writeFileSync(ours, Buffer.concat([header, createHash('sha256').update(payload).digest(), payload]));
    const loaded = load(file, dir, true);
    assert.deepEqual([loaded.status, loaded.exports, loaded.wrote], ['rejected', expected(root), true]);
    assert.equal(load(file, dir).status, 'used');
  });

  it('a changed bundle of the same length never uses the old cache, not even renamed to its key', () => {
    const { root, dir, file } = fixture();
    const old = load(file, dir, true).file!;
    writeFileSync(file, bundle('B')); // same length as 'A'
    const loaded = load(file, dir);
    assert.deepEqual([loaded.status, loaded.exports], ['missing', expected(root, 'B')]);
    assert.notEqual(loaded.file, old);
    copyFileSync(old, loaded.file!); // the old cache under the new key: its header names the old key
    const again = load(file, dir, true);
    assert.deepEqual([again.status, again.exports], ['invalid', expected(root, 'B')]);
    assert.equal(load(file, dir).status, 'used');
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.v8cache')).length, 2, 'the old one is kept (another version may run beside)');
  });

  it('another runtime configuration (node flags) gets its own cache file', () => {
    const { dir, file } = fixture();
    const first = load(file, dir, true).file;
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-semi-space-size=8';
    try {
      const other = load(file, dir);
      assert.equal(other.status, 'missing');
      assert.notEqual(other.file, first);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    assert.equal(load(file, dir).status, 'used');
  });

  it('no cache with `none`, a directory others can write to, or a path that is a file', () => {
    const { root } = fixture();
    assert.equal(cacheDirectory({ CODEX_NETPOLICY_LSP_CACHE_DIR: 'none' }), undefined);
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.equal(cacheDirectory({ CODEX_NETPOLICY_LSP_CACHE_DIR: open }), undefined);
    const aFile = join(root, 'a-file');
    writeFileSync(aFile, '');
    assert.equal(cacheDirectory({ CODEX_NETPOLICY_LSP_CACHE_DIR: aFile }), undefined);
    const fresh = join(root, 'new', 'nested');
    assert.equal(cacheDirectory({ CODEX_NETPOLICY_LSP_CACHE_DIR: fresh }), fresh);
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
    assert.ok(cacheDirectory({})?.startsWith(tmpdir()), 'default: the temp dir');
  });

  it('the real server: the first start writes the cache after its first analysis, the next uses it (inline too), a damaged one changes nothing', async () => {
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'lsp', 'article.config.toml'), 'utf8');
    const uri = 'file:///tmp/cnp-lsp-cache-test/.codex/config.toml';
    const dir = join(mkdtempSync(join(tmpdir(), 'cnp-code-cache-lsp-')), 'cache');
    const env = { CODEX_NETPOLICY_LSP_CACHE_DIR: dir };
    const session = async (more: Record<string, string> = {}): Promise<ReturnType<typeof summary>> => {
      const lsp = await LspSession.start({ env: { ...env, ...more } });
      try {
        const found = summary(await lsp.open(uri, text));
        assert.deepEqual(lsp.logs.filter((l) => /failed/.test(l)), []);
        return found;
      } finally {
        await lsp.stop();
      }
    };
    const waitForCache = async () => {
      for (let i = 0; i < 200 && !readdirSync(dir).some((f) => f.endsWith('.v8cache')); i++) await new Promise((r) => setTimeout(r, 50));
      return cacheFile(dir);
    };
    const plain = await session();
    assert.ok(plain.length > 0);
    const file = await waitForCache();
    const mtime = statSync(file).mtimeMs;
    assert.deepEqual(await session(), plain);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(statSync(file).mtimeMs, mtime, 'used, so not rewritten');
    writeFileSync(file, readFileSync(file).subarray(0, 5000)); // damaged
    assert.deepEqual(await session(), plain);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(statSync(await waitForCache()).size > 5000, 'rewritten whole');
    // Without the relay, the server in the main thread goes through the same loader and cache.
    const whole = statSync(file).mtimeMs;
    assert.deepEqual(await session({ CODEX_NETPOLICY_LSP_INLINE: '1' }), plain);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(statSync(file).mtimeMs, whole);
  });
});
