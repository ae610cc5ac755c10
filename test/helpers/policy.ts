// Builds compiled policies from TOML text for tests.
import assert from 'node:assert/strict';
import { loadPolicy, type LoadPolicyResult } from '../../core/engine/load';
import type { CompiledPolicy } from '../../core/policy/compile';
import { decide, type DecisionRequest, type Decision } from '../../core/policy/decide';

export function load(config: string, opts: { requirements?: string; profile?: string; env?: Record<string, string> } = {}): LoadPolicyResult {
  return loadPolicy({
    config: { file: '/t/config.toml', text: config },
    ...(opts.requirements !== undefined ? { requirements: { file: '/t/requirements.toml', text: opts.requirements } } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    env: opts.env ?? {},
  });
}

export function policyOf(config: string, opts: Parameters<typeof load>[1] = {}): CompiledPolicy {
  const r = load(config, opts);
  assert.ok(r.policy, `policy should load, got: ${r.diagnostics.map((d) => `${d.range.start.line + 1}: ${d.code} ${d.message}`).join('; ')}`);
  return r.policy;
}

export function errorsOf(config: string, opts: Parameters<typeof load>[1] = {}): { line: number; code: string; message: string; file: string }[] {
  return load(config, opts).diagnostics.filter((d) => d.severity === 'error').map((d) => ({ line: d.range.start.line + 1, code: d.code, message: d.message, file: d.file }));
}

const PUBLIC = { assumedPublic: true } as const;

export function connect(p: CompiledPolicy, authority: string, resolution: DecisionRequest extends infer R ? (R extends { resolution?: infer X } ? X : never) : never = PUBLIC): Decision {
  return decide(p, { kind: 'connect', authority, resolution });
}

export function inner(p: CompiledPolicy, host: string, method: string, pathAndQuery: string, headers: Record<string, string | string[]> = {}): Decision {
  const q = pathAndQuery.indexOf('?');
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]));
  return decide(p, {
    kind: 'inner', tunnelHost: host, port: 443, method,
    path: q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery, query: q >= 0 ? pathAndQuery.slice(q + 1) : '',
    headers: (n) => lower.get(n), resolution: PUBLIC,
  });
}

export function http(p: CompiledPolicy, method: string, host: string, path = '/', opts: { port?: number; hostHeader?: string; resolution?: { addresses: string[] } | { error: 'unresolvable' } } = {}): Decision {
  return decide(p, {
    kind: 'http', method, host, port: opts.port ?? 80, scheme: 'http', path, query: '',
    ...(opts.hostHeader !== undefined ? { hostHeader: opts.hostHeader } : {}), resolution: opts.resolution ?? PUBLIC,
  });
}
