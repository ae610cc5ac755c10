import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tls from 'node:tls';
import { buildCaBundle, buildProxyEnv, parsePemCertificates } from '../../core/env/index';
import { countCerts, makeCa, makeLeaf, tempDir, which } from './helpers';

const HAVE_OPENSSL = which('openssl') !== null;
const SYSTEM = '/etc/ssl/certs/ca-certificates.crt';
const skipNoOpenssl = HAVE_OPENSSL ? false : 'openssl CLI is not installed';

const fp = (pem: string): string => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
const fingerprints = (text: string): string[] => parsePemCertificates(text).certs.map((c) => c.fingerprint);

/** A system bundle fixture: two of Node's roots, so tests do not depend on the distro file. */
function fakeSystem(dir: string): string {
  const p = join(dir, 'system.crt');
  writeFileSync(p, `${tls.rootCertificates[0]}\n${tls.rootCertificates[1]}\n`);
  return p;
}

describe('buildCaBundle: content', { skip: skipNoOpenssl }, () => {
  it('holds system roots, user CAs (file + dir + TRUSTED CERTIFICATE) and our CA, each once, ours last', async (t) => {
    const dir = tempDir(t);
    const ours = makeCa(dir, 'ours');
    const corp = makeCa(dir, 'corp');
    const extra = makeCa(dir, 'extra');
    const certDir = join(dir, 'certs');
    mkdirSync(certDir);
    writeFileSync(join(certDir, 'extra.crt'), extra.pem);
    writeFileSync(join(certDir, 'corp-again.pem'), corp.pem); // duplicate of SSL_CERT_FILE's
    writeFileSync(join(certDir, 'notes.txt'), corp.pem); // not a cert-dir name: ignored
    // OpenSSL's trusted form of `extra`, in a separate file named by another variable.
    const trusted = join(dir, 'trusted.pem');
    spawnSync('openssl', ['x509', '-in', extra.certPath, '-addtrust', 'serverAuth', '-trustout', '-out', trusted]);
    assert.match(readFileSync(trusted, 'utf8'), /BEGIN TRUSTED CERTIFICATE/);
    const sys = fakeSystem(dir);
    const r = await buildCaBundle({
      dir: join(dir, 'out'), caCertPem: ours.pem, systemBundlePaths: [sys],
      env: { SSL_CERT_FILE: corp.certPath, NODE_EXTRA_CA_CERTS: corp.certPath, GIT_SSL_CAINFO: trusted, SSL_CERT_DIR: certDir, CURL_CA_BUNDLE: join(dir, 'missing.pem') },
    });
    const text = readFileSync(r.path, 'utf8');
    const fps = fingerprints(text);
    assert.equal(new Set(fps).size, fps.length, 'no duplicates');
    assert.deepEqual(fps, [fp(tls.rootCertificates[0]!), fp(tls.rootCertificates[1]!), fp(corp.pem), fp(extra.pem), fp(ours.pem)]);
    assert.equal(countCerts(text), 5);
    assert.equal(r.certCount, 5);
    assert.ok(r.sources.some((s) => s.startsWith(`system: ${sys}`)));
    assert.ok(r.sources.some((s) => s.startsWith(`SSL_CERT_FILE: ${corp.certPath} (1 new`)));
    assert.ok(r.sources.some((s) => s.startsWith(`SSL_CERT_DIR: ${certDir} (2 files, 0 new`)));
    assert.ok(r.sources.some((s) => s.startsWith(`GIT_SSL_CAINFO: ${trusted} (1 new`)), 'TRUSTED CERTIFICATE parsed');
    assert.ok(r.skipped.some((s) => s.includes('missing.pem') && s.includes('unreadable')));
    assert.equal(readFileSync(r.caCertPath, 'utf8').trim(), ours.pem.trim());
  });

  it('uses the distro bundle by default and Node roots when no file exists', { skip: lstatSync(SYSTEM, { throwIfNoEntry: false }) ? false : `${SYSTEM} absent` }, async (t) => {
    const dir = tempDir(t);
    const ours = makeCa(dir, 'ours');
    const sysFps = new Set(fingerprints(readFileSync(SYSTEM, 'utf8')));
    const r = await buildCaBundle({ dir: join(dir, 'a'), caCertPem: ours.pem, env: {} });
    const got = fingerprints(readFileSync(r.path, 'utf8'));
    assert.equal(got.length, sysFps.size + 1);
    assert.ok(got.slice(0, -1).every((f) => sysFps.has(f)));
    const r2 = await buildCaBundle({ dir: join(dir, 'b'), caCertPem: ours.pem, env: {}, systemBundlePaths: [] });
    assert.ok(r2.sources[0]!.includes("Node's built-in roots"));
    assert.equal(r2.certCount, new Set(tls.rootCertificates.map(fp)).size + 1);
  });

  it('skips our own earlier bundles (an old CA must not be carried forward), oversized and non-PEM files', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'out');
    const sys = fakeSystem(dir);
    const oldCa = makeCa(dir, 'old');
    const first = await buildCaBundle({ dir: out, caCertPem: oldCa.pem, env: {}, systemBundlePaths: [sys] });
    const newCa = makeCa(dir, 'new');
    const big = join(dir, 'big.pem');
    writeFileSync(big, `${newCa.pem}${'#'.repeat(4 * 1024 * 1024)}`);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const r = await buildCaBundle({
      dir: out, caCertPem: newCa.pem, systemBundlePaths: [sys],
      env: { SSL_CERT_FILE: first.path, REQUESTS_CA_BUNDLE: first.hashPath, NODE_EXTRA_CA_CERTS: first.caCertPath, CURL_CA_BUNDLE: big, PIP_CERT: junk },
    });
    const fps = fingerprints(readFileSync(r.path, 'utf8'));
    assert.ok(!fps.includes(fp(oldCa.pem)), 'old CA dropped');
    assert.equal(fps.at(-1), fp(newCa.pem));
    assert.equal(r.skipped.filter((s) => s.includes('our own bundle')).length, 3);
    assert.ok(r.skipped.some((s) => s.includes('big.pem') && s.includes('MiB')));
    assert.ok(r.skipped.some((s) => s.includes('junk.pem') && s.includes('no PEM')));
  });

  it('rejects a caCertPem that is not exactly one certificate', async (t) => {
    const dir = tempDir(t);
    await assert.rejects(buildCaBundle({ dir, caCertPem: 'nope', env: {} }), /exactly one certificate/);
  });
});

