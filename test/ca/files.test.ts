// On-disk rules for ca.pem / ca.key: modes, refusals, atomic creation, races, regeneration.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaError, loadOrCreateCa, regenerateCa } from '../../core/ca/index';
import { tempDir } from './helpers';

const posix = process.platform !== 'win32';
const mode = (p: string): number => statSync(p).mode & 0o777;
let tmp: ReturnType<typeof tempDir>;
let dir: string;

beforeEach(() => {
  tmp = tempDir();
  dir = join(tmp.path, 'nested', 'proxy');
});
afterEach(() => tmp.cleanup());

/** Asserts a CaError with `code` whose message matches `re` and contains no key material. */
async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<CaError> {
  const err = await p.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
  assert.ok(err instanceof CaError, String(err));
  assert.equal(err.code, code);
  assert.match(err.message, re);
  assert.doesNotMatch(err.message, /PRIVATE KEY|MII/);
  return err;
}

describe('creation', () => {
  it('creates dir 0700, key 0600, cert 0644, and leaves no temp files', { skip: !posix }, async (t) => {
    const t0 = performance.now();
    const ca = await loadOrCreateCa(dir);
    t.diagnostic(`CA creation (keygen + sign + 2 fsynced files): ${(performance.now() - t0).toFixed(2)} ms`);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(ca.keyPath), 0o600);
    assert.equal(mode(ca.certPath), 0o644);
    assert.deepEqual(readdirSync(dir).sort(), ['ca.key', 'ca.pem']);
    assert.equal(readFileSync(ca.certPath, 'utf8'), ca.certPem);
    assert.match(ca.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('modes do not depend on the umask', { skip: !posix }, async () => {
    const old = process.umask(0o077);
    try {
      const ca = await loadOrCreateCa(dir);
      assert.equal(mode(ca.certPath), 0o644);
      assert.equal(mode(ca.keyPath), 0o600);
    } finally {
      process.umask(old);
    }
  });

  it('reloads an existing CA without touching it', async (t) => {
    const first = await loadOrCreateCa(dir);
    const before = { pem: readFileSync(first.certPath), key: readFileSync(first.keyPath), mtime: statSync(first.keyPath).mtimeMs };
    const t0 = performance.now();
    const again = await loadOrCreateCa(dir);
    t.diagnostic(`CA load from disk: ${(performance.now() - t0).toFixed(2)} ms`);
    assert.equal(again.fingerprintSha256, first.fingerprintSha256);
    assert.deepEqual(readFileSync(first.certPath), before.pem);
    assert.deepEqual(readFileSync(first.keyPath), before.key);
    assert.equal(statSync(first.keyPath).mtimeMs, before.mtime);
  });

  it('concurrent callers in one process end with the same CA', async () => {
    const cas = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateCa(dir)));
    assert.equal(new Set(cas.map((c) => c.fingerprintSha256)).size, 1);
    assert.deepEqual(readdirSync(dir).sort(), ['ca.key', 'ca.pem']);
  });

  it('concurrent processes end with the same CA', async () => {
    const child = join(__dirname, 'fixtures', 'load-ca.ts');
    const outs = await Promise.all(Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      p.stderr.on('data', (d: Buffer) => (err += d));
      p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child failed: ${err}`))));
    })));
    assert.equal(new Set(outs).size, 1, outs.join('\n'));
    assert.equal((await loadOrCreateCa(dir)).fingerprintSha256, outs[0]);
    assert.deepEqual(readdirSync(dir).sort(), ['ca.key', 'ca.pem']);
  });
});

describe('refusals', () => {
  it('refuses a group/world-readable key, naming path and mode', { skip: !posix }, async () => {
    const ca = await loadOrCreateCa(dir);
    chmodSync(ca.keyPath, 0o644);
    const err = await rejectsWith(loadOrCreateCa(dir), 'CA_FILE_INSECURE', /group\/world accessible \(mode 0644, expected 0600 or stricter\)/);
    assert.ok(err.message.includes(ca.keyPath), err.message);
    chmodSync(ca.keyPath, 0o640);
    await rejectsWith(loadOrCreateCa(dir), 'CA_FILE_INSECURE', /mode 0640/);
    chmodSync(ca.keyPath, 0o400); // stricter than 0600 is fine
    assert.equal((await loadOrCreateCa(dir)).fingerprintSha256, ca.fingerprintSha256);
  });

  it('refuses a symlinked key even if the target is 0600', { skip: !posix }, async () => {
    const ca = await loadOrCreateCa(dir);
    const elsewhere = join(tmp.path, 'real.key');
    renameSync(ca.keyPath, elsewhere);
    symlinkSync(elsewhere, ca.keyPath);
    const err = await rejectsWith(loadOrCreateCa(dir), 'CA_FILE_INSECURE', /symbolic link/);
    assert.ok(err.message.includes(ca.keyPath));
  });

  it('refuses a key that is not a regular file', { skip: !posix }, async () => {
    const ca = await loadOrCreateCa(dir);
    unlinkSync(ca.keyPath);
    mkdirSync(ca.keyPath, { mode: 0o700 });
    await rejectsWith(loadOrCreateCa(dir), 'CA_FILE_INSECURE', /not a regular file/);
  });

  it('only ca.pem present → error, and nothing is created', async () => {
    const ca = await loadOrCreateCa(dir);
    unlinkSync(ca.keyPath);
    await rejectsWith(loadOrCreateCa(dir), 'CA_INCOMPLETE', /both CA files must exist \(found ca\.pem, missing ca\.key\)/);
    assert.equal(existsSync(ca.keyPath), false);
  });

  it('only ca.key present → error', async () => {
    const ca = await loadOrCreateCa(dir);
    unlinkSync(ca.certPath);
    await rejectsWith(loadOrCreateCa(dir), 'CA_INCOMPLETE', /found ca\.key, missing ca\.pem/);
    assert.equal(existsSync(ca.certPath), false);
  });

  it('a key that does not match the certificate is rejected', async () => {
    const ca = await loadOrCreateCa(dir);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(ca.keyPath, other, { mode: 0o600 });
    await rejectsWith(loadOrCreateCa(dir), 'CA_INVALID', /does not belong to certificate/);
  });

  it('garbage files are rejected without echoing their contents', async () => {
    const ca = await loadOrCreateCa(dir);
    writeFileSync(ca.keyPath, '-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    await rejectsWith(loadOrCreateCa(dir), 'CA_INVALID', /is not a readable private key/);
  });
});

describe('regenerateCa', () => {
  it('moves the old pair aside and creates a new CA', { skip: !posix }, async () => {
    const old = await loadOrCreateCa(dir);
    const oldPem = readFileSync(old.certPath, 'utf8');
    const oldKey = readFileSync(old.keyPath, 'utf8');
    const { ca, backups } = await regenerateCa(dir, { now: () => Date.UTC(2030, 0, 2, 3, 4, 5, 6) });
    assert.notEqual(ca.fingerprintSha256, old.fingerprintSha256);
    assert.deepEqual(backups.map((b) => b.slice(dir.length + 1)), ['ca.pem.bak-20300102T030405006Z', 'ca.key.bak-20300102T030405006Z']);
    assert.equal(readFileSync(backups[0]!, 'utf8'), oldPem);
    assert.equal(readFileSync(backups[1]!, 'utf8'), oldKey);
    assert.equal(mode(backups[1]!), 0o600);
    assert.equal(mode(ca.keyPath), 0o600);
    assert.equal(mode(ca.certPath), 0o644);
    assert.equal((await loadOrCreateCa(dir)).fingerprintSha256, ca.fingerprintSha256);
  });

  it('recovers from a half-present CA', async () => {
    const old = await loadOrCreateCa(dir);
    unlinkSync(old.certPath);
    const { ca, backups } = await regenerateCa(dir);
    assert.equal(backups.length, 1);
    assert.match(backups[0]!, /ca\.key\.bak-/);
    assert.notEqual(ca.fingerprintSha256, old.fingerprintSha256);
  });
});
