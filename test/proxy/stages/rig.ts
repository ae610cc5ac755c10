// A ProxyContext for stage tests: a real compiled policy, event log, resolver (test names mapped
// to 127.0.0.1) and the direct route over real agents; no listener, no transport.
import { mkdtempSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCa } from '../../../core/ca';
import type { ProxyContext } from '../../../core/proxy/context';
import { Resolver } from '../../../core/proxy/dns';
import { EventLog, type ProxyEvent } from '../../../core/proxy/events';
import { DEFAULT_LIMITS, type Limits } from '../../../core/proxy/lifecycle';
import { directRoute } from '../../../core/proxy/route';
import { createUpstreams } from '../../../core/proxy/upstream';
import { policyOf } from '../../helpers/policy';

export const POLICY = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"ok.test" = "allow"
"hooked.test" = "allow"
"blocked.test" = "deny"
[permissions.work.network.mitm.hooks.h]
host = "hooked.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["swap"]
[permissions.work.network.mitm.actions.swap]
strip_request_headers = ["cookie"]
[[permissions.work.network.mitm.actions.swap.inject_request_headers]]
name = "authorization"
secret_env_var = "STAGE_TOKEN"
`;

export const TOKEN = 'stage-canary-9d2e';

export interface StageRig {
  ctx: ProxyContext;
  events: ProxyEvent[];
  close(): void;
}

export async function stageRig(opts: { limits?: Partial<Limits>; overrides?: Record<string, string[]> } = {}): Promise<StageRig> {
  const policy = policyOf(POLICY, { env: { STAGE_TOKEN: TOKEN } });
  const log = new EventLog(100);
  const events: ProxyEvent[] = [];
  log.onEvent((e) => events.push(e));
  const overrides = new Map(Object.entries(opts.overrides ?? { 'ok.test': ['127.0.0.1'], 'hooked.test': ['127.0.0.1'], 'blocked.test': ['127.0.0.1'] }));
  const upstreams = createUpstreams([]);
  const ctx: ProxyContext = {
    policy: () => policy,
    events: log,
    resolver: new Resolver(overrides, 500),
    overrides,
    route: directRoute(upstreams),
    ca: await loadOrCreateCa(mkdtempSync(join(tmpdir(), 'cnp-stage-ca-'))),
    credential: null,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    busy: () => () => undefined,
    track: () => undefined,
    scrub: (m) => m.split(TOKEN).join('[redacted]'),
  };
  return { ctx, events, close: () => upstreams.close() };
}

/** A local HTTP server on an ephemeral port. */
export async function serve(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
