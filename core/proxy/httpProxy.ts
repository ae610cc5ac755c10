// Plain HTTP transport: absolute-form requests, each judged on its own (keep-alive and pipelined
// requests included). Authenticates, parses the request target, then the request pipeline
// (stages/request.ts): judge + record → rewrite headers → forward.
import { parseAbsoluteUrl } from '../net/target';
import { clientOf, type ProxyContext } from './context';
import { headerLookup, pairsOf } from './hopByHop';
import { proxyAuthHeaders, sendText, type Incoming, type Reply } from './responses';
import { authenticated } from './stages/authenticate';
import { runRequest } from './stages/request';
import type { Upgrade } from './websocket';

export async function handlePlainRequest(ctx: ProxyContext, req: Incoming, res: Reply, upgrade?: Upgrade): Promise<void> {
  const startedAt = performance.now();
  const refuse = (status: number, message: string, extra?: Record<string, string>): void => {
    req.resume();
    sendText(res, status, message, null, extra);
  };
  if (!authenticated(ctx, req.headers['proxy-authorization'])) return refuse(407, 'proxy authentication required', proxyAuthHeaders());
  const url = req.url ?? '';
  // Decision: origin-form (`GET /`) is not a proxy request; we are no web server → 400.
  if (url.startsWith('/') || url === '*') return refuse(400, 'origin-form request: this is a proxy, send an absolute URL');
  const target = parseAbsoluteUrl(url);
  if ('error' in target) return refuse(400, 'invalid request target');
  const tls = target.scheme === 'https' || target.scheme === 'wss';
  const noTls = `unsupported scheme ${target.scheme}: use CONNECT for TLS`;
  if (!tls && target.scheme !== 'http' && target.scheme !== 'ws') return refuse(400, noTls);
  const host = target.host.replace(/%25/g, '%');
  const pairs = pairsOf(req.rawHeaders);
  const method = req.method ?? 'GET';
  const hostHeader = req.headers.host;
  await runRequest(ctx, req, res, {
    decision: {
      kind: 'http', method, host, port: target.port, scheme: tls ? 'https' : 'http', explicitPort: target.explicitPort, path: target.path, query: target.query,
      ...(hostHeader !== undefined ? { hostHeader } : {}), headers: headerLookup(pairs),
    },
    pairs, host, method, path: target.path, url: target.path + (target.query ? `?${target.query}` : ''),
    client: clientOf(req.socket), startedAt, authority: target.authority, port: target.port, tls: false, label: target.authority,
    // Decision: absolute-form https:// is judged like http:// (a hooked host gets upstream's
    // `mitm_required`), but we never originate TLS for it: an allowed one must use CONNECT.
    ...(tls ? { refuseAllowed: noTls } : {}),
    ...(upgrade ? { upgrade } : {}),
  });
}
