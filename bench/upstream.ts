// Benchmark upstream, its own process: an HTTPS origin (keep-alive) that reports in its response
// headers whether the hook's injected header arrived and the stripped one did not (and, on the
// second origin `h2` that also speaks HTTP/2 by ALPN, the protocol version it was reached by), plus two raw
// TCP servers for tunnels: `bytes` (sends N bytes then closes) and `echo` (idle-tunnel checks).
// Prints one JSON line {https, bytes, echo} with the ports. Loopback only.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';

const arg = (name: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`missing --${name}`);
  return process.argv[i + 1]!;
};
const expected = process.env.BENCH_SECRET ?? '';
const body = Buffer.from('ok\n');

const tlsOptions = { cert: readFileSync(arg('cert')), key: readFileSync(arg('key')), keepAliveTimeout: 60_000 };
const handler = (req: IncomingMessage | http2.Http2ServerRequest, res: ServerResponse | http2.Http2ServerResponse): void => {
  res.writeHead(200, {
    'x-saw-version': req.httpVersion,
    'content-type': 'text/plain',
    'content-length': body.length,
    'x-saw-injected': req.headers['x-injected'] === expected ? 'yes' : 'no',
    'x-saw-stripped': req.headers['x-strip-me'] !== undefined ? 'yes' : 'no',
  });
  res.end(body);
};
const origin = https.createServer(tlsOptions, handler);

const CHUNK = Buffer.alloc(256 * 1024, 0x61);
// Reads an 8-byte big-endian length, sends that many bytes, then closes.
const bytes = createServer((s) => {
  s.on('error', () => s.destroy());
  s.once('readable', function start() {
    const head = s.read(8) as Buffer | null;
    if (!head) return s.once('readable', start);
    let left = Number(head.readBigUInt64BE(0));
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
});
const echo = createServer((s) => {
  s.on('error', () => s.destroy());
  s.pipe(s);
});

// Raw tunnel targets live on their own loopback address, which the proxy policy allows without a hook.
const RAW_HOST = '127.0.0.254';
const listen = (srv: Server, host = '127.0.0.1'): Promise<number> => new Promise((r) => srv.listen(0, host, () => r((srv.address() as AddressInfo).port)));
// "New host" origins for the first-request scenario: one listener per loopback address
// 127.0.0.2…, so every proxy sees a host it has never issued a leaf for.
const newHosts = Number(process.argv[process.argv.indexOf('--new-hosts') + 1] ?? 0) || 0;
void (async () => {
  const fresh: string[] = [];
  for (let i = 0; i < newHosts; i++) {
    const host = `127.0.0.${i + 2}`;
    fresh.push(`${host}:${await listen(https.createServer(tlsOptions, handler), host)}`);
  }
  const h2 = http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, handler);
  const ports = { https: await listen(origin), h2: await listen(h2 as unknown as Server), bytes: await listen(bytes, RAW_HOST), echo: await listen(echo, RAW_HOST), fresh };
  process.stdout.write(JSON.stringify(ports) + '\n');
})();
