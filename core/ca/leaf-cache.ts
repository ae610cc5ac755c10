// Per-host cache of leaf certificates and their TLS contexts (LRU, expiry-aware).
import { createSecureContext, type SecureContext } from 'node:tls';
import { normaliseHost } from './host';
import { issueLeaf, type Issuer, type LeafKey } from './leaf';
import type { LeafCert } from './types';

/** Reissue before clients see a certificate about to expire (and long-lived sockets outlive it). */
const LEAF_REFRESH_MS = 24 * 3_600_000;
const DEFAULT_LEAF_CACHE_SIZE = 1000;

export function checkCacheSize(max: number | undefined): void {
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new RangeError(`leaf cache size must be a positive integer, got ${max}`);
  }
}

interface Entry {
  readonly leaf: LeafCert;
  context?: SecureContext;
}

export class LeafCache {
  // Map iteration order is insertion order; re-inserting on hit makes the first key the LRU one.
  readonly #entries = new Map<string, Entry>();
  readonly #issuer: Issuer;
  readonly #key: LeafKey;
  readonly #now: () => number;
  readonly #max: number;

  constructor(issuer: Issuer, key: LeafKey, now: () => number, max = DEFAULT_LEAF_CACHE_SIZE) {
    checkCacheSize(max);
    this.#issuer = issuer;
    this.#key = key;
    this.#now = now;
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  leafFor(host: string): LeafCert {
    return this.#entry(host).leaf;
  }

  secureContextFor(host: string): SecureContext {
    const e = this.#entry(host);
    e.context ??= createSecureContext({ key: this.#key.pem, cert: e.leaf.certPem });
    return e.context;
  }

  #entry(input: string): Entry {
    const host = normaliseHost(input);
    const now = this.#now();
    const hit = this.#entries.get(host.name);
    this.#entries.delete(host.name);
    if (hit && now >= hit.leaf.notBefore.getTime() && hit.leaf.notAfter.getTime() - now >= LEAF_REFRESH_MS) {
      this.#entries.set(host.name, hit);
      return hit;
    }
    const fresh: Entry = { leaf: issueLeaf(this.#issuer, this.#key, host, now) };
    this.#entries.set(host.name, fresh);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#max) break;
      this.#entries.delete(oldest);
    }
    return fresh;
  }
}
