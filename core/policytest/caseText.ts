// A `[[case]]` that pins a decision the proxy made (the decision log's *Save as test case*), and the
// new test file it goes into when the policy has none yet.
import { relative, dirname } from 'node:path';
import { stringify } from 'smol-toml';

export interface PinnedDecision {
  decision: 'allow' | 'deny';
  reason: string | null;
  protocol: string;
  method: string | null;
  host: string;
  port: number;
  path: string | null;
  hook: string | null;
  headers: { strip: string[]; inject: string[] };
}

const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** `"METHOD URL"` for the request behind a decision; undefined for SOCKS (not an HTTP request). */
export function requestLineOf(d: PinnedDecision): string | undefined {
  if (d.protocol.startsWith('socks')) return undefined;
  const https = d.protocol === 'https' || d.protocol === 'https_connect';
  const scheme = https ? 'https' : 'http';
  const port = d.port && d.port !== (https ? 443 : 80) ? `:${d.port}` : '';
  const path = d.path && d.path.startsWith('/') ? d.path : '/';
  const method = d.method && d.method !== 'CONNECT' ? d.method : 'GET';
  return `${method} ${scheme}://${bracket(d.host)}${port}${path}`;
}

/** TOML text of one case pinning this decision (leading blank line included). */
export function caseText(d: PinnedDecision, name: string): string | undefined {
  const request = requestLineOf(d);
  if (!request) return undefined;
  const c: Record<string, unknown> = { name, request, expect: d.decision };
  if (d.decision === 'deny' && d.reason) c.reason = d.reason;
  if (d.hook) {
    c.hook = d.hook;
    if (d.headers.strip.length) c.strip = d.headers.strip;
    if (d.headers.inject.length) c.inject = d.headers.inject;
  }
  return `\n[[case]]\n${stringify(c)}\n`;
}

/** A new test file for the policy at `configPath`, written at `testPath`. */
export function newTestFileText(testPath: string, configPath: string, requirementsPath?: string): string {
  const rel = (p: string) => relative(dirname(testPath), p).replace(/\\/g, '/') || p;
  const lines = [
    '# Policy tests: run `codex-netpolicy test` (CI) or open this file in VS Code.',
    `config = ${JSON.stringify(rel(configPath))}`,
    ...(requirementsPath ? [`requirements = ${JSON.stringify(rel(requirementsPath))}`] : []),
  ];
  return lines.join('\n') + '\n';
}
