// Hop-by-hop header stripping (proxy-behaviour.md §10), both directions. Works on Node's
// rawHeaders arrays so duplicate headers and original casing survive.
const ALWAYS = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'trailer', 'transfer-encoding', 'upgrade', 'te']);

/** [name, value] pairs from a rawHeaders array. */
export function pairsOf(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Header names a `Connection` / `Proxy-Connection` header lists (lower case), or null when there is none. */
function connectionNamed(names: readonly string[], value: (i: number) => string): Set<string> | null {
  let named: Set<string> | null = null;
  for (let i = 0; i < names.length; i++) {
    const lk = names[i]!;
    if (lk !== 'connection' && lk !== 'proxy-connection') continue;
    for (const token of value(i).split(',')) {
      const t = token.trim().toLowerCase();
      if (t) (named ??= new Set()).add(t);
    }
  }
  return named;
}

const isHopByHop = (lk: string, named: Set<string> | null): boolean => ALWAYS.has(lk) || lk[0] === ':' || (named !== null && named.has(lk));

/**
 * Drops hop-by-hop headers, every header `Connection` names, and HTTP/2 pseudo-headers (`:path`, …)
 * from a flat rawHeaders list ([name, value, …]), flat out: the response path.
 */
export function stripHopByHopFlat(raw: readonly string[]): string[] {
  const lower: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) lower.push(raw[i]!.toLowerCase());
  const named = connectionNamed(lower, (i) => raw[2 * i + 1]!);
  const out: string[] = [];
  for (let i = 0; i < lower.length; i++) if (!isHopByHop(lower[i]!, named)) out.push(raw[2 * i]!, raw[2 * i + 1]!);
  return out;
}

/** Lower-cased names a hook's actions remove, per action lists (a compiled hook's are fixed). */
const dropSets = new WeakMap<readonly string[], WeakMap<readonly { name: string }[], Set<string>>>();

function dropSetOf(strip: readonly string[], inject: readonly { name: string; value: string }[]): Set<string> {
  let byInject = dropSets.get(strip);
  if (!byInject) dropSets.set(strip, (byInject = new WeakMap()));
  let drop = byInject.get(inject);
  if (!drop) byInject.set(inject, (drop = new Set([...strip, ...inject.map((i) => i.name)].map((n) => n.toLowerCase()))));
  return drop;
}

/**
 * A request's headers on their way upstream, in one pass (each name lower-cased once): hop-by-hop
 * ones go (as in stripHopByHopFlat), `Host` too when `dropHost`, and with a hook's actions the headers it
 * strips or injects (all values), then its injected values are appended (replacing the client's).
 */
export function keptRequestHeaders(pairs: readonly [string, string][], dropHost: boolean, hook?: { strip: readonly string[]; inject: readonly { name: string; value: string }[] }): [string, string][] {
  const lower = new Array<string>(pairs.length);
  for (let i = 0; i < pairs.length; i++) lower[i] = pairs[i]![0].toLowerCase();
  const named = connectionNamed(lower, (i) => pairs[i]![1]);
  const drop = hook ? dropSetOf(hook.strip, hook.inject) : null;
  const out: [string, string][] = [];
  for (let i = 0; i < pairs.length; i++) {
    const lk = lower[i]!;
    if (isHopByHop(lk, named) || (dropHost && lk === 'host') || (drop !== null && drop.has(lk))) continue;
    out.push(pairs[i]!);
  }
  if (hook) for (const h of hook.inject) out.push([h.name, h.value]);
  return out;
}

/** Lookup by lower-case name, for decide()'s hook matchers. */
export function headerLookup(pairs: readonly [string, string][]): (lowerName: string) => string[] | undefined {
  let map: Map<string, string[]> | undefined;
  return (n) => {
    if (!map) {
      map = new Map();
      for (const [k, v] of pairs) {
        const lk = k.toLowerCase();
        const list = map.get(lk);
        if (list) list.push(v);
        else map.set(lk, [v]);
      }
    }
    return map.get(n);
  };
}
