// `--resolve HOST=IP` (as curl's --resolve, without the port): test names map to loopback so
// nothing leaves the machine; `HOST=` makes the name unresolvable.
import { normalizeHost } from '../match/host';
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
