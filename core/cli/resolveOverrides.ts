// `--resolve HOST=IP` (as curl's --resolve, without the port): test names map to loopback so
// nothing leaves the machine; `HOST=` makes the name unresolvable.
import { isLocalLiteral } from '../match/address';
import { normalizeHost } from '../match/host';
import type { StandIn } from '../proxy/dns';
import { UsageError } from './args';

export type ResolveOverrides = Map<string, string[]>;

export function parseResolveOverrides(values: readonly string[]): ResolveOverrides {
  const out: ResolveOverrides = new Map();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--resolve must be HOST=IP, got ${JSON.stringify(v)}`);
    const host = normalizeHost(v.slice(0, eq));
    const addr = v.slice(eq + 1).trim().replace(/^\[(.*)\]$/, '$1');
    const list = out.get(host) ?? [];
    if (addr) list.push(addr);
    out.set(host, list);
  }
  return out;
}

/**
 * `--stand-in HOST=IP:PORT`: a local server answers for HOST. Loopback only, so a stand-in can
 * never send traffic elsewhere.
 */
export function parseStandIns(values: readonly string[]): Map<string, StandIn> {
  const out = new Map<string, StandIn>();
  for (const v of values) {
    const m = /^([^=]+)=(\[[^\]]+\]|[^:\]]+):(\d{1,5})$/.exec(v.trim());
    const port = m ? Number(m[3]) : 0;
    const address = m ? m[2]!.replace(/^\[(.*)\]$/, '$1') : '';
    if (!m || port < 1 || port > 65535) throw new UsageError(`--stand-in must be HOST=IP:PORT, got ${JSON.stringify(v)}`);
    if (!isLocalLiteral(address) || !/^(127\.|::1$)/.test(address)) throw new UsageError(`--stand-in must point at a loopback address, got ${JSON.stringify(address)}`);
    out.set(normalizeHost(m[1]!), { address, port });
  }
  return out;
}
