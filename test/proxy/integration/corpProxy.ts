// A real corporate proxy for the upstream-proxy tests: Debian's tinyproxy (installed by .ci/run),
// started on a free loopback port with its own config, optionally with BasicAuth. Its log (one
// line per request it received) tells the tests what went through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
    close: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(t);
      }
      dir.cleanup();
    },
  };
}
