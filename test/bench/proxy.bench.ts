// MITM'd keep-alive request vs direct, loopback only, bounded count. Same raw client both ways:
// one TLS connection, sequential GETs. Run: node --import tsx test/bench/proxy.bench.ts [N]
import * as tls from 'node:tls';
import { connections, connectTunnel, httpsUpstream, ResponseReader, startRig, tempDir, testCa } from '../proxy/unit/helpers';

const N = Math.min(Number(process.argv[2] ?? 2000), 20_000);
const CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"api.test" = "allow"
[permissions.work.network.mitm.hooks.all]
host = "api.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["a"]
[permissions.work.network.mitm.actions.a]
strip_request_headers = ["cookie"]
`;

async function run(label: string, t: tls.TLSSocket, host: string): Promise<void> {
  const reader = new ResponseReader(t);
  const lat: number[] = [];
  for (let i = 0; i < 50; i++) {
    t.write(`GET /warm HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    await reader.next();
  }
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    t.write(`GET /repos/x?i=${i} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const r = await reader.next();
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    lat.push(performance.now() - s);
  }
  const total = performance.now() - start;
  lat.sort((a, b) => a - b);
  const p = (q: number): string => lat[Math.floor(q * (lat.length - 1))]!.toFixed(3);
  console.log(`${label.padEnd(8)} ${N} req  ${(N / (total / 1000)).toFixed(0)} req/s  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms`);
}

async function main(): Promise<void> {
  const dir = tempDir();
  const ca = await testCa(dir);
  const api = await httpsUpstream(ca, 'api.test');
  const rig = await startRig(CONFIG, { dir, upstreamCaFiles: [ca.certPath], auth: 'off' });
  const direct = tls.connect({ host: '127.0.0.1', port: api.port, servername: 'api.test', ca: ca.certPem });
  await new Promise((r) => direct.once('secureConnect', r));
  await run('direct', direct, `api.test:${api.port}`);
  direct.destroy();
  const { socket } = await connectTunnel(rig.port, `api.test:${api.port}`);
  const mitm = tls.connect({ socket, servername: 'api.test', ca: rig.proxy.ca.certPem });
  await new Promise((r) => mitm.once('secureConnect', r));
  await run('mitm', mitm, `api.test:${api.port}`);
  mitm.destroy();
  console.log(`upstream TLS connections opened in total: ${connections.n} (1 direct + pooled MITM upstream)`);
  api.seen.length = 0;
  await rig.close();
  await api.close();
}

void main();
