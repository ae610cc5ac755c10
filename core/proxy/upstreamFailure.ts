// The outcome failure of a request the proxy itself answered with a 502 (or a raw tunnel it could
// not open): one small, stable set of reasons, named from the error the upstream side raised.
import { UpstreamProxyError } from '../net/proxyTunnel';
import type { OutcomeFailure } from './protocol';

type UpstreamReason = 'upstream_unreachable' | 'upstream_tls' | 'upstream_closed' | 'upstream_proxy';

/** Socket and resolver codes of an origin that could not be reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL']);

/** Which reason an upstream error is; anything not recognised as unreachable, TLS or proxy is a broken connection. */
export function upstreamReason(e: unknown): UpstreamReason {
  if (e instanceof UpstreamProxyError) return 'upstream_proxy';
  const code = codeOf(e);
  if (UNREACHABLE.has(code)) return 'upstream_unreachable';
  // OpenSSL verification codes (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, …), Node's TLS codes, handshake alerts.
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_)/.test(code)) return 'upstream_tls';
  if (e instanceof Error && /certificate|\bTLS\b|\bSSL\b|handshake/i.test(e.message)) return 'upstream_tls';
  return 'upstream_closed';
}

/** The failure of `e` for upstream `target` as the client got `status` (null: a tunnel closed or refused without one). */
export function upstreamFailure(scrub: (s: string) => string, e: unknown, target: string, status: number | null): OutcomeFailure {
  const text = e instanceof Error ? e.message : String(e);
  // An upstream-proxy error already names the proxy (never its credential); others name the origin.
  const message = e instanceof UpstreamProxyError ? `upstream proxy failure for ${target}: ${text}` : `upstream ${target}: ${text}`;
  return { reason: upstreamReason(e), status, message: scrub(message) };
}

/** The failure of a host whose every address was refused before dialling (no usable address). */
export function noAddressFailure(scrub: (s: string) => string, target: string, status: number): OutcomeFailure {
  return { reason: 'upstream_unreachable', status, message: scrub(`upstream ${target}: no address to connect to`) };
}

function codeOf(e: unknown): string {
  if (!e || typeof e !== 'object') return '';
  const { code, cause } = e as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && code) return code;
  return cause ? codeOf(cause) : '';
}

