// The proxy process: HTTP/1.1 proxy listener (absolute-form + CONNECT), optional SOCKS5,
// MITM engine, hot reload, events. Plain node:net/http/tls objects created here, so nothing
// inherits an embedding host's patched agents.
import { addAcceptors } from './acceptors';
import { attachBroker, brokerSecrets } from './broker';
import type { BrokeredCredential } from '../broker/credentials';
import { markLearning } from './learn';
import * as http from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { loadOrCreateCa, type CaHandle } from '../ca';
import type { CompiledPolicy } from '../policy/compile';
import { authRequired, newCredential, type AuthMode, type Credential } from './access';
import { AuditFile } from './audit';
import { handleConnect } from './connect';
import { IDLE_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_HEADER_BYTES, type ProxyContext } from './context';
import { DNS_TIMEOUT_MS, Resolver, type ResolveOverrides, type StandIns } from './dns';
import { EventLog } from './events';
import { handlePlainRequest } from './httpProxy';
import { ConnectionGate, DEFAULT_LIMITS, InFlight, refuseHttp, type Limits } from './lifecycle';
import { collectWhenIdle } from './memory';
import { MitmServer } from './mitm';
import { PolicyWatcher, type LoadOutcome } from './reload';
import { sendText, writeClientError, type Reply } from './responses';
import { upstreamRoute } from './upstreamRoute';
import { createSocksServer } from './socks5';
import type { Intercept } from './stages/tunnel';
import { createUpstreams } from './upstream';
import { upstreamTrustStore } from '../net/trustStore';
import { describeProxy, NO_UPSTREAM, type UpstreamProxyConfig } from '../net/upstreamProxy';
import { ListenError, parseListen, formatAddress } from './listen';
import { isLocalLiteral } from '../match/address';
import { upgradeOf, upgradeResponse } from './websocket';

export interface ProxyOptions {
  /** Loads (and re-loads) the policy from its files. */
  load: () => LoadOutcome;
  /** Files to watch for hot reload (empty: no watching). */
  watchFiles?: readonly string[];
  listen?: string;
  /** SOCKS5 listen address, or undefined for none. */
  socks?: string;
  caDir: string;
  /** Extra PEM files trusted for upstream TLS (besides Node's roots, the OS store and the startup CA variables). */
  upstreamCaFiles?: readonly string[];
  /** The user's upstream proxy (core/net/upstreamProxy.ts); default none. */
  upstreamProxy?: UpstreamProxyConfig;
  overrides?: ResolveOverrides;
  /** Local servers that answer for public names (`--stand-in`). */
  standIns?: StandIns;
  auth?: AuthMode;
  allowNonLoopback?: boolean;
  ringSize?: number;
  auditFile?: string;
  /** Extra accepting handles on the HTTP listener (acceptors.ts; the CLI process uses them); default none. */
  acceptors?: number;
  /** Overload and shutdown limits (lifecycle.ts); defaults in DEFAULT_LIMITS. */
  limits?: Partial<Limits>;
  env: Record<string, string | undefined>;
  /** Brokered credentials (core/broker): real values swapped in for dummies on bound hosts. */
  broker?: readonly BrokeredCredential[];
  /** Learning mode (core/proxy/learn.ts): for this process only, never persisted. */
  learn?: boolean;
  /** Worker processes (workers.ts): the primary's credential, and its listening socket to accept on. */
  worker?: { credential: Credential | null; listener: Server };
}

export interface ProxyHandle {
  /** `host:port` of the HTTP listener. */
  http: string;
  socks: string | null;
  /** `http://[user:pass@]host:port`. */
  proxyUrl: string;
  caCert: string;
  ca: CaHandle;
  credential: Credential | null;
  events: EventLog;
  /** The HTTP listener (shared with worker processes). */
  listener: Server;
  policy(): CompiledPolicy;
  /** Reload now (tests; the watcher calls this after a debounce). */
  reload(): void;
  /** Connections open now, refused so far, and requests/tunnels in flight (tests, load figures). */
  load(): { connections: number; refused: number; inFlight: number };
  /** Stops accepting, lets in-flight work finish for up to `drainMs` (default: limits.drainTimeoutMs), then closes everything. */
  close(drainMs?: number): Promise<void>;
}

/**
 * Pending connections the kernel queues until the proxy accepts them (capped by net.core.somaxconn).
 * Node's default of 511 overflowed when a thousand clients connected at once while the event loop
 * was busy: the kernel then drops the handshake's last ACK, and the client's first request waits
 * for retransmissions (seconds, sometimes past a 20 s client timeout) although it looks connected.
 */
const LISTEN_BACKLOG = 4096;

