// A bare Node MITM proxy on our proxy's stack (node:http outer and inner servers, a TLSSocket per
// tunnel, undici's Pool upstream with verification) doing the bench hook's rewrite (strip
// x-strip-me, inject x-injected) and nothing else: no policy, events, timeouts or limits. It is the
// floor a Node MITM proxy of this design can reach, for `bench/ab.ts --a DIST --b bare`.
// Started like our CLI (`cli.js proxy --upstream-ca F --resolve name=ip …`, other flags ignored);
// prints one JSON line with `http`, `proxyUrl` and `caCert`. Loopback only; a bench tool, not a product.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import Pool from 'undici/lib/dispatcher/pool';

const argv = process.argv;
const upstreamCa = readFileSync(argv[argv.indexOf('--upstream-ca') + 1]!);
const resolve = new Map(argv.flatMap((a, i) => (a === '--resolve' ? [argv[i + 1]!.split('=') as [string, string]] : [])));
const secret = process.env.BENCH_SECRET ?? '';
const dir = mkdtempSync(join(tmpdir(), 'bare-mitm-'));
const f = (n: string): string => join(dir, n);
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=bare bench CA',
  '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], { stdio: 'ignore' });

const contexts = new Map<string, tls.SecureContext>();
function contextFor(host: string): tls.SecureContext {
  let c = contexts.get(host);
  if (c) return c;
  execFileSync('openssl', ['req', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/CN=${host}`], { stdio: 'ignore' });
  writeFileSync(f('ext'), `subjectAltName=DNS:${host}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('leaf.pem'), '-days', '2', '-extfile', f('ext')], { stdio: 'ignore' });
  contexts.set(host, (c = tls.createSecureContext({ cert: readFileSync(f('leaf.pem')), key: readFileSync(f('leaf.key')) })));
  return c;
}

const pools = new Map<string, { pool: Pool; origin: string }>();
function poolFor(host: string, port: number): { pool: Pool; origin: string } {
  const key = `${host}:${port}`;
  let p = pools.get(key);
  if (!p) {
    const origin = `https://${resolve.get(host) ?? host}:${port}`;
    // The Pool's own connector verifies the origin against the upstream CA and the tunnel's name.
    p = { pool: new Pool(origin, { connect: { ca: upstreamCa, servername: host }, connections: 256, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 } as unknown as Pool.Options), origin };
    pools.set(key, p);
  }
  return p;
}

const DROP = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'x-strip-me', 'x-injected']);
const tunnels = new WeakMap<object, { host: string; port: number }>();
const inner = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
  const t = tunnels.get(req.socket)!;
  const headers = ['host', t.host];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!DROP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  headers.push('x-injected', secret);
  const { pool, origin } = poolFor(t.host, t.port);
  const handler: Dispatcher.DispatchHandler = {
    // undici's legacy handler API (as core/proxy/client/tlsPools.ts uses it) wants these present.
    onConnect: () => undefined,
    onBodySent: () => undefined,
    onHeaders(status, rawHead, _resume, message) {
      if (status < 200) return true;
      const out: string[] = [];
      for (let i = 0; i < rawHead.length; i += 2) {
        const k = rawHead[i]!.toString('latin1');
        if (!DROP.has(k.toLowerCase())) out.push(k, rawHead[i + 1]!.toString('latin1'));
      }
      res.writeHead(status, message, out);
      return true;
    },
    onData: (chunk) => res.write(chunk),
    onComplete: () => void res.end(),
    onError: () => void (res.headersSent ? res.destroy() : res.writeHead(502).end()),
  };
  pool.dispatch({ origin, method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body: null }, handler);
  req.resume();
});
inner.timeout = 300_000;

const outer = http.createServer();
outer.on('connect', (req: http.IncomingMessage, socket: Socket) => {
  const target = req.url ?? '';
  const colon = target.lastIndexOf(':');
  socket.setNoDelay(true);
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  const host = target.slice(0, colon);
  const s = new tls.TLSSocket(socket, { isServer: true, secureContext: contextFor(host), ALPNProtocols: ['http/1.1'] });
  s.on('error', () => s.destroy());
  tunnels.set(s, { host, port: Number(target.slice(colon + 1)) });
  s.once('secure', () => inner.emit('connection', s));
});
outer.listen(0, '127.0.0.1', () => {
  const { port } = outer.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ event: 'listening', http: `127.0.0.1:${port}`, proxyUrl: `http://127.0.0.1:${port}`, caCert: f('ca.pem') }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
