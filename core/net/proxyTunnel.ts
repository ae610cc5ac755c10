// Reaching a target through the user's upstream proxy: a CONNECT tunnel (raw tunnels and MITM'd
// TLS), and an https.Agent whose sockets are such tunnels. Failures are UpstreamProxyError with a
// credential-free reason; the caller answers 502 and never falls back to a direct dial.
import type * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { describeProxy, type UpstreamProxy } from './upstreamProxy';

/** The upstream proxy failed (refused, timed out, 407, 5xx, malformed answer). */
export class UpstreamProxyError extends Error {
  constructor(
    message: string,
    /** The proxy's status for CONNECT, when it answered. */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

const MAX_HEAD_BYTES = 16 * 1024;

export function authorityOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A TLS handshake that did not finish in time after the TCP connect (a peer that does not speak TLS and stays silent). */
export class HandshakeTimeout extends Error {
  constructor(readonly ms: number) {
    super(`TLS handshake not completed within ${ms} ms`);
  }
}

/** OpenSSL's answers to a peer that replied in cleartext (e.g. an HTTP error to our hello). */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/** OpenSSL's reason when the peer answered our hello in cleartext: its code, or for EPROTO (node:https) the reason in the message. */
function notTls(e: Error): string | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && NOT_TLS.has(code)) return code;
  return code === 'EPROTO' ? /wrong version number|packet length too long|http request/.exec(e.message)?.[0] : undefined;
}

/** OpenSSL's verification codes and Node's name-check code: the proxy's certificate failed. */
const CERT_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/** A failed connection to the proxy itself, as a credential-free reason. */
export function unreachable(proxy: UpstreamProxy, e: Error): UpstreamProxyError {
  const code = (e as NodeJS.ErrnoException).code;
  const tlsProxy = proxy.protocol === 'https:';
  const cleartext = tlsProxy ? notTls(e) : undefined;
  const why = code === 'ECONNREFUSED' ? 'refused the connection' : code === 'ECONNRESET' ? 'reset the connection'
    : tlsProxy && code && CERT_FAILURE.test(code) ? untrustedProxy(proxy, code)
    : cleartext ? `does not speak TLS (${cleartext}): is it an http:// proxy?`
    : tlsProxy && e instanceof HandshakeTimeout ? `did not complete the TLS handshake within ${e.ms} ms`
    : `could not be reached (${code ?? e.message})`;
  return new UpstreamProxyError(`upstream proxy ${describeProxy(proxy)} ${why}`);
}

/** An https:// proxy whose certificate failed verification: what is wrong and how to trust it. */
function untrustedProxy(proxy: UpstreamProxy, code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `presented a certificate that is not valid for ${proxy.host} (${code})`;
  return `presented a certificate that is not trusted (${code}): trust its CA with --upstream-ca, NODE_EXTRA_CA_CERTS or SSL_CERT_FILE`;
}

/**
 * Why a proxy answered 407, for the 502 the client gets. `challenges`: its Proxy-Authenticate
 * values. We speak Basic only: a proxy that offers no Basic (Digest, NTLM, Negotiate, as corporate
 * proxies do) is named as such, so the user knows a credential fix cannot help. Only scheme names
 * are quoted, never a challenge's parameters (nonces) or our credential.
 */
export function refusedCredentials(proxy: UpstreamProxy, challenges: string | readonly string[] = []): string {
  const schemes = challengeSchemes(challenges);
  if (schemes.length && !schemes.some((s) => s.toLowerCase() === 'basic')) {
    return `the proxy asks for ${schemes.join(' or ')} authentication, which codex-netpolicy does not speak (Basic only): `
      + 'point --upstream-proxy at a local helper that authenticates for you (cntlm or px for NTLM/Negotiate), or have the proxy accept Basic';
  }
  return proxy.authorization ? 'the credentials in the proxy URL were refused' : 'the proxy requires credentials: put them in the proxy URL';
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * The auth schemes in Proxy-Authenticate values (RFC 9110 §11.6.2): a value may hold several
 * challenges, each `scheme [token68 | auth-param, …]`, so a comma-separated piece starts a new
 * challenge unless it is an auth-param (`name=value`). Commas inside quoted strings are skipped.
 */
export function challengeSchemes(values: string | readonly string[]): string[] {
  const schemes: string[] = [];
  for (const value of typeof values === 'string' ? [values] : values) {
    for (const piece of value.match(/(?:"(?:[^"\\]|\\.)*"|[^,"])+/g) ?? []) {
      const t = piece.trim();
      const scheme = TOKEN.exec(t)?.[0];
      if (!scheme || /^\s*=/.test(t.slice(scheme.length))) continue;
      if (!schemes.some((s) => s.toLowerCase() === scheme.toLowerCase())) schemes.push(scheme);
    }
  }
  return schemes;
}

