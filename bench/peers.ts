// The peers, each started as its own process: our proxy (the built CLI), mitmproxy, squid with
// ssl-bump, mockttp, tinyproxy. Each MITM peer applies the same rewrite as our hook: strip
// `x-strip-me`, inject `x-injected` (from BENCH_SECRET). Missing Debian peers are installed.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureApt, freePort, sleep, start, waitPort, type Proc } from './lib';

export interface Peer {
  name: string;
  /** host:port of the proxy; absent for direct. */
  proxy?: string;
  /** user:pass for Proxy-Authorization. */
  auth?: string;
  /** CA file the client trusts for this peer's certificates. */
  ca: string;
  pid?: number;
  /** Whether the header rewrite applies (false for direct and plain tunnels). */
  rewrites: boolean;
  /** CONNECT names the host (resolved by the proxy's own --resolve map) instead of its address. */
  byName?: boolean;
  stop(): Promise<void>;
}

export interface BenchEnv {
  root: string;
  dir: string;
  secret: string;
  upstreamCa: string;
  policy: string;
  /** `name=ip` pairs for every bench name (our proxy's --resolve; never real DNS). */
  names: string[];
  /** The build our proxy and CLI run from (default dist/; --ours-dist measures another build). */
  dist: string;
  /** Node options for our proxy's process (bench/ab.ts: --cpu-prof). */
  nodeArgs?: string[];
}

const direct = (env: BenchEnv): Peer => ({ name: 'direct', ca: env.upstreamCa, rewrites: false, stop: async () => undefined });

