// Hop-by-hop header stripping (proxy-behaviour.md §10), both directions. Works on Node's
// rawHeaders arrays so duplicate headers and original casing survive.
const ALWAYS = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'trailer', 'transfer-encoding', 'upgrade', 'te']);

/** [name, value] pairs from a rawHeaders array. */
export function pairsOf(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Drops hop-by-hop headers, every header `Connection` names, and HTTP/2 pseudo-headers (`:path`, …). */
export function stripHopByHop(pairs: readonly [string, string][]): [string, string][] {
  const named = new Set<string>();
  for (const [k, v] of pairs) {
    const lk = k.toLowerCase();
    if (lk === 'connection' || lk === 'proxy-connection') {
      for (const token of v.split(',')) {
        const t = token.trim().toLowerCase();
        if (t) named.add(t);
      }
    }
  }
  return pairs.filter(([k]) => {
    const lk = k.toLowerCase();
    return !ALWAYS.has(lk) && !named.has(lk) && lk[0] !== ':';
  });
}

/** Hook actions: strip listed headers (all values), then inject (replacing existing values). */
export function applyActions(pairs: [string, string][], strip: readonly string[], inject: readonly { name: string; value: string }[]): [string, string][] {
  const drop = new Set([...strip, ...inject.map((i) => i.name)].map((n) => n.toLowerCase()));
  const out = pairs.filter(([k]) => !drop.has(k.toLowerCase()));
  for (const i of inject) out.push([i.name, i.value]);
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

/** Flattens pairs back to the array form http.request / writeHead accept. */
export function flatten(pairs: readonly [string, string][]): string[] {
  const out: string[] = [];
  for (const [k, v] of pairs) out.push(k, v);
  return out;
}
