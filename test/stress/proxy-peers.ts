// The load suite's upstream servers, in their own process (`node --import tsx proxy-peers.ts CA_DIR`)
// so they never compete with the load generator's event loop: a plain HTTP origin (ok.test), a
// TLS origin behind the MITM hook (api.test: answers `authorized` only when the hook injected the
// canary token and stripped `x-strip-me`), and a TLS origin reached through raw CONNECT tunnels
// (tun.test). Prints `{"plain":P,"api":P,"tun":P}` once listening; exits when stdin closes.
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadOrCreateCa } from '../../core/ca';
import { CANARY } from './spawned';

const KEEP_ALIVE_MS = 30_000;

/** The ports this process prints once listening. */
export interface PeerPorts {
  plain: number;
  api: number;
  tun: number;
}

function text(res: http.ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function listen(server: http.Server): Promise<number> {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', 4096, () => r()));
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  const ca = await loadOrCreateCa(process.argv[2]!);
  const tlsFor = (host: string) => {
    const leaf = ca.leafFor(host);
    return { cert: leaf.certPem + ca.certPem, key: leaf.keyPem };
  };
  const plain = http.createServer((req, res) => text(res, `ok ${req.url}`));
  const api = https.createServer(tlsFor('api.test'), (req, res) => {
    const injected = req.headers.authorization === `Bearer ${CANARY}`;
    text(res, injected && req.headers['x-strip-me'] === undefined ? 'authorized' : 'hook not applied');
  });
  const tun = https.createServer(tlsFor('tun.test'), (req, res) => text(res, `tunnel ${req.url}`));
  const ports: PeerPorts = { plain: await listen(plain), api: await listen(api), tun: await listen(tun) };
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  // The suite ends this process by closing stdin (or killing it); never outlives its parent.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

if (process.argv[2]) void main();
