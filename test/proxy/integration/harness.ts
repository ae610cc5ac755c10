// Runs the real proxy (`node dist/cli.js proxy --json …`) as a child process for integration
// tests: temp CODEX_HOME / CA dir / policy files, the listening line, the JSON event stream, and
// a clean stop. Test host names are mapped to 127.0.0.1 with --resolve so nothing leaves loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI: string = join(PROJECT_ROOT, 'dist', 'cli.js');
const FIXTURES: string = join(PROJECT_ROOT, 'test', 'fixtures', 'proxy');

/** Every name the tests use; all resolve to loopback inside the proxy. */
const TEST_HOSTS = [
  'api.github.test',
  'internal-api.company.test',
  'registry.npmjs.test',
  'git.test',
  'plain.test',
  'tracker.test',
  'other.test',
] as const;

/** Proxy / client variables a developer's shell may carry; they must not leak into tests. */
const PROXY_ENV = /^(https?|all|ftp|no|ws|wss)_proxy$|^(ssl_cert_file|ssl_cert_dir|requests_ca_bundle|curl_ca_bundle|node_extra_ca_certs|git_ssl_cainfo|node_use_env_proxy|codex_home|codex_netpolicy_home)$/i;

export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !PROXY_ENV.test(k)) out[k] = v;
  return { ...out, ...extra };
}

export interface TempDir {
  path: string;
  cleanup: () => void;
}

export function tempDir(prefix = 'proxy-it-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Reads a fixture policy, substituting `{{NAME}}` placeholders. */
export function fixture(name: string, vars: Record<string, string> = {}): string {
  let text = readFileSync(join(FIXTURES, name), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split(`{{${k}}}`).join(v);
  return text;
}

/** Replaces a file atomically, so a watcher never sees it half-written. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export type ProxyEvent = Record<string, unknown> & { event: string };

import type { ListeningEvent } from '../../../core/proxy/protocol';

;

export interface ProxyOptions {
  /** config.toml text, written to <dir>/config.toml */
  config: string;
  requirements?: string;
  profile?: string;
  /** Extra environment for the proxy (secrets for inject_request_headers). */
  env?: Record<string, string>;
  upstreamCa?: string[];
  auth?: 'auto' | 'required' | 'off';
  audit?: boolean;
  socks?: boolean;
  /** Extra --resolve entries beyond TEST_HOSTS=127.0.0.1 */
  resolve?: string[];
  startTimeoutMs?: number;
  /** More `proxy` arguments (e.g. --learn). */
  args?: string[];
}

export interface RunningProxy {
  dir: string;
  codexHome: string;
  /** CODEX_NETPOLICY_HOME of the proxy (state file, CA bundles written by `env`). */
  netpolicyHome: string;
  caDir: string;
  configPath: string;
  requirementsPath?: string;
  auditPath?: string;
  listening: ListeningEvent;
  /** proxyUrl as announced (with credentials when the proxy requires them). */
  proxyUrl: string;
  /** http://127.0.0.1:PORT without credentials. */
  bareUrl: string;
  events: ProxyEvent[];
  stdout: () => string;
  stderr: () => string;
  /** Index to pass as `since`, so a wait only sees later events. */
  mark: () => number;
  waitFor: (pred: (e: ProxyEvent) => boolean, opts?: { since?: number; timeoutMs?: number; what?: string }) => Promise<ProxyEvent>;
  /** Decision events for a host, since a mark. */
  decisions: (host: string, since?: number) => ProxyEvent[];
  /** SIGTERM, wait for exit (SIGKILL to the group after a timeout). */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  child: ChildProcess;
}

export interface ProxyExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function proxyArgs(dir: string, opts: ProxyOptions, configPath: string, requirementsPath?: string, auditPath?: string): string[] {
  const args = [CLI, 'proxy', '--json', '--config', configPath, '--listen', '127.0.0.1:0', '--ca-dir', join(dir, 'ca')];
  if (requirementsPath) args.push('--requirements', requirementsPath);
  if (opts.profile) args.push('--profile', opts.profile);
  if (opts.socks) args.push('--socks', '127.0.0.1:0');
  for (const ca of opts.upstreamCa ?? []) args.push('--upstream-ca', ca);
  for (const h of TEST_HOSTS) args.push('--resolve', `${h}=127.0.0.1`);
  for (const r of opts.resolve ?? []) args.push('--resolve', r);
  if (auditPath) args.push('--audit', auditPath);
  if (opts.auth) args.push('--auth', opts.auth);
  args.push(...(opts.args ?? []));
  return args;
}

function writePolicies(dir: string, opts: ProxyOptions): { configPath: string; requirementsPath?: string } {
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, opts.config);
  let requirementsPath: string | undefined;
  if (opts.requirements !== undefined) {
    requirementsPath = join(dir, 'requirements.toml');
    writeFileSync(requirementsPath, opts.requirements);
  }
  return { configPath, ...(requirementsPath ? { requirementsPath } : {}) };
}