/** Our proxy (the built CLI); `extra` adds arguments: `--upstream-proxy` for the chained run, `--workers 2` for `ours2`. */
export async function ours(env: BenchEnv, name = 'ours', extra: string[] = []): Promise<Peer> {
  const home = join(env.dir, `${name}-home`);
  const p = start(process.execPath, [...(env.nodeArgs ?? []), join(env.dist, 'cli.js'), 'proxy', '--json', '--config', env.policy, '--ca-dir', join(env.dir, 'ours-home', 'ca'), '--upstream-ca', env.upstreamCa,
    ...env.names.flatMap((n) => ['--resolve', n]), ...extra],
    { CODEX_NETPOLICY_HOME: home, BENCH_SECRET: env.secret });
  const listening = await p.firstJson;
  const url = new URL(String(listening.proxyUrl));
  return {
    name, proxy: String(listening.http), ca: String(listening.caCert), pid: p.child.pid!, rewrites: true, byName: true,
    ...(url.username ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
    stop: p.stop,
  };
}

async function mitmproxy(env: BenchEnv): Promise<Peer> {
  const err = ensureApt('mitmdump', 'mitmproxy');
  if (err) throw new Error(err);
  const conf = join(env.dir, 'mitmproxy');
  mkdirSync(conf, { recursive: true });
  const addon = join(conf, 'rewrite.py');
  writeFileSync(addon, [
    'import os', 'SECRET = os.environ["BENCH_SECRET"]', 'class Rewrite:', '    def request(self, flow):',
    '        flow.request.headers.pop("x-strip-me", None)', '        flow.request.headers["x-injected"] = SECRET', 'addons = [Rewrite()]', '',
  ].join('\n'));
  const port = await freePort();
  const p = start('mitmdump', ['-q', '--listen-host', '127.0.0.1', '--listen-port', String(port), '--set', `confdir=${conf}`,
    '--set', `ssl_verify_upstream_trusted_ca=${env.upstreamCa}`, '-s', addon], { BENCH_SECRET: env.secret });
  await ready(p, port);
  return { name: 'mitmproxy', proxy: `127.0.0.1:${port}`, ca: join(conf, 'mitmproxy-ca-cert.pem'), pid: p.child.pid!, rewrites: true, stop: p.stop };
}

async function squid(env: BenchEnv): Promise<Peer> {
  const err = ensureApt('squid', 'squid-openssl');
  if (err) throw new Error(err);
  const d = join(env.dir, 'squid');
  mkdirSync(d, { recursive: true });
  chmodSync(env.dir, 0o755);
  chmodSync(d, 0o777);
  const ca = join(d, 'ca.pem');
  const key = join(d, 'ca.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', ca, '-days', '7', '-subj', '/CN=squid bench CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  chmodSync(key, 0o644);
  const db = join(d, 'ssl_db');
  const certgen = ['/usr/lib/squid/security_file_certgen', '/usr/lib/squid3/security_file_certgen'].find((f) => existsSync(f));
  if (!certgen) throw new Error('security_file_certgen not found (squid-openssl)');
  execFileSync(certgen, ['-c', '-s', db, '-M', '16MB'], { stdio: 'ignore' });
  execFileSync('chown', ['-R', 'proxy:proxy', d]);
  const port = await freePort();
  const conf = join(d, 'squid.conf');
  writeFileSync(conf, [
    `http_port 127.0.0.1:${port} ssl-bump generate-host-certificates=on dynamic_cert_mem_cache_size=16MB tls-cert=${ca} tls-key=${key}`,
    `sslcrtd_program ${certgen} -s ${db} -M 16MB`, 'sslcrtd_children 4 startup=2 idle=1',
    'acl step1 at_step SslBump1', 'ssl_bump peek step1', 'ssl_bump bump all',
    `tls_outgoing_options cafile=${env.upstreamCa}`,
    'http_access allow localhost', 'http_access deny all',
    'request_header_access X-Strip-Me deny all', `request_header_add X-Injected "${env.secret}" all`,
    'cache deny all', 'access_log none', `cache_log ${join(d, 'cache.log')}`, `pid_filename ${join(d, 'squid.pid')}`,
    `coredump_dir ${d}`, 'cache_effective_user proxy', 'via off', 'forwarded_for delete', 'shutdown_lifetime 0 seconds', 'max_filedescriptors 4096', '',
  ].join('\n'));
  const p = start('squid', ['-N', '-f', conf]);
  await ready(p, port);
  return { name: 'squid', proxy: `127.0.0.1:${port}`, ca, pid: p.child.pid!, rewrites: true, stop: p.stop };
}

async function mockttp(env: BenchEnv): Promise<Peer> {
  const p = start(process.execPath, ['--import', 'tsx', join(env.root, 'bench', 'peers', 'mockttp.ts'), env.dir, env.upstreamCa], { BENCH_SECRET: env.secret });
  const info = await p.firstJson;
  return { name: 'mockttp', proxy: `127.0.0.1:${Number(info.port)}`, ca: String(info.ca), pid: p.child.pid!, rewrites: true, stop: p.stop };
}

async function tinyproxy(env: BenchEnv): Promise<Peer> {
  const err = ensureApt('tinyproxy', 'tinyproxy');
  if (err) throw new Error(err);
  const port = await freePort();
  const conf = join(env.dir, 'tinyproxy.conf');
  writeFileSync(conf, ['User nobody', 'Group nogroup', `Port ${port}`, 'Listen 127.0.0.1', 'Timeout 600', 'MaxClients 2000', 'Allow 127.0.0.1', 'LogLevel Critical', 'DisableViaHeader Yes', ''].join('\n'));
  const p = start('tinyproxy', ['-d', '-c', conf]);
  await ready(p, port);
  return { name: 'tinyproxy', proxy: `127.0.0.1:${port}`, ca: env.upstreamCa, pid: p.child.pid!, rewrites: false, stop: p.stop };
}

/** Waits for the port, failing early with the peer's stderr when it exits first. */
async function ready(p: Proc, port: number): Promise<void> {
  const exited = new Promise<never>((_, reject) => p.child.once('exit', (c) => reject(new Error(`exited (${c}): ${p.stderr().trim().slice(-600)}`))));
  exited.catch(() => undefined);
  try {
    // Generous: a loaded machine can take tens of seconds to start Python (mitmproxy) or squid.
    await Promise.race([waitPort(port, 90_000), exited]);
  } catch (e) {
    await p.stop();
    throw e;
  }
  await sleep(300);
}

export const PEERS: Record<string, (env: BenchEnv) => Promise<Peer>> = { direct: async (e) => direct(e), ours: (e) => ours(e), ours2: (e) => ours(e, 'ours2', ['--workers', '2']), mitmproxy, squid, mockttp, tinyproxy };
