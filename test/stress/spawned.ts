// A `codex-netpolicy proxy --json` child for the stress suites: started as a user would, its
// stdout parsed into events, its RSS and fds readable, stopped with a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
export const CANARY = 'canary-STRESS-5e9d1b';

export interface Spawned {
  child: ChildProcess;
  dir: string;
  port: number;
  auditPath: string;
  events: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnProxy(config: string, extra: string[] = [], opts: { hosts?: string[]; events?: boolean } = {}): Promise<Spawned> {
  const dir = mkdtempSync(join(tmpdir(), 'cnp-stress-'));
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, config);
  const auditPath = join(dir, 'audit.jsonl');
  // STRESS_PROXY_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the proxy child.
  const nodeArgs = (process.env.STRESS_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, CLI, 'proxy', '--json', '--config', configPath, '--ca-dir', join(dir, 'ca'), '--audit', auditPath, ...extra];
  for (const h of opts.hosts ?? []) args.push('--resolve', `${h}=127.0.0.1`);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: dir, CODEX_NETPOLICY_HOME: join(dir, 'home'), STRESS_TOKEN: CANARY },
  });
  let out = '', err = '', pending = '';
  let listening = false;
  const events: Record<string, unknown>[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const port = await new Promise<number>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`proxy did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (b: Buffer) => {
      const s = b.toString();
      out += s;
      pending += s;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        // Under load, parsing every event line here would tax the suite's own process: only on request.
        if (listening && opts.events === false) continue;
        const e = JSON.parse(line) as Record<string, unknown>;
        if (e.event === 'listening') {
          listening = true;
          clearTimeout(t);
          res(Number(String(e.http).split(':').pop()));
        } else events.push(e);
      }
    });
    void exited.then((x) => rej(new Error(`proxy exited ${JSON.stringify(x)}: ${err}`)));
  });
  return { child, dir, port, auditPath, events, stdout: () => out, stderr: () => err, exited };
}

/** Keep-alive races retried (see proxiedGet), for the load figures. */
export const retries = { count: 0 };

/**
 * GET through the proxy (absolute-form); resolves with status and body, rejects on a socket error.
 * Like curl and browsers (and Node's docs on `request.reusedSocket`), a GET that fails with
 * ECONNRESET on a reused keep-alive socket (the proxy closed it as idle while the request was on
 * its way) is retried once on a fresh connection.
 */
export async function proxiedGet(port: number, url: string, agent?: http.Agent, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  try {
    return await getOnce(port, url, agent, timeoutMs);
  } catch (e) {
    if ((e as { reused?: boolean }).reused !== true || (e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
    retries.count++;
    return getOnce(port, url, agent, timeoutMs);
  }
}

function getOnce(port: number, url: string, agent: http.Agent | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const u = new URL(url);
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: url, headers: { host: u.host }, ...(agent ? { agent } : {}) }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
      r.on('error', rej);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (e) => rej(Object.assign(e, { reused: req.reusedSocket })));
    req.end();
  });
}

/**
 * A TypeScript helper of the stress suites in its own process (`node --import tsx FILE ARGS`),
 * resolving with its first stdout line (its answer); stdin stays open so it can watch for the end.
 */
export function spawnHelper(file: string, args: string[]): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, file), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const firstLine = new Promise<string>((res, rej) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) res(out.slice(0, nl));
    });
    child.once('exit', (code, signal) => rej(new Error(`${file} exited (${code ?? signal}) without an answer: ${err.slice(-2000)}`)));
  });
  return { child, firstLine };
}
