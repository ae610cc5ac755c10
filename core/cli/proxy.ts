// `codex-netpolicy proxy`: runs the MITM policy proxy until SIGINT/SIGTERM.
// With --json the first stdout line is the `listening` event, then one event per line.
import { EXTRA_ACCEPTORS } from '../proxy/acceptors';
import { brokerCredentials, BROKER_ENV_KEY, defaultBindings, dummyEnv, parseBrokerSpec, type BrokeredCredential } from '../broker/credentials';
import { resolve } from 'node:path';
import type { AuthMode } from '../proxy/access';
import type { ListeningEvent, OutcomeFailure, ProxyEvent } from '../proxy/protocol';
import { eventLine } from '../proxy/eventLine';
import { ListenError } from '../proxy/listen';
import { DEFAULT_LIMITS, type Limits } from '../proxy/lifecycle';
import { PolicyInvalidError, startProxy, diagnosticsOf, type ProxyOptions } from '../proxy/server';
import { isWorker, MAX_WORKERS, serveAsWorker, workerInit, WorkerPool } from '../proxy/workers';
import { defaultCaDir, netpolicyHome, removeState, writeState } from '../proxy/state';
import { prepareOtlp, policyDigests } from '../telemetry/attach';
import { OtlpConfigError, otlpConfig, type OtlpConfig } from '../telemetry/config';
import { describeTelemetry } from '../telemetry/describe';
import { version } from '../../package.json';
import { many, one, parseArgs, UsageError, type ParsedArgs } from './args';
import { batchLines } from './eventLines';
import type { Io } from './io';
import { formatDiagnostic, loadPolicyFiles, policyFiles } from './policyFiles';
import { parseResolveOverrides, parseStandIns } from './resolveOverrides';
import { describeProxy, upstreamProxyConfig, UpstreamProxyUrlError, type UpstreamProxyConfig } from '../net/upstreamProxy';

export const PROXY_HELP = `Usage: codex-netpolicy proxy [--config FILE] [--requirements FILE] [--profile NAME]
                            [--listen ADDR] [--socks ADDR] [--ca-dir DIR] [--upstream-ca FILE]...
                            [--upstream-proxy URL]
                            [--resolve HOST=IP]... [--stand-in HOST=IP:PORT]... [--audit FILE] [--auth auto|required|off] [--json]
                            [--learn] [--broker [--broker-bind VAR=HOST,...]...]
                            [--otlp-endpoint URL] [--otlp-protocol http/protobuf|http/json]
                            [--max-connections N] [--response-timeout MS] [--headers-timeout MS]
                            [--drain-timeout MS] [--workers N] [--dangerously-allow-non-loopback]

Runs the HTTP/HTTPS policy proxy (default 127.0.0.1:0, an ephemeral port). Policy files are
watched and reloaded; an invalid edit keeps the last good policy. CA dir default: $CODEX_NETPOLICY_HOME/ca or
~/.codex-netpolicy/ca. --auth auto requires a per-run credential when the policy injects secrets.
Upstream proxy (allow_upstream_proxy, default true): allowed traffic goes through the proxy in
--upstream-proxy URL, else this process's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (upper case first;
http:// and https:// proxies; user:password in the URL is sent as Proxy-Authorization to that proxy
only). NO_PROXY of this environment is honoured; localhost and private IP literals always go direct.
Upstream TLS trusts Node's roots, the OS store, SSL_CERT_FILE / SSL_CERT_DIR / NODE_EXTRA_CA_CERTS
as set at start, and --upstream-ca files.
--learn: NOT ENFORCING the allowlist. Requests it would deny go through and are recorded with
the flag would_deny (feed the --audit file to 'codex-netpolicy suggest'); the denylist, local and
private addresses, hooked hosts and limited mode stay enforced, no secret is injected, and the
mode ends with the process. Refused when a managed requirements file is in force.
--broker: brokered credentials from this process's environment (GH_TOKEN, GITHUB_TOKEN,
OPENAI_API_KEY with their built-in hosts; --broker-bind adds or rebinds a variable to hosts):
'codex-netpolicy env' then prints dummies for them, and the proxy swaps each dummy for the real
value in Authorization on TLS-intercepted requests to the bound hosts only.
For the extension: ${BROKER_ENV_KEY} in the environment (a JSON array of {envVar, hosts, dummy,
real}, as the extension passes it) makes the proxy swap each dummy for its real value in
Authorization on TLS-intercepted requests to the bound hosts only.

OpenTelemetry: --otlp-endpoint URL (a Collector's OTLP/HTTP base, e.g. http://127.0.0.1:4318) or
the standard OTEL_EXPORTER_OTLP_* variables export every decision as a log record and a counter.
A collector that is down never delays a request; undelivered records are counted ("telemetry"
events) and the local output (stdout, --audit) stays complete.

--stand-in HOST=127.0.0.1:PORT: a local server answers for HOST; the policy judges HOST as the
public name it is (no DNS), the proxy dials the stand-in (demos, tests).

Limits: --max-connections (default ${DEFAULT_LIMITS.maxConnections}; one more gets 503), --response-timeout
(default ${DEFAULT_LIMITS.responseTimeoutMs} ms for an upstream's response headers, else 504), --headers-timeout (default
${DEFAULT_LIMITS.headersTimeoutMs} ms for a client's request headers). SIGINT/SIGTERM stop accepting and let in-flight
requests finish for up to --drain-timeout (default ${DEFAULT_LIMITS.drainTimeoutMs} ms); a second signal exits at once.

--workers N (default 1): N processes accept on the one listener, to use more cores. The first one
writes every process's events (one numbered stream on stdout and --audit), watches the policy and
tells the others to reload, and owns the credential; SOCKS5 stays in the first process.`;

