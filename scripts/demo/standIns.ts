// Local stand-ins for the demo's hosts, so the demo works with no internet: one HTTPS server on
// 127.0.0.1 with its own test CA (a leaf per SNI name) answers for every demo host and echoes what
// it received. The proxy trusts that CA (--upstream-ca) and dials it for those names (--stand-in),
// judging each name as the public host it stands for.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadOrCreateCa } from '../../core/ca/index';

/** Hosts the demo policy names that get a stand-in. `mirror.company.invalid` has none on purpose. */
export const STAND_IN_HOSTS = [
  'api.github.com',
  'raw.githubusercontent.com',
  'registry.npmjs.org',
  'internal-api.company.com',
  'pypi.org',
  'tracker.example.com',
  'example.org',
] as const;

export interface ReceivedRequest {
  host: string;
  method: string;
  path: string;
  headers: Record<string, string>;
}

export interface StandIns {
  port: number;
  caCertPath: string;
  /** Arguments for `codex-netpolicy proxy` (or `codexNetworkPolicy.proxy.extraArgs`). */
  proxyArgs: string[];
  received: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startStandIns(dir: string): Promise<StandIns> {
  const ca = await loadOrCreateCa(join(dir, 'stand-in-ca'));
  const received: ReceivedRequest[] = [];
  const server: Server = createServer(
    {
      SNICallback: (name, cb) => {
        try {
          cb(null, ca.secureContextFor(name));
        } catch (e) {
          cb(e instanceof Error ? e : new Error(String(e)));
        }
      },
    },
    (req, res) => echo(req, res, received),
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const proxyArgs = ['--upstream-ca', ca.certPath, ...STAND_IN_HOSTS.flatMap((h) => ['--stand-in', `${h}=127.0.0.1:${port}`])];
  return {
    port, caCertPath: ca.certPath, proxyArgs, received,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** Answers with what arrived: method, path and every header (the demo's placeholder tokens included). */
function echo(req: IncomingMessage, res: ServerResponse, received: ReceivedRequest[]): void {
  req.resume();
  req.on('end', () => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]!.toLowerCase()] = req.rawHeaders[i + 1]!;
    const r: ReceivedRequest = { host, method: req.method ?? '', path: req.url ?? '', headers };
    received.push(r);
    const body = { standIn: `local demo stand-in for ${host}, not the real host`, method: r.method, path: r.path, headers };
    res.writeHead(200, { 'content-type': 'application/json', 'x-demo-stand-in': host });
    res.end(JSON.stringify(body, null, 2) + '\n');
  });
}