describe('buildCaBundle: files on disk', { skip: skipNoOpenssl }, () => {
  it('writes <sha256>.pem at 0644, reuses it, and keeps the stable path current', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'out');
    const sys = fakeSystem(dir);
    const ca1 = makeCa(dir, 'ca1');
    const r1 = await buildCaBundle({ dir: out, caCertPem: ca1.pem, env: {}, systemBundlePaths: [sys] });
    const content = readFileSync(r1.hashPath);
    assert.equal(createHash('sha256').update(content).digest('hex'), r1.sha256);
    assert.equal(r1.hashPath, join(out, `ca-bundle-${r1.sha256}.pem`));
    assert.equal(r1.path, join(out, 'ca-bundle.pem'));
    assert.deepEqual(readFileSync(r1.path), content);
    if (process.platform !== 'win32') {
      for (const p of [r1.hashPath, r1.path, r1.caCertPath]) assert.equal(statSync(p).mode & 0o777, 0o644, p);
    }
    const ino = statSync(r1.hashPath).ino;
    const stableIno = statSync(r1.path).ino;
    const r2 = await buildCaBundle({ dir: out, caCertPem: ca1.pem, env: {}, systemBundlePaths: [sys] });
    assert.equal(r2.hashPath, r1.hashPath);
    assert.equal(statSync(r2.hashPath).ino, ino, 'reused, not rewritten');
    assert.equal(statSync(r2.path).ino, stableIno, 'stable file untouched when unchanged');
    // A new CA (e.g. the next proxy run): new hash file, same stable path, now with the new CA.
    const ca2 = makeCa(dir, 'ca2');
    const r3 = await buildCaBundle({ dir: out, caCertPem: ca2.pem, env: {}, systemBundlePaths: [sys] });
    assert.notEqual(r3.hashPath, r1.hashPath);
    assert.equal(r3.path, r1.path);
    assert.deepEqual(readFileSync(r3.path), readFileSync(r3.hashPath));
    assert.ok(lstatSync(r1.hashPath).isFile(), 'previous bundle kept for processes still using it');
    assert.equal(readFileSync(r3.caCertPath, 'utf8').trim(), ca2.pem.trim());
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.ca-tmp-')), [], 'no temp files left');
  });

  it('refuses a symlink, a mismatched file or a group-writable file at the hash path', async (t) => {
    const dir = tempDir(t);
    const sys = fakeSystem(dir);
    const ca = makeCa(dir, 'ca');
    const probe = await buildCaBundle({ dir: join(dir, 'probe'), caCertPem: ca.pem, env: {}, systemBundlePaths: [sys] });
    const name = `ca-bundle-${probe.sha256}.pem`;

    const linked = join(dir, 'linked');
    mkdirSync(linked);
    symlinkSync(probe.hashPath, join(linked, name)); // even pointing at correct content
    await assert.rejects(buildCaBundle({ dir: linked, caCertPem: ca.pem, env: {}, systemBundlePaths: [sys] }), /symbolic link/);

    const tampered = join(dir, 'tampered');
    mkdirSync(tampered);
    writeFileSync(join(tampered, name), 'evil', { mode: 0o644 });
    await assert.rejects(buildCaBundle({ dir: tampered, caCertPem: ca.pem, env: {}, systemBundlePaths: [sys] }), /does not match/);

    if (process.platform !== 'win32') {
      const loose = join(dir, 'loose');
      mkdirSync(loose);
      writeFileSync(join(loose, name), readFileSync(probe.hashPath), { mode: 0o666 });
      spawnSync('chmod', ['0666', join(loose, name)]);
      await assert.rejects(buildCaBundle({ dir: loose, caCertPem: ca.pem, env: {}, systemBundlePaths: [sys] }), /writable/);
    }
  });

  it('replaces a symlink at the stable path with a regular file (never writes through it)', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'out');
    mkdirSync(out);
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, join(out, 'ca-bundle.pem'));
    const r = await buildCaBundle({ dir: out, caCertPem: makeCa(dir, 'ca').pem, env: {}, systemBundlePaths: [fakeSystem(dir)] });
    assert.ok(lstatSync(r.path).isFile());
    assert.equal(readFileSync(victim, 'utf8'), 'keep me');
  });

  it('prunes old hash bundles, keeping the newest few', async (t) => {
    const dir = tempDir(t);
    const out = join(dir, 'out');
    mkdirSync(out);
    const old: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = join(out, `ca-bundle-${String(i).repeat(64)}.pem`);
      writeFileSync(p, 'x');
      utimesSync(p, 1000 + i, 1000 + i); // i = 5 newest
      old.push(p);
    }
    const other = join(out, 'unrelated.pem');
    writeFileSync(other, 'x');
    const r = await buildCaBundle({ dir: out, caCertPem: makeCa(dir, 'ca').pem, env: {}, systemBundlePaths: [fakeSystem(dir)], keep: 3 });
    const left = readdirSync(out).filter((n) => /^ca-bundle-[0-9a-f]{64}\.pem$/.test(n)).sort();
    assert.deepEqual(left, [`ca-bundle-${'4'.repeat(64)}.pem`, `ca-bundle-${'5'.repeat(64)}.pem`, `ca-bundle-${r.sha256}.pem`].sort());
    assert.ok(lstatSync(other).isFile());
  });
});

