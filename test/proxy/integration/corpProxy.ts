// A real corporate proxy for the upstream-proxy tests: Debian's tinyproxy (installed by .ci/run),
// started on a free loopback port with its own config, optionally with BasicAuth. Its log (one
// line per request it received) tells the tests what went through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
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

/**
 * Debian's squid as the corporate proxy, resolving names through its own hosts file (so a test
 * name reaches it as a name and still lands on loopback). Its access log lists what it forwarded.
 */
export async function startSquid(hosts: Record<string, string>): Promise<CorpProxy> {
  const dir = tempDir('squid-');
  chmodSync(dir.path, 0o777); // squid writes its logs as the `proxy` user
  const port = await freePort();
  const hostsFile = join(dir.path, 'hosts');
  writeFileSync(hostsFile, Object.entries(hosts).map(([n, ip]) => `${ip} ${n}`).join('\n') + '\n');
  const log = join(dir.path, 'access.log');
  const conf = join(dir.path, 'squid.conf');
  writeFileSync(conf, [
    `http_port 127.0.0.1:${port}`, `hosts_file ${hostsFile}`, 'dns_nameservers 127.0.0.1', 'acl local src 127.0.0.1', 'http_access allow local', 'http_access deny all',
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
  return {
    port,
    url: (credentials) => `http://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}`,
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
