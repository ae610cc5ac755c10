// Local upstream servers on 127.0.0.1 for the proxy integration tests:
// - an HTTPS server with its OWN test CA (not the proxy's; handed to the proxy via --upstream-ca)
//   that echoes method, path and request headers as JSON and also serves a bare git repository
//   over smart HTTP (git http-backend as CGI) under /repo.git/;
// - a plain HTTP echo server.
// Every request is also recorded in `received`, so tests can check what the upstream saw even
// when the response is kept quiet (`x-echo-quiet: 1`, used where the echo would reflect a secret).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadOrCreateCa, type CaHandle } from '../../../core/ca/index';
import { cleanEnv } from './harness';

export interface ReceivedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  host: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** Raw header list, to see duplicates. */
  rawHeaders: string[];
}

interface Upstream {
  port: number;
  received: ReceivedRequest[];
  close: () => Promise<void>;
}

interface HttpsUpstream extends Upstream {
  /** The upstream's own CA (PEM file); clients of raw tunnels and the proxy trust it. */
  caCertPath: string;
  ca: CaHandle;
  /** Clone URL path of the served repository. */
  repoPath: string;
  /** Commit id of the repository's main branch. */
  headCommit: string;
}

function record(req: IncomingMessage, received: ReceivedRequest[]): ReceivedRequest {
  const r: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', host: req.headers.host, headers: { ...req.headers }, rawHeaders: [...req.rawHeaders] };
  received.push(r);
  return r;
}

function echo(req: IncomingMessage, res: ServerResponse, received: ReceivedRequest[]): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const r = record(req, received);
    const quiet = req.headers['x-echo-quiet'] === '1';
    const body = quiet
      ? JSON.stringify({ id: received.length - 1, method: r.method, url: r.url })
      : JSON.stringify({ method: r.method, url: r.url, host: r.host, headers: r.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
    res.end(body);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
}

async function startHttpEcho(): Promise<Upstream> {
  const received: ReceivedRequest[] = [];
  const server = createHttpServer((req, res) => echo(req, res, received));
  const port = await listen(server);
  return { port, received, close: closer(server) };
}

function git(args: string[], cwd: string): string {
  const r = spawnSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.test', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    env: cleanEnv({ GIT_CONFIG_NOSYSTEM: '1', HOME: cwd }),
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A bare repo with one commit, created at test time. Returns the commit id. */
function createRepo(root: string): string {
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  git(['init', '-q'], work);
  writeFileSync(join(work, 'README.md'), '# served through the policy proxy\n');
  git(['add', 'README.md'], work);
  git(['commit', '-q', '-m', 'initial'], work);
  const head = git(['rev-parse', 'HEAD'], work);
  git(['clone', '-q', '--bare', work, join(root, 'repo.git')], root);
  return head;
}

/** Runs `git http-backend` for one request (CGI/1.1) and relays its answer. */
function gitBackend(projectRoot: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'https://x');
  const env = cleanEnv({
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: projectRoot,
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
  });
  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  let stderr = '';
  cgi.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  cgi.stdout.on('data', (b: Buffer) => {
    if (headersDone) {
      res.write(b);
      return;
    }
    head = Buffer.concat([head, b]);
    let end = head.indexOf('\r\n\r\n');
    let sep = 4;
    if (end < 0) {
      end = head.indexOf('\n\n');
      sep = 2;
    }
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i <= 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + sep));
  });
  cgi.on('close', (code) => {
    if (!headersDone) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend failed (${code}): ${stderr}`);
    } else res.end();
  });
}

/**
 * HTTPS upstream with its own CA in `dir` (a leaf per SNI name, so any test host name works).
 * `/repo.git/…` is the git repository; every other path echoes.
 */
async function startHttpsUpstream(dir: string): Promise<HttpsUpstream> {
  const ca = await loadOrCreateCa(join(dir, 'upstream-ca'));
  const gitRoot = join(dir, 'git');
  mkdirSync(gitRoot, { recursive: true });
  const headCommit = createRepo(gitRoot);
  const received: ReceivedRequest[] = [];
  const server = createHttpsServer(
    {
      SNICallback: (name, cb) => {
        try {
          cb(null, ca.secureContextFor(name));
        } catch (e) {
          cb(e instanceof Error ? e : new Error(String(e)));
        }
      },
    },
    (req, res) => {
      if ((req.url ?? '').startsWith('/repo.git/')) {
        record(req, received);
        gitBackend(gitRoot, req, res);
      } else echo(req, res, received);
    },
  );
  server.on('tlsClientError', () => {}); // clients that do not trust this CA are expected in some tests
  const port = await listen(server);
  return { port, received, close: closer(server), caCertPath: ca.certPath, ca, repoPath: '/repo.git', headCommit };
}

export interface Upstreams {
  https: HttpsUpstream;
  http: Upstream;
  close: () => Promise<void>;
}

/** Both upstreams in a fresh temp dir (removed by `close`). */
export async function startUpstreams(): Promise<Upstreams> {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-it-upstream-'));
  const https = await startHttpsUpstream(dir);
  const http = await startHttpEcho();
  return {
    https,
    http,
    close: async () => {
      await Promise.all([https.close(), http.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