describe('buildCaBundle: real clients trust it', { skip: skipNoOpenssl }, () => {
  it('openssl verify accepts leaves from our CA and from a carried-over user CA', async (t) => {
    const dir = tempDir(t);
    const ours = makeCa(dir, 'ours');
    const corp = makeCa(dir, 'corp');
    const r = await buildCaBundle({ dir: join(dir, 'out'), caCertPem: ours.pem, env: { SSL_CERT_FILE: corp.certPath } });
    for (const ca of [ours, corp]) {
      const leaf = makeLeaf(dir, ca, `leaf-${ca === ours ? 'ours' : 'corp'}`);
      const v = spawnSync('openssl', ['verify', '-x509_strict', '-CAfile', r.path, leaf.certPath], { encoding: 'utf8' });
      assert.equal(v.status, 0, v.stderr + v.stdout);
      assert.match(v.stdout, /: OK/);
    }
    const stranger = makeLeaf(dir, makeCa(dir, 'stranger'), 'leaf-stranger');
    assert.notEqual(spawnSync('openssl', ['verify', '-CAfile', r.path, stranger.certPath]).status, 0);
  });

  it('python ssl loads it, and a TLS handshake via SSL_CERT_FILE (python) and NODE_EXTRA_CA_CERTS (node) succeeds', { skip: which('python3') ? false : 'python3 is not installed' }, async (t) => {
    const dir = tempDir(t);
    const ours = makeCa(dir, 'ours');
    const r = await buildCaBundle({ dir: join(dir, 'out'), caCertPem: ours.pem, env: {} });
    const load = spawnSync('python3', ['-c', 'import ssl,sys; c=ssl.create_default_context(cafile=sys.argv[1]); print(c.cert_store_stats()["x509_ca"])', r.path], { encoding: 'utf8' });
    assert.equal(load.status, 0, load.stderr);
    assert.equal(Number(load.stdout.trim()), r.certCount, 'python loaded every certificate');

    const leaf = makeLeaf(dir, ours, 'leaf');
    const server = tls.createServer({ cert: readFileSync(leaf.certPath), key: readFileSync(leaf.keyPath) }, (s) => s.end('hello\n'));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    t.after(() => server.close());
    const port = (server.address() as { port: number }).port;
    // Exactly what a proxied terminal would get (proxy vars dropped: this talks to the server directly).
    const { set } = buildProxyEnv({ proxyUrl: 'http://127.0.0.1:1', socksUrl: null, allowLocalBinding: false, caBundlePath: r.path, caCertPath: r.caCertPath, currentEnv: {} });
    const env = { PATH: process.env.PATH ?? '', SSL_CERT_FILE: set.SSL_CERT_FILE!, NODE_EXTRA_CA_CERTS: set.NODE_EXTRA_CA_CERTS! };
    const py = 'import socket,ssl,sys; c=ssl.create_default_context(); s=c.wrap_socket(socket.create_connection(("127.0.0.1",int(sys.argv[1]))),server_hostname="localhost"); print(s.recv(16).decode().strip())';
    const node = 'const s=require("tls").connect({host:"127.0.0.1",port:+process.argv[1],servername:"localhost"},()=>{});s.on("data",d=>{process.stdout.write(d.toString());s.end()});s.on("error",e=>{console.error(e.message);process.exit(1)})';
    const runAsync = (cmd: string, args: string[]) => new Promise<{ status: number | null; out: string; err: string }>((res) => {
      // Async spawn: the TLS server lives in this process's event loop.
      const c = spawn(cmd, args, { env });
      let out = '', err = '';
      c.stdout.on('data', (d: Buffer) => (out += d));
      c.stderr.on('data', (d: Buffer) => (err += d));
      c.on('close', (status) => res({ status, out, err }));
    });
    const p = await runAsync('python3', ['-c', py, String(port)]);
    assert.equal(p.status, 0, p.err);
    assert.equal(p.out.trim(), 'hello');
    const n = await runAsync(process.execPath, ['-e', node, String(port)]);
    assert.equal(n.status, 0, n.err);
    assert.equal(n.out.trim(), 'hello');
  });
});
