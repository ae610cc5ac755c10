// Generated inputs: the upstream's test CA and leaf (openssl), the proxy policy the MITM peers
// mirror, and the 10,000-line / 1,000-hook policy for validation and language-server figures.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throwaway upstream CA and one leaf valid for *.bench.test and 127.0.0.1–127.0.0.254. */
export function upstreamCerts(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string): string => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', f('up-ca.key'), '-out', f('up-ca.pem'), '-days', '7', '-subj', '/CN=bench upstream CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', ...ec, '-keyout', f('up.key'), '-out', f('up.csr'), '-subj', '/CN=api.bench.test'], { stdio: 'ignore' });
  const sans = ['DNS.1=*.bench.test', ...Array.from({ length: 254 }, (_, i) => `IP.${i + 1}=127.0.0.${i + 1}`)];
  writeFileSync(f('up.cnf'), ['[ext]', 'basicConstraints=CA:FALSE', 'keyUsage=digitalSignature', 'extendedKeyUsage=serverAuth', 'subjectAltName=@san', '[san]', ...sans, ''].join('\n'));
  execFileSync('openssl', ['x509', '-req', '-in', f('up.csr'), '-CA', f('up-ca.pem'), '-CAkey', f('up-ca.key'), '-CAcreateserial', '-out', f('up.pem'),
    '-days', '7', '-extfile', f('up.cnf'), '-extensions', 'ext'], { stdio: 'ignore' });
  return { ca: f('up-ca.pem'), cert: f('up.pem'), key: f('up.key') };
}

/** The names the scenarios use: the keep-alive origin, the first-request hosts, the raw-tunnel target. */
export const API_NAME = 'api.bench.test';
export const RAW_NAME = 'raw.bench.test';
export const freshName = (i: number): string => `f${i}.bench.test`;

/**
 * Our policy for the proxy runs: the origin and every first-request host allowed with the rewrite
 * hook (so MITM'd); the raw-tunnel name allowed without a hook (so a plain tunnel).
 */
export function proxyPolicy(fresh: number): string {
  const hooked = [API_NAME, ...Array.from({ length: fresh }, (_, i) => freshName(i))];
  const out = ['default_permissions = "bench"', '[permissions.bench.network]', 'enabled = true', 'allow_local_binding = true', '[permissions.bench.network.domains]'];
  for (const h of [...hooked, RAW_NAME]) out.push(`"${h}" = "allow"`);
  hooked.forEach((h, i) => out.push(`[permissions.bench.network.mitm.hooks.h${i}]`, `host = "${h}"`, 'methods = ["GET"]', 'path_prefixes = ["/"]', 'action = ["rewrite"]'));
  out.push('[permissions.bench.network.mitm.actions.rewrite]', 'strip_request_headers = ["x-strip-me"]',
    '[[permissions.bench.network.mitm.actions.rewrite.inject_request_headers]]', 'name = "x-injected"', 'secret_env_var = "BENCH_SECRET"');
  return out.join('\n') + '\n';
}

/** A 10,000-line policy with `hooks` MITM hooks (and 100 domains, 50 actions). */
export function largePolicy(hooks: number, lines = 10_000): string {
  const out = ['default_permissions = "w"', '[permissions.w]', 'extends = ":workspace"', '[permissions.w.network]', 'enabled = true', '[permissions.w.network.domains]'];
  for (let i = 0; i < 100; i++) out.push(`"h${i}.example.com" = "allow"`);
  for (let i = 0; i < hooks; i++) {
    out.push(`[permissions.w.network.mitm.hooks.hook_${i}]`, `host = "h${i % 100}.example.com"`, `methods = ["GET", "POST"]`,
      `path_prefixes = ["/api/v${i}/", "pattern:/x/${i}/*"]`, `action = ["act_${i % 50}"]`, 'query = { page = ["1", "pattern:2*"] }');
  }
  for (let i = 0; i < 50; i++) {
    out.push(`[permissions.w.network.mitm.actions.act_${i}]`, 'strip_request_headers = ["authorization", "cookie"]',
      `[[permissions.w.network.mitm.actions.act_${i}.inject_request_headers]]`, 'name = "x-token"', `secret_env_var = "TOKEN_${i}"`, 'prefix = "Bearer "');
  }
  while (out.length < lines) out.push(`# filler comment ${out.length}`);
  return out.join('\n') + '\n';
}
