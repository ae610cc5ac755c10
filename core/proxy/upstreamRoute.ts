// The route through the user's upstream proxy (reference §8.2), behind route.ts's seam: per
// destination, hopFor() picks the corporate proxy or the direct route. Policy has been judged
// before a route is asked for anything; through the upstream proxy the connect-time address check
// does not apply (the proxy connects, as upstream). Failures are UpstreamProxyError, never a
// fallback to direct.
import * as http from 'node:http';
import * as https from 'node:https';
import { checkServerIdentity } from 'node:tls';
import type { CompiledPolicy } from '../policy/compile';
import { authorityOf, openTunnel, proxyServername, refusedCredentials, unreachable, UpstreamProxyError } from '../net/proxyTunnel';
import { describeProxy, hopFor, type Hop, type UpstreamProxy, type UpstreamProxyConfig } from '../net/upstreamProxy';
import type { ProxyContext } from './context';
import type { Resolver, ResolveOverrides } from './dns';
import type { Destination } from './destination';
import { H2Pool } from './h2';
import { directRoute, guardConnect, type Route } from './route';
import { CONNECT_TIMEOUT_MS, dialChecked, isIpLiteral, type Upstreams } from './upstream';

export function upstreamRoute(upstreams: Upstreams, cfg: UpstreamProxyConfig, policy: () => CompiledPolicy, overrides: ResolveOverrides, resolver: Resolver): Route {
  const direct = directRoute(upstreams);
  if (!cfg.secure && !cfg.plain) return direct;
  const hop = (dest: Destination, secure: boolean): Hop =>
    dest.direct || dest.addresses?.length === 0 ? { kind: 'direct', why: 'no-proxy-configured' } : hopFor(cfg, policy().effective.allowUpstreamProxy, dest.host, dest.port, secure);
  // What the corporate proxy is asked for: the name (it resolves it), except --stand-in and
  // --resolve names (demos, tests), which name their own address so they never reach its DNS.
  const target = (dest: Destination): { host: string; port: number } => {
    const standIn = resolver.standIn(dest.host);
    if (standIn) return { host: standIn.address, port: standIn.port };
    const o = overrides.get(dest.host);
    return { host: o?.length ? o[0]! : dest.host.replace(/%.*$/, ''), port: dest.port };
  };
  // `relay`: for a raw tunnel (relay.ts reads it); false for a socket TLS will wrap.
  const open = (dest: Destination, relay: boolean): ReturnType<Route['dial']> => {
    const h = hop(dest, true);
    if (h.kind !== 'proxy') return relay ? direct.dial(dest) : dialChecked(dest.addresses, dest.host, dest.port);
    const t = target(dest);
    return openTunnel(h.proxy, t.host, t.port, { timeoutMs: CONNECT_TIMEOUT_MS, secureContext: upstreams.secureContext });
  };
  // h2 sessions through the corporate proxy: TLS (same trust and name check as the direct pool)
  // over a CONNECT tunnel. Direct hops (NO_PROXY, local targets) keep the direct pool.
  const viaProxy = new H2Pool(upstreams.https.options.secureContext, (dest) => open(dest, false));
  return {
    dial: (dest) => open(dest, true),
    h2: (dest) => (hop(dest, true).kind === 'proxy' ? viaProxy.session(dest) : direct.h2!(dest)),
    // Through the corporate proxy, MITM requests keep node:https over the CONNECT tunnel agent.
    send: (dest, req, x) => (hop(dest, true).kind === 'proxy' ? null : direct.send!(dest, req, x)),
    close: () => {
      viaProxy.close();
      direct.close?.();
    },
    request: (dest, out) => {
      const h = hop(dest, out.tls);
      if (h.kind !== 'proxy') return direct.request(dest, out);
      const t = target(dest);
      const p = h.proxy;
      let req: http.ClientRequest;
      if (out.tls) {
        // TLS to the origin inside a CONNECT tunnel through the proxy, verified against the name.
        req = https.request({
          host: t.host, port: t.port, method: out.method, path: out.path, headers: out.headers, setHost: false,
          agent: upstreams.httpsVia(p), servername: isIpLiteral(dest.host) ? '' : dest.host,
          checkServerIdentity: (_h, cert) => checkServerIdentity(dest.host.replace(/%.*$/, ''), cert),
        });
      } else {
        // Absolute-form to the proxy; its credential goes to it alone.
        const headers = p.authorization ? [...out.headers, 'Proxy-Authorization', p.authorization] : out.headers;
        const opts = { host: p.host, port: p.port, method: out.method, path: `http://${authorityOf(t.host, t.port)}${out.path}`, headers, setHost: false };
        // Object.assign on the fresh literal: a spread plus new keys costs a map per request in V8 (see decide.ts).
        req = p.protocol === 'https:' ? https.request(Object.assign(opts, { agent: upstreams.https, servername: proxyServername(p) })) : http.request(Object.assign(opts, { agent: upstreams.http }));
        guardConnect(req);
      }
      return req;
    },
    proxyError: (dest, out, cause) => {
      const h = hop(dest, out.tls);
      if (h.kind !== 'proxy') return null;
      if (cause instanceof UpstreamProxyError) return cause;
      // Plain requests talk to the proxy itself: a socket error or its 407 is the proxy's failure.
      // (Inside TLS, tunnel failures are already UpstreamProxyError; other errors are the origin's.)
      if (out.tls) return null;
      if (cause instanceof Error) return unreachable(h.proxy, cause);
      return cause.status === 407 ? plainRefusal(h.proxy, 407, cause.headers?.['proxy-authenticate']) : null;
    },
  };
}

/** The 407 of an upstream proxy to a forwarded plain request, as a failure (never passed on). */
function plainRefusal(proxy: UpstreamProxy, status: number, challenges: string | undefined): UpstreamProxyError {
  return new UpstreamProxyError(`upstream proxy ${describeProxy(proxy)} answered ${status} (${refusedCredentials(proxy, challenges)})`, status);
}

/**
 * An upstream-proxy failure as the 502 body and an error event naming the target and the reason
 * (never the credentials); null when `e` is something else.
 */
export function proxyFailure(ctx: ProxyContext, e: unknown, target: string): string | null {
  if (!(e instanceof UpstreamProxyError)) return null;
  const message = `upstream proxy failure for ${target}: ${e.message}`;
  ctx.events.error(ctx.scrub(message));
  return message;
}