export class PolicyInvalidError extends Error {
  constructor(readonly outcome: LoadOutcome) {
    super('the policy is invalid');
  }
}

function injectsSecrets(p: CompiledPolicy): boolean {
  for (const hooks of p.hooksByHost.values()) if (hooks.some((h) => h.inject.length > 0)) return true;
  return false;
}

export async function startProxy(opts: ProxyOptions): Promise<ProxyHandle> {
  const first = opts.load();
  if (!first.policy || first.diagnostics.some((d) => d.severity === 'error')) throw new PolicyInvalidError(first);
  const learnMark = (p: CompiledPolicy): CompiledPolicy => attachBroker(opts.learn ? markLearning(p) : p, opts.broker ?? []);
  let current: CompiledPolicy = learnMark(first.policy);
  const httpAddr = parseListen(opts.listen ?? '127.0.0.1:0', !!opts.allowNonLoopback);
  refuseSelfLoop(opts.upstreamProxy, httpAddr);
  const socksAddr = opts.socks !== undefined ? parseListen(opts.socks, !!opts.allowNonLoopback) : null;
  const ca = await loadOrCreateCa(opts.caDir);
  const trust = upstreamTrustStore({ env: opts.env, extraFiles: opts.upstreamCaFiles ?? [], excludePem: ca.certPem });
  const upstreams = createUpstreams(trust.ca, trust.secureContext);
  const events = new EventLog(opts.ringSize ?? 1000);
  const audit = opts.auditFile ? new AuditFile(opts.auditFile) : null;
  if (audit) events.onEvent((e) => audit.write(e));
  const mode = opts.auth ?? 'auto';
  // Brokered credentials count as injected secrets: only our terminals may use the proxy.
  const credential = opts.worker ? opts.worker.credential : authRequired(mode, injectsSecrets(current) || !!opts.broker?.length) ? newCredential() : null;
  const sockets = new Set<{ destroy(): void }>();
  const overrides = opts.overrides ?? new Map();
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const gate = new ConnectionGate(limits.maxConnections);
  const inFlight = new InFlight();
  const stopCollector = collectWhenIdle({ activity: () => inFlight.started });

  const resolver = new Resolver(overrides, DNS_TIMEOUT_MS, opts.standIns);
  const ctx: ProxyContext = {
    policy: () => current,
    events,
    resolver,
    overrides,
    route: upstreamRoute(upstreams, opts.upstreamProxy ?? NO_UPSTREAM, () => current, overrides, resolver),
    ca,
    credential,
    limits,
    busy: () => inFlight.begin(),
    track: (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    },
    scrub: (message) => {
      let m = message;
      for (const s of [...current.secrets, ...brokerSecrets(current)]) if (s) m = m.split(s).join('[redacted]');
      return m;
    },
  };
  const mitm = new MitmServer(ctx);
  const intercept: Intercept = (stream, tunnel) => mitm.intercept(stream, tunnel);

  const server = http.createServer({
    requireHostHeader: false, headersTimeout: limits.headersTimeoutMs, requestTimeout: 0, connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs), keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES,
  }, (req, res) => {
    handlePlainRequest(ctx, req, res).catch((e: unknown) => {
      events.error(ctx.scrub(`request failed: ${e instanceof Error ? e.message : String(e)}`));
      sendText(res, 500, 'error');
    });
  });
  server.timeout = IDLE_TIMEOUT_MS;
  server.on('connection', (s: Socket) => ctx.track(s));
  for (const s of [server, mitm.inner, mitm.innerH2]) {
    s.on('request', (_req: unknown, res: Reply) => res.once('close', inFlight.begin()));
  }
  server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    handleConnect(ctx, intercept, req, socket, head).catch((e: unknown) => {
      events.error(ctx.scrub(`CONNECT failed: ${e instanceof Error ? e.message : String(e)}`));
      socket.destroy();
    });
  });
  // Protocol upgrades (ws:// in absolute form) are judged like any request, then relayed (websocket.ts).
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    handlePlainRequest(ctx, req, upgradeResponse(req, socket), upgradeOf(req, socket, head)).catch((e: unknown) => {
      events.error(ctx.scrub(`upgrade failed: ${e instanceof Error ? e.message : String(e)}`));
      socket.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => writeClientError(socket, err));

  // A plain TCP listener in front of the HTTP server admits connections against the cap and
  // refuses the rest with a 503 before any parser sees them.
  const refuse = refuseHttp(limits.maxConnections);
  // TCP_NODELAY as http.Server would set it: without it a response written right after the TLS
  // session tickets waits for the client's delayed ACK (~40 ms on every new MITM host).
  const accept = (socket: Socket): void => {
    if (gate.admit(socket, refuse)) server.emit('connection', socket);
  };
  const front = createNetServer({ noDelay: true }, accept);
  const socksServer = socksAddr ? createSocksServer(ctx, intercept) : null;
  if (socksServer) {
    // SOCKS has no way to say "overloaded" before its handshake: over the cap, the connection is closed.
    socksServer.prependListener('connection', (socket: Socket) => void gate.admit(socket, (s) => s.destroy()));
  }
  const listen = (s: Server, a: { host: string; port: number }): Promise<AddressInfo> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen({ port: a.port, host: a.host, backlog: LISTEN_BACKLOG }, () => resolve(s.address() as AddressInfo));
    });
  const httpInfo = opts.worker ? await listenOn(front, opts.worker.listener) : await listen(front, httpAddr);
  // One accept per handle per loop turn (acceptors.ts): more handles, so refusals stay quick when saturated.
  const acceptors = addAcceptors(front, LISTEN_BACKLOG, opts.acceptors ?? 0, accept, (m) => events.error(m));
  // The HTTP servers never listen themselves: 'listening' starts their header-timeout checks.
  server.emit('listening');
  mitm.inner.emit('listening');
  const socksInfo = socksServer && socksAddr ? await listen(socksServer, socksAddr) : null;
  const httpText = formatAddress(httpInfo);
  const userinfo = credential ? `${encodeURIComponent(credential.user)}:${encodeURIComponent(credential.pass)}@` : '';

  const watcher = new PolicyWatcher(opts.watchFiles ?? [], opts.load, {
    loaded: (policy, outcome) => {
      if (!credential && mode === 'auto' && injectsSecrets(policy)) {
        // Decision: auth is fixed at start; a reload that adds injected secrets to an
        // unauthenticated proxy is refused (restart to get a credential), never served open.
        events.policy({ status: 'invalid', profile: current.effective.profile, files: outcome.files, diagnostics: [{ file: outcome.files[0] ?? '', line: 1, col: 1, message: 'this edit injects secrets, but the running proxy has no access credential; restart the proxy to apply it' }] });
        return;
      }
      current = learnMark(policy);
      events.policy({ status: 'loaded', profile: policy.effective.profile, files: outcome.files, diagnostics: [] });
    },
    invalid: (outcome) => {
      events.policy({ status: 'invalid', profile: current.effective.profile, files: outcome.files, diagnostics: diagnosticsOf(outcome) });
    },
    problem: (message) => events.error(message),
  });
  watcher.start();

  let closed: Promise<void> | null = null;
  return {
    http: httpText,
    socks: socksInfo ? formatAddress(socksInfo) : null,
    proxyUrl: `http://${userinfo}${httpText}`,
    caCert: ca.certPath,
    ca,
    credential,
    events,
    listener: front,
    policy: () => current,
    reload: () => watcher.reloadNow(),
    load: () => ({ connections: gate.count, refused: gate.refused, inFlight: inFlight.count }),
    close: (drainMs = limits.drainTimeoutMs) => {
      closed ??= (async () => {
        watcher.close();
        stopCollector();
        acceptors.close();
        const done = Promise.all([
          new Promise<void>((r) => front.close(() => r())),
          socksServer ? new Promise<void>((r) => socksServer.close(() => r())) : Promise.resolve(),
        ]);
        // Stop accepting; idle keep-alive connections go now, in-flight work gets the drain.
        server.close();
        mitm.inner.close();
        server.closeIdleConnections();
        mitm.inner.closeIdleConnections();
        await inFlight.idle(drainMs);
        server.closeAllConnections();
        mitm.close();
        for (const s of sockets) s.destroy();
        upstreams.close();
        ctx.route.close?.();
        await done;
        audit?.close();
      })();
      return closed;
    },
  };
}

/** An upstream proxy that is this proxy's own listener would loop forever: refused at start. */
function refuseSelfLoop(cfg: UpstreamProxyConfig | undefined, listen: { host: string; port: number }): void {
  for (const p of [cfg?.secure, cfg?.plain]) {
    if (p && listen.port !== 0 && p.port === listen.port && (p.host === listen.host || p.host === 'localhost' || isLocalLiteral(p.host))) {
      throw new ListenError(`the upstream proxy ${describeProxy(p)} (from ${p.source}) is this proxy's own listener ${listen.host}:${listen.port}: refusing to chain to itself`);
    }
  }
}

/** Accepts on a listening socket another process owns (its handle came over IPC). */
function listenOn(s: Server, shared: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(shared, () => resolve(s.address() as AddressInfo));
  });
}

export function diagnosticsOf(outcome: LoadOutcome): { file: string; line: number; col: number; message: string }[] {
  return outcome.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ file: d.file, line: d.range.start.line + 1, col: d.range.start.character + 1, message: d.message }));
}
