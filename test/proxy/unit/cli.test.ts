// The CLI contract others build on: `proxy --json` first line, events, exit codes, state file, env, ca.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { CANARY, rawRequest, tempDir } from './helpers';

const CLI = resolve('dist/cli.js');
const CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
[permissions.work.network.domains]
"allowed.test" = "allow"
[permissions.work.network.mitm.hooks.h]
host = "allowed.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[permissions.work.network.mitm.actions.inject]
[[permissions.work.network.mitm.actions.inject.inject_request_headers]]
name = "authorization"
secret_env_var = "TEST_TOKEN"
`;

function lines(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else queue.push(l);
  });
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r, j) => {
    const t = setTimeout(() => j(new Error('no line within 10 s')), 10_000);
    waiters.push((l) => {
      clearTimeout(t);
      r(l);
    });
  }));
}

describe('codex-netpolicy proxy CLI', { skip: !existsSync(CLI) && 'dist/cli.js not built' }, () => {
  test('--json: listening line first, decision events after, state file, SIGTERM exits 0', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    writeFileSync(join(dir, 'config.toml'), CONFIG);
    const child = spawn(process.execPath, [CLI, 'proxy', '--json', '--config', join(dir, 'config.toml'), '--resolve', 'allowed.test=127.0.0.1'], {
      env: { ...process.env, CODEX_NETPOLICY_HOME: home, TEST_TOKEN: CANARY }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const next = lines(child);
    try {
      const first = JSON.parse(await next());
      assert.deepEqual(Object.keys(first), ['event', 'http', 'socks', 'proxyUrl', 'caCert', 'profile', 'mode']);
      assert.equal(first.event, 'listening');
      assert.equal(typeof first.profile, 'string', 'the profile in force, announced by the proxy itself');
      assert.match(first.http, /^127\.0\.0\.1:\d+$/);
      assert.equal(first.socks, null);
      assert.match(first.proxyUrl, new RegExp(`^http://codex:[^@]+@${first.http.replace(/\./g, '\\.')}$`), 'secrets injected → credential in proxyUrl');
      assert.equal(first.caCert, join(home, 'ca', 'ca.pem'));
      const state = join(home, 'proxy.json');
      assert.ok(existsSync(state));
      assert.equal(statSync(state).mode & 0o777, 0o600);
      assert.equal(JSON.parse(readFileSync(state, 'utf8')).proxyUrl, first.proxyUrl);

      const port = Number(first.http.split(':')[1]);
      const cred = new URL(first.proxyUrl);
      const auth = Buffer.from(`${cred.username}:${decodeURIComponent(cred.password)}`).toString('base64');
      const res = await rawRequest(port, `GET http://denied.test/x?q=${CANARY} HTTP/1.1\r\nHost: denied.test\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`);
      assert.equal(res.status, 403);
      const ev = JSON.parse(await next());
      assert.equal(ev.event, 'decision');
      assert.equal(ev.host, 'denied.test');
      assert.equal(ev.path, '/x');

      const env = spawnSync(process.execPath, [CLI, 'env', '--shell', 'bash'], { env: { ...process.env, CODEX_NETPOLICY_HOME: home }, encoding: 'utf8' });
      assert.equal(env.status, 0, env.stderr);
      assert.ok(env.stdout.includes(`export HTTPS_PROXY='${first.proxyUrl}'`), env.stdout);
      assert.match(env.stdout, /export SSL_CERT_FILE='.*ca-bundle\.pem'/);

      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 0);
      assert.ok(!existsSync(state), 'state file removed on exit');
      assert.ok(!stderr.includes(CANARY));
      const after = spawnSync(process.execPath, [CLI, 'env'], { env: { ...process.env, CODEX_NETPOLICY_HOME: home }, encoding: 'utf8' });
      assert.equal(after.status, 1);
      assert.match(after.stderr, /no running proxy found/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('invalid policy at start: policy event on stdout, file:line:col on stderr, exit 2', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.toml'), CONFIG.replace('enabled = true', 'enabled = 3'));
    const r = spawnSync(process.execPath, [CLI, 'proxy', '--json', '--config', join(dir, 'config.toml')], {
      env: { ...process.env, CODEX_NETPOLICY_HOME: join(dir, 'home'), TEST_TOKEN: CANARY }, encoding: 'utf8', timeout: 10_000,
    });
    assert.equal(r.status, 2);
    const ev = JSON.parse(r.stdout.split('\n')[0]!);
    assert.equal(ev.event, 'policy');
    assert.equal(ev.status, 'invalid');
    assert.equal(ev.diagnostics[0].line, 4);
    assert.match(r.stderr, /config\.toml:4:\d+: /);
  });

  test('missing secret env var fails at start without printing any value', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.toml'), CONFIG);
    const env: Record<string, string | undefined> = { ...process.env, CODEX_NETPOLICY_HOME: join(dir, 'home') };
    delete env.TEST_TOKEN;
    const r = spawnSync(process.execPath, [CLI, 'proxy', '--config', join(dir, 'config.toml')], { env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing required environment variable TEST_TOKEN/);
  });

  test('non-loopback listen is refused without the dangerous flag', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.toml'), CONFIG);
    const r = spawnSync(process.execPath, [CLI, 'proxy', '--config', join(dir, 'config.toml'), '--listen', '0.0.0.0:0'], {
      env: { ...process.env, CODEX_NETPOLICY_HOME: join(dir, 'home'), TEST_TOKEN: CANARY }, encoding: 'utf8', timeout: 10_000,
    });
    assert.equal(r.status, 64);
    assert.match(r.stderr, /non-loopback/);
  });

  test('ca: creates the CA and prints path and fingerprint; --regenerate backs up', () => {
    const dir = tempDir();
    const env = { ...process.env, CODEX_NETPOLICY_HOME: join(dir, 'home') };
    const a = spawnSync(process.execPath, [CLI, 'ca', '--json'], { env, encoding: 'utf8' });
    assert.equal(a.status, 0, a.stderr);
    const info = JSON.parse(a.stdout);
    assert.equal(info.certPath, join(dir, 'home', 'ca', 'ca.pem'));
    assert.match(info.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const b = JSON.parse(spawnSync(process.execPath, [CLI, 'ca', '--json'], { env, encoding: 'utf8' }).stdout);
    assert.equal(b.fingerprintSha256, info.fingerprintSha256, 'stable across runs');
    const c = JSON.parse(spawnSync(process.execPath, [CLI, 'ca', '--json', '--regenerate'], { env, encoding: 'utf8' }).stdout);
    assert.notEqual(c.fingerprintSha256, info.fingerprintSha256);
    assert.equal(c.backups.length, 2);
  });
});