/** Events waiting for a slow stdout reader beyond this are dropped (and counted); --audit keeps them all. */
export const MAX_OUT_BACKLOG = 1 << 20;

export async function runProxy(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, {
    flags: ['json', 'help', 'dangerously-allow-non-loopback', 'learn', 'broker'],
    options: ['broker-bind', 'config', 'requirements', 'profile', 'listen', 'socks', 'ca-dir', 'upstream-ca', 'upstream-proxy', 'resolve', 'stand-in', 'audit', 'auth', 'otlp-endpoint', 'otlp-protocol', 'max-connections', 'response-timeout', 'headers-timeout', 'drain-timeout', 'workers'],
  });
  if (args.flags.has('help')) {
    io.out(PROXY_HELP);
    return 0;
  }
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const auth = one(args, 'auth') ?? 'auto';
  if (auth !== 'auto' && auth !== 'required' && auth !== 'off') throw new UsageError('--auth must be auto, required or off');
  const json = args.flags.has('json');
  const config = one(args, 'config');
  const requirements = one(args, 'requirements');
  const profile = one(args, 'profile');
  const fileOpts = { ...(config ? { config: resolve(config) } : {}), ...(requirements ? { requirements: resolve(requirements) } : {}), ...(profile ? { profile } : {}), env: io.env };
  const files = policyFiles(fileOpts);
  const fileList = [files.config, files.requirements].filter((f): f is string => !!f).map((f) => resolve(f));
  if (!files.config) throw new UsageError('no config.toml found (pass --config FILE)');
  const learn = args.flags.has('learn');
  // Workers (forked below) read the brokered credentials from their environment too.
  const brokerSpec = io.env[BROKER_ENV_KEY];
  const broker = [...brokerFromEnv(io.env)];
  if (args.flags.has('broker')) broker.push(...brokerFromFlags(many(args, 'broker-bind'), io.env).filter((c) => !broker.some((b) => b.envVar === c.envVar)));
  else if (many(args, 'broker-bind').length) throw new UsageError('--broker-bind needs --broker');
  // Decision: a managed requirements file means an administrator owns the policy; learning mode
  // would let a user switch its allowlist off, so it is refused outright.
  if (learn && files.requirements) throw new UsageError(`--learn is refused while a managed requirements file is in force (${files.requirements})`);
  const overrides = parseResolveOverrides(many(args, 'resolve'));
  const upstreamProxy = upstreamProxyFromArgs(args, io);
  const home = netpolicyHome(io.env);
  const lines = batchLines(io.out);
  const limits = limitsOf(args);
  const workers = workersOf(args);
  let dropped = 0;
  const print = (e: ProxyEvent, mayWait: boolean): void => {
    // A reader that does not keep up must not grow the proxy's memory without bound.
    if ((io.outBacklog?.() ?? 0) > MAX_OUT_BACKLOG) {
      dropped++;
      return;
    }
    if (dropped) {
      const notice = { event: 'error' as const, time: new Date().toISOString(), message: `${dropped} events were not written: the reader of stdout is too slow${one(args, 'audit') ? ' (the audit file has them)' : ''}` };
      dropped = 0;
      lines.push(json ? JSON.stringify(notice) : describe(notice));
    }
    const wait = !mayWait ? undefined : e.event === 'decision' ? e.id : true;
    if (json) lines.push(eventLine(e), wait);
    else if (e.event !== 'outcome') lines.push(describe(e), wait);
    else if (e.failure) lines.push(`${new Date().toISOString().slice(11, 23)} ${FAILURE_LABELS[e.failure.reason]} #${e.id}: ${e.failure.message}`);
  };
  const otlp = otlpFromArgs(args, io.env);
  // Digests of the files behind the last good policy (a rejected reload keeps the old ones).
  let candidate = policyDigests({});
  let digests = candidate;
  const options: ProxyOptions = {
    load: () => {
      const r = loadPolicyFiles(fileOpts);
      candidate = policyDigests({ ...(r.documents.config ? { config: r.documents.config.text } : {}), ...(r.documents.requirements ? { requirements: r.documents.requirements.text } : {}) });
      return { ...(r.policy ? { policy: r.policy } : {}), diagnostics: r.diagnostics, files: fileList };
    },
    watchFiles: fileList,
    listen: one(args, 'listen') ?? '127.0.0.1:0',
    ...(one(args, 'socks') !== undefined ? { socks: one(args, 'socks')! } : {}),
    caDir: resolve(one(args, 'ca-dir') ?? defaultCaDir(io.env)),
    upstreamCaFiles: many(args, 'upstream-ca').map((f) => resolve(f)),
    upstreamProxy,
    overrides,
    standIns: parseStandIns(many(args, 'stand-in')),
    auth: auth as AuthMode,
    allowNonLoopback: args.flags.has('dangerously-allow-non-loopback'),
    ...(one(args, 'audit') ? { auditFile: resolve(one(args, 'audit')!) } : {}),
    limits,
    acceptors: EXTRA_ACCEPTORS,
    env: io.env,
    ...(learn ? { learn: true } : {}),
    ...(broker.length ? { broker } : {}),
  };
  if (isWorker(io.env)) return runWorker(options);
  const attach = otlp ? await prepareOtlp(otlp, { env: io.env, version, digests: () => digests }) : null;

  let handle;
  let pool: WorkerPool | null = null;
  try {
    handle = await startProxy(options);
    if (workers > 1) {
      pool = new WorkerPool(handle.events, {
        count: workers, entry: process.argv[1]!, argv: ['proxy', ...argv], listener: handle.listener, credential: handle.credential,
        env: { ...io.env, ...(brokerSpec !== undefined ? { [BROKER_ENV_KEY]: brokerSpec } : {}) },
      });
      await pool.start().catch(async (e: unknown) => {
        await Promise.all([pool!.close(0), handle!.close(0)]);
        throw e;
      });
    }
  } catch (e) {
    if (e instanceof PolicyInvalidError) {
      const errors = e.outcome.diagnostics.filter((d) => d.severity === 'error');
      if (json) io.out(JSON.stringify({ event: 'policy', time: new Date().toISOString(), status: 'invalid', profile: profile ?? null, files: fileList, diagnostics: diagnosticsOf(e.outcome) }));
      for (const d of errors) io.err(formatDiagnostic(d));
      if (!errors.length) io.err('the policy could not be loaded');
      return 2;
    }
    if (e instanceof ListenError) throw new UsageError(e.message);
    throw e;
  }
  const h = handle;
  digests = candidate;
  const writeOurState = (): void => {
    try {
      writeState(home, {
        pid: process.pid, proxyUrl: h.proxyUrl, socks: h.socks, caCert: h.caCert, allowLocalBinding: h.policy().effective.allowLocalBinding, startedAt: new Date().toISOString(),
        ...(broker.length ? { brokered: dummyEnv(broker) } : {}),
      });
    } catch (e) {
      h.events.error(`cannot write ${home}/proxy.json: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  writeOurState();
  // The state file exists before the listening line, so `env` works as soon as that line is seen.
  if (json) {
    const eff = h.policy().effective;
    const listening: ListeningEvent = {
      event: 'listening', http: h.http, socks: h.socks, proxyUrl: h.proxyUrl, caCert: h.caCert, profile: eff.profile, mode: eff.mode, ...(learn ? { learning: true } : {}),
      ...(upstreamProxy.secure ? { upstreamProxy: describeProxy(upstreamProxy.secure) } : {}),
    };
    io.out(JSON.stringify(listening));
  }
  else {
    io.out(`codex-netpolicy proxy listening on ${h.http}${h.socks ? ` (SOCKS5 ${h.socks})` : ''}, profile ${h.policy().effective.profile}, mode ${h.policy().effective.mode}`);
    io.out(`proxy URL: ${h.proxyUrl}`);
    io.out(`CA certificate: ${h.caCert} (SHA-256 ${h.ca.fingerprintSha256})`);
    for (const [what, p] of [['HTTPS and CONNECT', upstreamProxy.secure], ['plain HTTP', upstreamProxy.plain]] as const) {
      if (p) io.out(`upstream proxy for ${what}: ${describeProxy(p)} (from ${p.source})${h.policy().effective.allowUpstreamProxy ? '' : ' — not used: allow_upstream_proxy = false'}`);
    }
    for (const c of broker) io.out(`brokered credential: ${c.envVar} → ${c.hosts.join(', ')}`);
    if (learn) io.out('LEARNING MODE: not enforcing the allowlist; would-be denials are let through and flagged would_deny');
  }
  h.events.onEvent(print);
  h.events.onShown(lines.shown);
  // Queued lines still go out when the process ends another way (an uncaught error, process.exit).
  process.on('exit', lines.flush);
  h.events.onEvent((e) => {
    if (e.event === 'policy' && e.status === 'loaded') {
      digests = candidate;
      writeOurState();
      pool?.reload();
    }
  });
  const sink = attach?.(h.events) ?? null;

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) {
        // Second signal: no more waiting for in-flight requests.
        removeState(home);
        lines.flush();
        process.exit(0);
      }
      stopping = true;
      removeState(home);
      const finish = (): void => {
        lines.flush();
        process.off('exit', lines.flush);
        done(0);
      };
      Promise.all([h.close(limits.drainTimeoutMs), pool?.close(limits.drainTimeoutMs ?? DEFAULT_LIMITS.drainTimeoutMs)])
        .then(() => sink?.shutdown(OTLP_SHUTDOWN_MS))
        .then(finish, finish);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `--upstream-proxy` or this process's proxy variables; a bad flag is a usage error, bad variables a warning. */
function upstreamProxyFromArgs(args: ParsedArgs, io: Io): UpstreamProxyConfig {
  let cfg: UpstreamProxyConfig;
  try {
    cfg = upstreamProxyConfig(io.env, one(args, 'upstream-proxy'));
  } catch (e) {
    if (e instanceof UpstreamProxyUrlError) throw new UsageError(e.message);
    throw e;
  }
  for (const w of cfg.warnings) io.err(`warning: ${w}`);
  return cfg;
}

/** Reads (and removes from this process's env) the brokered credentials; errors never show a value. */
function brokerFromEnv(env: Record<string, string | undefined>): BrokeredCredential[] {
  const text = env[BROKER_ENV_KEY];
  if (text === undefined) return [];
  delete env[BROKER_ENV_KEY];
  const parsed = parseBrokerSpec(text);
  if ('error' in parsed) throw new UsageError(parsed.error);
  return parsed;
}

/** `--broker`: built-in bindings plus `--broker-bind VAR=HOST,…`, real values from this process's env. */
function brokerFromFlags(binds: string[], env: Record<string, string | undefined>): BrokeredCredential[] {
  const extra = binds.map((b) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(b.trim());
    if (!m) throw new UsageError(`--broker-bind must be VAR=HOST[,HOST…], got ${JSON.stringify(b.split('=')[0])}=…`);
    return { envVar: m[1]!, hosts: m[2]!.split(',').map((h) => h.trim()).filter(Boolean) };
  });
  const bindings = [...defaultBindings(env).filter((d) => !extra.some((e) => e.envVar === d.envVar)), ...extra];
  return brokerCredentials(bindings, (k) => env[k]);
}

/** A worker process: the primary's listener and credential, no output of its own (workers.ts). */
async function runWorker(options: ProxyOptions): Promise<number> {
  const worker = await workerInit();
  const own: ProxyOptions = { ...options, watchFiles: [], worker };
  // The primary alone serves SOCKS5 and writes the audit file.
  delete own.socks;
  delete own.auditFile;
  const h = await startProxy(own);
  return serveAsWorker(h, { ...DEFAULT_LIMITS, ...options.limits }.drainTimeoutMs);
}

function workersOf(args: ParsedArgs): number {
  const v = one(args, 'workers');
  if (v === undefined) return 1;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > MAX_WORKERS) throw new UsageError(`--workers must be an integer from 1 to ${MAX_WORKERS}, got ${JSON.stringify(v)}`);
  return n;
}

function limitsOf(args: ParsedArgs): Partial<Limits> {
  const out: Partial<Limits> = {};
  const names: [string, keyof Limits, number][] = [['max-connections', 'maxConnections', 1], ['response-timeout', 'responseTimeoutMs', 1], ['headers-timeout', 'headersTimeoutMs', 1], ['drain-timeout', 'drainTimeoutMs', 0]];
  for (const [flag, key, min] of names) {
    const v = one(args, flag);
    if (v === undefined) continue;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    out[key] = n;
  }
  return out;
}

/** One readable line per event. */
function describe(e: Exclude<ProxyEvent, { event: 'outcome' }>): string {
  const t = e.time.slice(11, 23);
  if (e.event === 'decision') {
    const verdict = e.flag === 'would_deny' ? 'LEARN' : e.decision === 'allow' ? 'ALLOW' : 'DENY ';
    const target = `${e.host}:${e.port}${e.path ?? ''}`;
    return `${t} ${verdict} ${e.method ?? e.protocol} ${target} — ${e.flag === 'would_deny' ? 'would_deny: ' : ''}${e.explanation ?? e.reason ?? `status ${e.status}`}${e.hook ? ` hook=${e.hook}` : ''}`;
  }
  if (e.event === 'policy') {
    if (e.status === 'loaded') return `${t} policy reloaded (profile ${e.profile})`;
    return `${t} policy INVALID, keeping the last good policy:\n` + e.diagnostics.map((d) => `  ${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n');
  }
  if (e.event === 'telemetry') return `${t} ${describeTelemetry(e)}`;
  return `${t} error: ${e.message}`;
}

/** How long a stopping proxy waits for the collector to take what is queued. */
const OTLP_SHUTDOWN_MS = 3000;

/** How a failed outcome's line starts in the human-readable output. */
const FAILURE_LABELS: Record<OutcomeFailure['reason'], string> = { response_timeout: 'TIMEOUT', connect_timeout: 'CONNECT TIMEOUT', client_aborted: 'CLIENT ABORTED',
  upstream_unreachable: 'UPSTREAM UNREACHABLE', upstream_tls: 'UPSTREAM TLS', upstream_closed: 'UPSTREAM CLOSED', upstream_proxy: 'UPSTREAM PROXY',
};

function otlpFromArgs(args: ParsedArgs, env: Record<string, string | undefined>): OtlpConfig | null {
  const endpoint = one(args, 'otlp-endpoint');
  const protocol = one(args, 'otlp-protocol');
  try {
    return otlpConfig({ ...(endpoint !== undefined ? { endpoint } : {}), ...(protocol !== undefined ? { protocol } : {}) }, env);
  } catch (e) {
    if (e instanceof OtlpConfigError) throw new UsageError(e.message);
    throw e;
  }
}
