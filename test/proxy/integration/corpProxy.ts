// A real corporate proxy for the upstream-proxy tests: Debian's tinyproxy (installed by .ci/run),
// started on a free loopback port with its own config, optionally with BasicAuth. Its log (one
// line per request it received) tells the tests what went through it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir, type TempDir } from './harness';

export interface CorpProxy {
  port: number;
  /** `http://[user:pass@]127.0.0.1:PORT`. */
  url(credentials?: string): string;
  /** Request lines it received (`CONNECT host:port HTTP/1.1`, `GET http://… HTTP/1.1`). */
  requests(): string[];
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function launch(dir: TempDir, auth: { user: string; pass: string } | undefined): Promise<{ child: ChildProcess; port: number; log: string }> {
  const port = await freePort();
  const log = join(dir.path, 'tinyproxy.log');
  const conf = join(dir.path, 'tinyproxy.conf');
  // No ConnectPort lines: CONNECT to any port (the test upstreams use ephemeral ports).
  writeFileSync(conf, [
    `Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 100', 'LogLevel Connect', `LogFile "${log}"`,
    'Allow 127.0.0.1', 'DisableViaHeader Yes', ...(auth ? [`BasicAuth ${auth.user} ${auth.pass}`] : []), '',
  ].join('\n'));
  writeFileSync(log, '');
  const child = spawn('tinyproxy', ['-d', '-c', conf], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await accepting(port)) return { child, port, log };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`tinyproxy did not start on port ${port}`);
}

/** SIGTERM, SIGKILL after 5 s, then the temp dir goes. */
async function stop(child: ChildProcess, dir: TempDir): Promise<void> {
  if (child.exitCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
  dir.cleanup();
}

export async function startTinyproxy(auth?: { user: string; pass: string }): Promise<CorpProxy> {
  const dir = tempDir('tinyproxy-');
  let started: { child: ChildProcess; port: number; log: string };
  try {
    started = await launch(dir, auth);
  } catch {
    started = await launch(dir, auth); // the free port was taken in between: once more
  }
  const { child, port, log } = started;
  return {
    port,
    url: (credentials) => `http://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}`,
    requests: () => readFileSync(log, 'utf8').split('\n').map((l) => /Request \(file descriptor \d+\): (.*)$/.exec(l)?.[1]).filter((l): l is string => !!l),
    close: () => stop(child, dir),
  };
}

/** TLS for squid's `https_port` (a TLS-speaking corporate proxy); files readable by its `proxy` user. */
export interface SquidTls {
  certPath: string;
  keyPath: string;
}

export interface SquidOptions {
  tls?: SquidTls;
  /**
   * Proxy authentication: Basic through squid's `basic_ncsa_auth` helper and an htpasswd file made
   * with openssl (the default), or the `schemes` given: Digest (`digest_file_auth`), NTLM
   * (`ntlm_fake_auth`, which needs no domain), offered in that order.
   */
  auth?: { user: string; pass: string; schemes?: readonly ('basic' | 'digest' | 'ntlm')[] };
}

const SQUID_LIB = '/usr/lib/squid';
const NCSA_AUTH = `${SQUID_LIB}/basic_ncsa_auth`;

function squidAuthLines(dir: string, auth: NonNullable<SquidOptions['auth']>): string[] {
  const lines: string[] = [];
  for (const scheme of auth.schemes ?? ['basic']) {
    if (scheme === 'basic') {
      // The password goes to openssl on stdin, never argv.
      const hash = spawnSync('openssl', ['passwd', '-apr1', '-stdin'], { input: `${auth.pass}\n`, encoding: 'utf8' });
      if (hash.status !== 0) throw new Error(`openssl passwd failed: ${hash.stderr}`);
      const file = join(dir, 'htpasswd');
      writeFileSync(file, `${auth.user}:${hash.stdout.trim()}\n`, { mode: 0o644 });
      lines.push(`auth_param basic program ${NCSA_AUTH} ${file}`, 'auth_param basic realm corp');
    } else if (scheme === 'digest') {
      const file = join(dir, 'digest-passwd');
      writeFileSync(file, `${auth.user}:${auth.pass}\n`, { mode: 0o644 });
      lines.push(`auth_param digest program ${SQUID_LIB}/digest_file_auth ${file}`, 'auth_param digest children 1', 'auth_param digest realm corp');
    } else {
      lines.push(`auth_param ntlm program ${SQUID_LIB}/ntlm_fake_auth`, 'auth_param ntlm children 1');
    }
  }
  return [...lines, 'acl authed proxy_auth REQUIRED', 'http_access allow local authed'];
}

/**
 * Debian's squid as the corporate proxy, resolving names through its own hosts file (so a test
 * name reaches it as a name and still lands on loopback). Its access log lists what it forwarded.
 * With `tls` it listens with `https_port` (clients speak TLS to the proxy itself).
 */
export async function startSquid(hosts: Record<string, string>, opts: SquidOptions = {}): Promise<CorpProxy> {
  const dir = tempDir('squid-');
  chmodSync(dir.path, 0o777); // squid writes its logs as the `proxy` user
  const port = await freePort();
  const hostsFile = join(dir.path, 'hosts');
  writeFileSync(hostsFile, Object.entries(hosts).map(([n, ip]) => `${ip} ${n}`).join('\n') + '\n');
  const log = join(dir.path, 'access.log');
  const conf = join(dir.path, 'squid.conf');
  const listen = opts.tls ? `https_port 127.0.0.1:${port} tls-cert=${opts.tls.certPath} tls-key=${opts.tls.keyPath}` : `http_port 127.0.0.1:${port}`;
  writeFileSync(conf, [
    listen, `hosts_file ${hostsFile}`, 'dns_nameservers 127.0.0.1', 'acl local src 127.0.0.1',
    ...(opts.auth ? squidAuthLines(dir.path, opts.auth) : ['http_access allow local']), 'http_access deny all',
    'cache deny all', `access_log stdio:${log}`, `cache_log ${join(dir.path, 'cache.log')}`, `pid_filename ${join(dir.path, 'squid.pid')}`, `coredump_dir ${dir.path}`,
    'cache_effective_user proxy', 'shutdown_lifetime 0 seconds', 'via off', 'forwarded_for delete', '',
  ].join('\n'));
  const child = spawn('squid', ['-N', '-f', conf], { stdio: 'ignore' });
  let up = false;
  for (let i = 0; i < 300 && child.exitCode === null && !up; i++) {
    up = await accepting(port);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    child.kill('SIGKILL');
    dir.cleanup();
    throw new Error(`squid did not start on port ${port}`);
  }
  const scheme = opts.tls ? 'https' : 'http';
  return {
    port,
    url: (credentials) => `${scheme}://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}`,
    // Squid logs `METHOD URL` in fields 6 and 7 once a transaction ends.
    requests: () => {
      let text: string;
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 6).map((f) => `${f[5]} ${f[6]}`);
    },
    close: () => stop(child, dir),
  };
}

export interface RecordingRelay {
  port: number;
  /** Per connection, every byte it carried toward the target (our proxy → corporate proxy). */
  sent(): Buffer[];
  /** Per connection, every byte it carried back. */
  received(): Buffer[];
  close(): Promise<void>;
}

/**
 * A loopback TCP relay (listening on `listenHost`) to 127.0.0.1:`targetPort` that keeps every
 * byte it carries: what a network observer sees.
 */
export function startRecordingRelay(targetPort: number, listenHost = '127.0.0.1'): Promise<RecordingRelay> {
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const i = sent.push(Buffer.alloc(0)) - 1;
    received.push(Buffer.alloc(0));
    const target = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, target]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        target.destroy();
      });
    }
    client.on('data', (c: Buffer) => (sent[i] = Buffer.concat([sent[i]!, c])));
    target.on('data', (c: Buffer) => (received[i] = Buffer.concat([received[i]!, c])));
    client.pipe(target);
    target.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => resolve({
      port: (server.address() as { port: number }).port,
      sent: () => [...sent],
      received: () => [...received],
      close: () => new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
    }));
  });
}
