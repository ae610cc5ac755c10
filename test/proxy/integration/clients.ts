// Real clients driven through the proxy: curl, Node fetch (undici ProxyAgent), Python requests,
// git. All run asynchronously: the upstream servers live in this test process's event loop.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyAgent, fetch } from 'undici';
import { cleanEnv } from './harness';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: opts.env ?? cleanEnv(), cwd: opts.cwd, timeout: opts.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

// ------------------------------------------------------------------------------------------
// curl

export interface HeaderBlock {
  statusLine: string;
  status: number;
  headers: Map<string, string[]>;
}

export interface CurlResult {
  code: number;
  /** Final response status (`%{http_code}`), 0 when none. */
  status: number;
  /** CONNECT response status (`%{http_connect}`), 0 when no CONNECT was made. */
  connectStatus: number;
  /** Every header block curl saw, CONNECT response first. */
  blocks: HeaderBlock[];
  body: string;
  stderr: string;
  /** Everything the client saw (headers + body + stderr), for secret scans. */
  all: string;
}

function parseHeaderBlocks(raw: string): HeaderBlock[] {
  const out: HeaderBlock[] = [];
  for (const block of raw.split(/\r?\n\r?\n/)) {
    const lines = block.split(/\r?\n/).filter((l) => l.length);
    if (!lines.length || !/^HTTP\//.test(lines[0]!)) continue;
    const headers = new Map<string, string[]>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i <= 0) continue;
      const k = l.slice(0, i).trim().toLowerCase();
      headers.set(k, [...(headers.get(k) ?? []), l.slice(i + 1).trim()]);
    }
    out.push({ statusLine: lines[0]!, status: parseInt(lines[0]!.split(' ')[1] ?? '0', 10), headers });
  }
  return out;
}

export function header(b: HeaderBlock | undefined, name: string): string | undefined {
  return b?.headers.get(name.toLowerCase())?.[0];
}

export interface CurlOptions {
  proxy?: string;
  cacert?: string;
  method?: string;
  headers?: string[];
  data?: string;
  extra?: string[];
  env?: Record<string, string>;
}

export async function curl(url: string, o: CurlOptions = {}): Promise<CurlResult> {
  const dir = mkdtempSync(join(tmpdir(), 'curl-'));
  try {
    const hdr = join(dir, 'headers');
    const body = join(dir, 'body');
    const args = ['-q', '-sS', '--max-time', '20', '-D', hdr, '-o', body, '-w', '%{http_code} %{http_connect}'];
    if (o.proxy) args.push('-x', o.proxy);
    if (o.cacert) args.push('--cacert', o.cacert);
    if (o.method) args.push('-X', o.method);
    for (const h of o.headers ?? []) args.push('-H', h);
    if (o.data !== undefined) args.push('--data-binary', o.data);
    args.push(...(o.extra ?? []), url);
    const r = await run('curl', args, { env: o.env ?? cleanEnv() });
    const read = (f: string): string => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const rawHeaders = read(hdr);
    const bodyText = read(body);
    const [s, c] = r.stdout.trim().split(' ');
    return {
      code: r.code,
      status: parseInt(s ?? '0', 10) || 0,
      connectStatus: parseInt(c ?? '0', 10) || 0,
      blocks: parseHeaderBlocks(rawHeaders),
      body: bodyText,
      stderr: r.stderr,
      all: rawHeaders + bodyText + r.stderr + r.stdout,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The final (origin or proxy) response block. */
export function lastBlock(r: CurlResult): HeaderBlock | undefined {
  return r.blocks[r.blocks.length - 1];
}

// ------------------------------------------------------------------------------------------
// Node fetch through undici's ProxyAgent

export interface FetchResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  error?: string;
}

export async function nodeFetch(url: string, o: { proxy: string; ca: string[]; method?: string; headers?: Record<string, string>; body?: string }): Promise<FetchResult> {
  const agent = new ProxyAgent({ uri: o.proxy, requestTls: { ca: o.ca.map((f) => readFileSync(f, 'utf8')) }});
  try {
    const res = await fetch(url, {
      dispatcher: agent,
      method: o.method ?? 'GET',
      ...(o.headers ? { headers: o.headers } : {}),
      ...(o.body !== undefined ? { body: o.body } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body: await res.text() };
  } catch (e) {
    const parts: string[] = [];
    let cur: unknown = e;
    while (cur instanceof Error) {
      parts.push(cur.message);
      cur = (cur as { cause?: unknown }).cause;
    }
    return { status: 0, headers: {}, body: '', error: parts.join(' <- ') };
  } finally {
    await agent.close();
  }
}

// ------------------------------------------------------------------------------------------
// Python requests

const PY_SCRIPT = `
import json, sys
import requests
a = json.loads(sys.argv[1])
try:
    r = requests.request(a["method"], a["url"], proxies={"http": a["proxy"], "https": a["proxy"]},
                         verify=a["verify"], headers=a.get("headers") or {}, data=a.get("data"), timeout=20)
    print(json.dumps({"status": r.status_code, "headers": dict(r.headers), "body": r.text}))
except Exception as e:
    print(json.dumps({"status": 0, "headers": {}, "body": "", "error": type(e).__name__ + ": " + str(e)}))
`;

/** A python3 that has `requests`, or null. Debian's /usr/bin/python3 (python3-requests) first. */
export function pythonWithRequests(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import requests'], { env: cleanEnv() });
    if (r.status === 0) return py;
  }
  return null;
}

export async function pythonRequest(
  python: string,
  url: string,
  o: { proxy: string; verify: string; method?: string; headers?: Record<string, string>; data?: string },
): Promise<FetchResult & { raw: string }> {
  const arg = JSON.stringify({ url, proxy: o.proxy, verify: o.verify, method: o.method ?? 'GET', headers: o.headers ?? {}, data: o.data ?? null });
  const r = await run(python, ['-c', PY_SCRIPT, arg]);
  try {
    const v = JSON.parse(r.stdout) as FetchResult;
    return { ...v, raw: r.stdout + r.stderr };
  } catch {
    return { status: 0, headers: {}, body: '', error: `python failed (${r.code}): ${r.stderr}`, raw: r.stdout + r.stderr };
  }
}

// ------------------------------------------------------------------------------------------
// git

export async function gitClone(url: string, o: { proxy: string; caInfo: string; dest: string }): Promise<RunResult> {
  const home = mkdtempSync(join(tmpdir(), 'git-home-'));
  try {
    return await run('git', ['-c', `http.proxy=${o.proxy}`, '-c', `http.sslCAInfo=${o.caInfo}`, 'clone', '-q', url, o.dest], {
      env: cleanEnv({ HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' }),
      timeoutMs: 60_000,
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export async function gitHead(repo: string): Promise<string> {
  const r = await run('git', ['-C', repo, 'rev-parse', 'HEAD'], { env: cleanEnv({ GIT_CONFIG_NOSYSTEM: '1' }) });
  return r.stdout.trim();
}