/** The Proxy-Authenticate values of a raw response head. */
function challengesIn(head: string): string[] {
  return [...head.matchAll(/^proxy-authenticate:[ \t]*(.*?)[ \t]*$/gim)].map((m) => m[1]!);
}

/**
 * SNI for TLS to the proxy itself: its name, none for an IP literal (RFC 6066 forbids it, Node
 * warns on stderr). The certificate is still checked against the IP (tls uses `host` then).
 */
export function proxyServername(proxy: UpstreamProxy): string {
  return isIP(proxy.host) ? '' : proxy.host;
}

/** Opens a TCP (or TLS, for an https:// proxy) connection to the proxy itself. */
export function connectToProxy(proxy: UpstreamProxy, secureContext: tls.SecureContext | undefined, timeoutMs: number): Promise<Socket> {
  const name = describeProxy(proxy);
  return new Promise((resolve, reject) => {
    const socket: Socket = proxy.protocol === 'https:'
      ? tls.connect({ host: proxy.host, port: proxy.port, ...(secureContext ? { secureContext } : {}), servername: proxyServername(proxy), ALPNProtocols: ['http/1.1'] })
      : netConnect({ host: proxy.host, port: proxy.port });
    const timer = setTimeout(() => socket.destroy(socket.connecting
      ? new UpstreamProxyError(`upstream proxy ${name} did not accept the connection within ${timeoutMs} ms`)
      : unreachable(proxy, new HandshakeTimeout(timeoutMs))), timeoutMs);
    socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e instanceof UpstreamProxyError ? e : unreachable(proxy, e));
    });
  });
}

/**
 * A byte stream to `host:port` through the proxy (HTTP CONNECT, Proxy-Authorization when the URL
 * had credentials). Resolves once the proxy answered 2xx; any other answer rejects.
 */
export async function openTunnel(proxy: UpstreamProxy, host: string, port: number, opts: { timeoutMs: number; secureContext?: tls.SecureContext }): Promise<Socket> {
  const started = Date.now();
  const socket = await connectToProxy(proxy, opts.secureContext, opts.timeoutMs);
  const target = authorityOf(host, port);
  const auth = proxy.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : '';
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (message: string, status: number | null = null): void => {
      cleanup();
      socket.destroy();
      reject(new UpstreamProxyError(`upstream proxy ${describeProxy(proxy)}: ${message}`, status));
    };
    const timer = setTimeout(() => fail(`no answer to CONNECT ${target} within ${opts.timeoutMs} ms`), Math.max(1, opts.timeoutMs - (Date.now() - started)));
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) fail('answer to CONNECT is too large');
        return;
      }
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!m) return fail('malformed answer to CONNECT');
      const status = Number(m[1]);
      if (status < 200 || status > 299) {
        // tinyproxy answers a refused CONNECT credential with 401, others with 407.
        const hint = status === 407 || status === 401 ? ` (${refusedCredentials(proxy, challengesIn(head.subarray(0, end).toString('latin1')))})` : '';
        return fail(`CONNECT ${target} answered ${status}${m[2] ? ` ${m[2]}` : ''}${hint}`, status);
      }
      cleanup();
      const rest = head.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      resolve(socket);
    };
    const onClose = (): void => fail(`closed the connection before answering CONNECT ${target}`);
    const onError = (e: Error): void => fail(`connection failed during CONNECT ${target} (${(e as NodeJS.ErrnoException).code ?? e.message})`);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
  });
}

/**
 * An https.Agent whose connections are TLS over a CONNECT tunnel through `proxy`; pooling and
 * the shared trust context work as for direct upstreams (the pool key is the target).
 */
export class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: UpstreamProxy,
    private readonly timeoutMs: number,
    opts: https.AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(options: http.RequestOptions, done?: (err: Error | null, stream: Duplex) => void): undefined {
    const o = options as tls.ConnectionOptions;
    const ctx = o.secureContext;
    openTunnel(this.proxy, o.host ?? 'localhost', Number(o.port ?? 443), { timeoutMs: this.timeoutMs, ...(ctx ? { secureContext: ctx } : {}) }).then(
      (raw) => done?.(null, tls.connect(Object.assign({}, o, { socket: raw }))),
      (e: Error) => done?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}
