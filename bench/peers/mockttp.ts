// mockttp (the engine of HTTP Toolkit) as a MITM proxy peer, its own process: passes every
// request through with the same header rewrite as our hook (strip x-strip-me, inject x-injected).
// Prints {"port": N, "ca": "<path>"} once listening.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCACertificate, getLocal } from 'mockttp';

const [dir, upstreamCa] = process.argv.slice(2) as [string, string];
void (async () => {
  const ca = await generateCACertificate({ subject: { commonName: 'mockttp bench CA' } });
  const caPath = join(dir, 'mockttp-ca.pem');
  writeFileSync(caPath, ca.cert);
  const server = getLocal({ https: { cert: ca.cert, key: ca.key }, recordTraffic: false });
  await server.start({ startPort: 20000, endPort: 60000 });
  await server.forAnyRequest().thenPassThrough({
    additionalTrustedCAs: [{ certPath: upstreamCa }],
    transformRequest: { updateHeaders: { 'x-strip-me': undefined, 'x-injected': process.env.BENCH_SECRET ?? '' } },
  });
  process.stdout.write(JSON.stringify({ port: server.port, ca: caPath }) + '\n');
})();
