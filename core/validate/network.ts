// Codex's load-time rules for one `network` table (permissions_toml.rs, mitm_hook.rs, policy.rs),
// expressed as diagnostics on key paths. The MITM tables' rules are the lowering pass's
// (core/lower/mitm.ts); rules that need the merged profile (action references) run per profile.
import { isAbsolute } from 'node:path';
import type { PolicyDiagnostic } from '../diagnostics';
import { parseDomainPattern } from '../match/domains';
import { lowerMitm } from '../lower/mitm';
import { normalizeDomainKey } from '../lower/domainKey';
import type { PathSegment } from '../toml/positions';
import { table } from '../toml/values';

type Emit = (d: PolicyDiagnostic) => void;

export function checkNetworkTable(net: Record<string, unknown>, base: PathSegment[], emit: Emit): void {
  checkDomains(table(net.domains), [...base, 'domains'], emit, false);
  checkSockets(table(net.unix_sockets), [...base, 'unix_sockets'], net.dangerously_allow_all_unix_sockets === true, emit);
  lowerMitm(net, base, emit);
}

export function checkDomains(domains: Record<string, unknown> | undefined, base: PathSegment[], emit: Emit, managed: boolean): void {
  if (!domains) return;
  const seen = new Map<string, string>();
  for (const [key, permission] of Object.entries(domains)) {
    const path = [...base, key];
    const parsed = parseDomainPattern(key);
    if (!parsed.ok) {
      emit({ path, target: 'key', severity: 'error', code: 'domain-pattern-invalid', message: `invalid domain pattern \`${key}\`: ${parsed.error}` });
      continue;
    }
    if (parsed.kind === 'global') { // the expansion is the match-everything glob
      if (permission === 'deny') {
        emit({ path, target: 'key', severity: 'error', code: 'domain-global-deny', message: 'unsupported global wildcard domain pattern `*` in the denylist: use exact hosts or scoped wildcards such as `*.example.com`', data: { pattern: key } });
      } else if (managed) {
        emit({ path, target: 'key', severity: 'error', code: 'domain-global-managed', message: 'managed allowlists may not contain the global wildcard `*`: list the hosts or use scoped wildcards such as `**.example.com`' });
      }
    }
    const norm = normalizeDomainKey(key);
    const first = seen.get(norm);
    if (first !== undefined) {
      emit({
        path, target: 'key', severity: 'warning', code: 'domain-duplicate',
        message: `\`${key}\` and \`${first}\` are the same pattern after normalisation (\`${norm}\`); the stronger permission wins (deny over allow). Keep one.`,
        related: [{ path: [...base, first], message: 'first written here' }], data: { normalized: norm },
      });
    } else seen.set(norm, key);
  }
}

function checkSockets(sockets: Record<string, unknown> | undefined, base: PathSegment[], allowAll: boolean, emit: Emit): void {
  if (!sockets) return;
  for (const key of Object.keys(sockets)) {
    if (!allowAll && !isAbsolute(key)) {
      emit({ path: [...base, key], target: 'key', severity: 'error', code: 'socket-not-absolute', message: `allow_unix_sockets entries must be absolute paths: \`${key}\`` });
    }
  }
}