/** Live child processes, killed on exit even when a test forgets (or crashes before) `stop`. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function spawnProxy(args: string[], env: Record<string, string>, cwd: string): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs a proxy that is expected to exit by itself (e.g. an invalid policy at start). */
export async function runProxyToExit(opts: ProxyOptions, timeoutMs = 15_000): Promise<ProxyExit & { dir: TempDir; configPath: string }> {
  const dir = tempDir();
  const { configPath, requirementsPath } = writePolicies(dir.path, opts);
  const env = cleanEnv({ CODEX_HOME: join(dir.path, 'codex-home'), CODEX_NETPOLICY_HOME: join(dir.path, 'netpolicy-home'), ...(opts.env ?? {}) });
  const child = spawnProxy(proxyArgs(dir.path, opts, configPath, requirementsPath), env, dir.path);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      res({ code, signal });
    });
  });
  return { ...exit, stdout, stderr, dir, configPath };
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const dir = tempDir();
  const { configPath, requirementsPath } = writePolicies(dir.path, opts);
  const auditPath = opts.audit ? join(dir.path, 'audit.jsonl') : undefined;
  const codexHome = join(dir.path, 'codex-home');
  // Own state dir: `env` finds the proxy through <home>/proxy.json, and parallel test files must not collide.
  const netpolicyHome = join(dir.path, 'netpolicy-home');
  const env = cleanEnv({ CODEX_HOME: codexHome, CODEX_NETPOLICY_HOME: netpolicyHome, ...(opts.env ?? {}) });
  const child = spawnProxy(proxyArgs(dir.path, opts, configPath, requirementsPath, auditPath), env, dir.path);

  const events: ProxyEvent[] = [];
  const waiters = new Set<() => void>();
  let stdout = '';
  let stderr = '';
  let pending = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.on('data', (b: Buffer) => {
    const s = b.toString();
    stdout += s;
    pending += s;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line) continue;
      try {
        const v: unknown = JSON.parse(line);
        if (v && typeof v === 'object' && typeof (v as { event?: unknown }).event === 'string') events.push(v as ProxyEvent);
      } catch {
        events.push({ event: 'non-json', line });
      }
    }
    notify();
  });
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      notify();
      res(exited);
    });
  });

  const waitFor: RunningProxy['waitFor'] = (pred, o = {}) => {
    const since = o.since ?? 0;
    const timeoutMs = o.timeoutMs ?? 10_000;
    return new Promise((res, rej) => {
      const check = (): void => {
        for (let i = since; i < events.length; i++) {
          const e = events[i]!;
          if (pred(e)) {
            done();
            res(e);
            return;
          }
        }
        if (exited) {
          done();
          rej(new Error(`proxy exited (${JSON.stringify(exited)}) before ${o.what ?? 'the awaited event'}; stderr:\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`timed out after ${timeoutMs} ms waiting for ${o.what ?? 'an event'}; events since ${since}:\n${events.slice(since).map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${stderr}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  };

  const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (exited) return exited;
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
    const r = await exitPromise;
    clearTimeout(t);
    return r;
  };

  let listening: ListeningEvent;
  try {
    listening = (await waitFor((e) => e.event === 'listening', { timeoutMs: opts.startTimeoutMs ?? 15_000, what: 'the listening line' })) as unknown as ListeningEvent;
  } catch (e) {
    await stop();
    dir.cleanup();
    throw e;
  }
  const bare = new URL(listening.proxyUrl);
  bare.username = '';
  bare.password = '';
  return {
    dir: dir.path,
    codexHome,
    netpolicyHome,
    caDir: join(dir.path, 'ca'),
    configPath,
    ...(requirementsPath ? { requirementsPath } : {}),
    ...(auditPath ? { auditPath } : {}),
    listening,
    proxyUrl: listening.proxyUrl,
    bareUrl: `${bare.protocol}//${bare.host}`,
    events,
    stdout: () => stdout,
    stderr: () => stderr,
    mark: () => events.length,
    waitFor,
    decisions: (host, since = 0) => events.slice(since).filter((e) => e.event === 'decision' && e.host === host),
    stop: async () => {
      const r = await stop();
      return r;
    },
    child,
  };
}

/** Stops the proxy and removes its temp dir; for `after` hooks. */
export async function disposeProxy(p: RunningProxy | undefined): Promise<void> {
  if (!p) return;
  await p.stop();
  rmSync(p.dir, { recursive: true, force: true });
}

/** Waits for the decision event of a request made after `since` to `host` (optionally matching more). */
export function decisionFor(p: RunningProxy, host: string, since: number, extra: (e: ProxyEvent) => boolean = () => true): Promise<ProxyEvent> {
  return p.waitFor((e) => e.event === 'decision' && e.host === host && extra(e), { since, what: `a decision for ${host}` });
}

/** `p`, or a rejection naming `what` after `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
