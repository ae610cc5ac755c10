// Plain HTTP through the proxy: absolute-form requests, each judged on its own (keep-alive and
// pipelined requests included), hop-by-hop headers stripped both ways, bodies streamed.
import { brokerHeaders } from './broker';
import * as http from 'node:http';
import { normalizeHost } from '../match/host';
import { parseAbsoluteUrl } from '../net/target';
import { checkBasic } from './access';
import { clientOf, record, reportOutcome, type ProxyContext } from './context';
import { decideChecked } from './dns';
import { flatten, headerLookup, pairsOf, stripHopByHop } from './hopByHop';
import { proxyAuthHeaders, sendDecisionText, sendJsonBlock, sendText } from './responses';
import { guardResponse, timeoutMessage, UpstreamTimeoutError } from './lifecycle';
import { CONNECT_TIMEOUT_MS } from './upstream';

export async function handlePlainRequest(ctx: ProxyContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const started = performance.now();
  if (ctx.credential && !checkBasic(req.headers['proxy-authorization'], ctx.credential)) {
    req.resume();
    return sendText(res, 407, 'proxy authentication required', null, proxyAuthHeaders());
  }
  const url = req.url ?? '';
  // Decision: origin-form (`GET /`) is not a proxy request; we are no web server → 400.
  if (url.startsWith('/') || url === '*') {
    req.resume();
    return sendText(res, 400, 'origin-form request: this is a proxy, send an absolute URL');
  }
  const target = parseAbsoluteUrl(url);
  if ('error' in target) {
    req.resume();
    return sendText(res, 400, 'invalid request target');
  }
  const tls = target.scheme === 'https' || target.scheme === 'wss';
  if (!tls && target.scheme !== 'http' && target.scheme !== 'ws') {
    req.resume();
    return sendText(res, 400, `unsupported scheme ${target.scheme}: use CONNECT for TLS`);
  }
  const host = target.host.replace(/%25/g, '%');
  const pairs = pairsOf(req.rawHeaders);
  const lookup = headerLookup(pairs);
  const method = req.method ?? 'GET';
  const policy = ctx.policy();
  const checked = await decideChecked(policy, {
    kind: 'http', method, host, port: target.port, scheme: tls ? 'https' : 'http', explicitPort: target.explicitPort, path: target.path, query: target.query,
    ...(req.headers.host !== undefined ? { hostHeader: req.headers.host } : {}), headers: lookup,
  }, host, ctx.resolver, ctx.overrides);
  const d = checked.decision;
  // Decision: absolute-form https:// is judged like http:// (a hooked host gets upstream's
  // `mitm_required`), but we never originate TLS for it: an allowed one must use CONNECT.
  if (tls && d.decision === 'allow') {
    req.resume();
    return sendText(res, 400, `unsupported scheme ${target.scheme}: use CONNECT for TLS`);
  }
  const logged = record(ctx, d, { method, path: target.path, client: clientOf(req.socket), startedAt: started });
  if (d.decision === 'deny') {
    req.resume();
    if (d.status === 403 && d.reason) return sendJsonBlock(res, d, logged.explanation);
    return sendDecisionText(res, d, logged.explanation);
  }
  // Plain HTTP never runs hooks (a hooked host is refused above): nothing is injected in cleartext.
  const out = brokerHeaders(ctx, normalizeHost(host), target.path + (target.query ? `?${target.query}` : ''), stripHopByHop(pairs), false);
  if (!out.some(([k]) => k.toLowerCase() === 'host')) out.push(['Host', target.authority]);
  if (checked.addresses && checked.addresses.length === 0) {
    req.resume();
    return sendText(res, 502, 'upstream failure');
  }
  const addr = checked.addresses?.[0] ?? normalizeHost(host);
  const upstream = http.request({
    host: addr, port: checked.port ?? target.port, method, path: target.path + (target.query ? `?${target.query}` : ''),
    headers: flatten(out), setHost: false, agent: ctx.upstreams.http,
  });
  guardConnect(upstream);
  guardResponse(upstream, ctx.limits.responseTimeoutMs, req);
  upstream.on('response', (up) => {
    reportOutcome(ctx, logged.id, started, res, up);
    const headers = flatten(stripHopByHop(pairsOf(up.rawHeaders)));
    res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (e) => {
    if (upstreamTimedOut(ctx, res, e, target.authority)) return;
    if (!res.headersSent) sendText(res, 502, 'upstream failure');
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** A response timeout: 504 with the reason, and an error event saying which upstream. */
export function upstreamTimedOut(ctx: ProxyContext, res: http.ServerResponse, e: Error, target: string): boolean {
  if (!(e instanceof UpstreamTimeoutError)) return false;
  const message = timeoutMessage(target, e.ms);
  ctx.events.error(ctx.scrub(message));
  sendText(res, 504, message);
  return true;
}

/** Fails a request whose upstream TCP connect takes longer than CONNECT_TIMEOUT_MS. */
export function guardConnect(req: http.ClientRequest): void {
  req.on('socket', (s) => {
    if (!s.connecting) return;
    const timer = setTimeout(() => req.destroy(new Error('upstream connect timeout')), CONNECT_TIMEOUT_MS);
    s.once('connect', () => clearTimeout(timer));
    s.once('close', () => clearTimeout(timer));
  });
}
