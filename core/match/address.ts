// IP literal parsing and non-public classification, mirroring Rust's std::net parsers
// (`IpAddr::from_str`) and codex-network-proxy's `is_non_public_ip` (reference §2).

export interface ParsedIp {
  readonly family: 4 | 6;
  /** 4 or 16 network-order bytes. */
  readonly bytes: Uint8Array;
}

/** Cursor parser over a string; every `read*` either consumes input and succeeds or rewinds. */
class Cursor {
  pos = 0;
  constructor(readonly s: string) {}

  private atomically<T>(f: () => T | null): T | null {
    const start = this.pos;
    const r = f();
    if (r === null) this.pos = start;
    return r;
  }

  private char(c: string): boolean {
    if (this.s[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  // Rust `read_number`: at most `maxDigits` digits; IPv4 octets reject leading zeros ("01").
  private number(radix: 10 | 16, maxDigits: number, allowZeroPrefix: boolean, max: number): number | null {
    return this.atomically(() => {
      const leadingZero = this.s[this.pos] === '0';
      let value = 0;
      let digits = 0;
      while (this.pos < this.s.length) {
        const d = digitValue(this.s.charCodeAt(this.pos), radix);
        if (d < 0) break;
        this.pos++;
        value = value * radix + d;
        digits++;
        if (digits > maxDigits) return null;
      }
      if (digits === 0 || value > max) return null;
      if (!allowZeroPrefix && leadingZero && digits > 1) return null;
      return value;
    });
  }

  ipv4(): Uint8Array | null {
    return this.atomically(() => {
      const out = new Uint8Array(4);
      for (let i = 0; i < 4; i++) {
        if (i > 0 && !this.char('.')) return null;
        const n = this.number(10, 3, false, 255);
        if (n === null) return null;
        out[i] = n;
      }
      return out;
    });
  }

  // One colon-separated group run (Rust `read_groups`): returns [count, endedWithIpv4].
  private groups(groups: number[], limit: number): [number, boolean] {
    for (let i = 0; i < limit; i++) {
      if (i < limit - 1) {
        const v4 = this.atomically(() => (i > 0 && !this.char(':') ? null : this.ipv4()));
        if (v4) {
          groups[i] = (v4[0]! << 8) | v4[1]!;
          groups[i + 1] = (v4[2]! << 8) | v4[3]!;
          return [i + 2, true];
        }
      }
      const g = this.atomically(() => (i > 0 && !this.char(':') ? null : this.number(16, 4, true, 0xffff)));
      if (g === null) return [i, false];
      groups[i] = g;
    }
    return [limit, false];
  }

  ipv6(): Uint8Array | null {
    return this.atomically(() => {
      const head: number[] = [];
      const [headSize, headV4] = this.groups(head, 8);
      const words = new Array<number>(8).fill(0);
      if (headSize === 8) {
        for (let i = 0; i < 8; i++) words[i] = head[i]!;
        return wordsToBytes(words);
      }
      if (headV4) return null; // IPv4 part is only allowed at the very end
      if (!this.char(':') || !this.char(':')) return null;
      const tail: number[] = [];
      const [tailSize] = this.groups(tail, 8 - (headSize + 1)); // `::` stands for >= 1 zero group
      for (let i = 0; i < headSize; i++) words[i] = head[i]!;
      for (let i = 0; i < tailSize; i++) words[8 - tailSize + i] = tail[i]!;
      return wordsToBytes(words);
    });
  }
}

function digitValue(c: number, radix: 10 | 16): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (radix === 16) {
    if (c >= 97 && c <= 102) return c - 87;
    if (c >= 65 && c <= 70) return c - 55;
  }
  return -1;
}

function wordsToBytes(words: number[]): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return out;
}

/**
 * Strict IP literal parse with Rust `IpAddr::from_str` rules: dotted quad with exactly four
 * decimal octets and no leading zeros (`010.0.0.1`, `127.1` are NOT IPs), or RFC 4291 IPv6 text
 * (embedded IPv4 tail allowed). No zone id, brackets or whitespace.
 */
export function parseIpStrict(s: string): ParsedIp | null {
  if (s.length === 0 || s.length > 64) return null; // longer than any valid literal
  const v4 = new Cursor(s);
  const b4 = v4.ipv4();
  if (b4 && v4.pos === s.length) return { family: 4, bytes: b4 };
  const v6 = new Cursor(s);
  const b6 = v6.ipv6();
  if (b6 && v6.pos === s.length) return { family: 6, bytes: b6 };
  return null;
}

/** Like {@link parseIpStrict} but a `%zone` suffix is stripped first (`fe80::1%lo0`). */
export function parseIp(host: string): ParsedIp | null {
  const pct = host.indexOf('%');
  return parseIpStrict(pct < 0 ? host : host.slice(0, pct));
}

/**
 * Upstream `unscoped_ip_literal`: for `ip%zone` where `ip` is a valid literal, the zone-less
 * `ip`; otherwise null (plain hosts and zone-less IPs alike).
 */
export function unscopedIpLiteral(host: string): string | null {
  const pct = host.indexOf('%');
  if (pct < 0) return null;
  const ip = host.slice(0, pct);
  return parseIpStrict(ip) ? ip : null;
}

function inCidr4(b: Uint8Array, base: readonly [number, number, number, number], prefix: number): boolean {
  const ip = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const net = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((ip & mask) >>> 0) === ((net & mask) >>> 0);
}

// Every range of upstream `is_non_public_ipv4` (std helpers + explicit CIDRs), reference §2.
const NON_PUBLIC_V4: ReadonlyArray<readonly [readonly [number, number, number, number], number]> = [
  [[0, 0, 0, 0], 8], // unspecified + "this network"
  [[10, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10], // CGNAT
  [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16],
  [[172, 16, 0, 0], 12],
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // TEST-NET-1
  [[192, 168, 0, 0], 16],
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // TEST-NET-2
  [[203, 0, 113, 0], 24], // TEST-NET-3
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, includes 255.255.255.255 broadcast
];

function isNonPublicV4(b: Uint8Array): boolean {
  for (const [base, prefix] of NON_PUBLIC_V4) if (inCidr4(b, base, prefix)) return true;
  return false;
}

/**
 * Rust `Ipv6Addr::to_ipv4`: IPv4-compatible `::a.b.c.d` (first 96 bits zero) and IPv4-mapped
 * `::ffff:a.b.c.d` (80 zero bits + 16 one bits) convert; nothing else does.
 */
export function ipv6ToIpv4(b: Uint8Array): Uint8Array | null {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return null;
  const w5 = (b[10]! << 8) | b[11]!;
  if (w5 !== 0 && w5 !== 0xffff) return null;
  return b.slice(12, 16);
}

export function isNonPublicIp(ip: ParsedIp): boolean {
  const b = ip.bytes;
  if (ip.family === 4) return isNonPublicV4(b);
  const v4 = ipv6ToIpv4(b);
  if (v4) return isNonPublicV4(v4) || isV6Loopback(b);
  let zero = true;
  for (let i = 0; i < 16; i++) if (b[i] !== 0) zero = false;
  if (zero) return true; // ::
  if (isV6Loopback(b)) return true;
  if (b[0] === 0xff) return true; // multicast ff00::/8
  if ((b[0]! & 0xfe) === 0xfc) return true; // unique local fc00::/7
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return true; // link-local fe80::/10
  return false;
}

function isV6Loopback(b: Uint8Array): boolean {
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1;
}

/** Convenience: classify a textual address (e.g. a DNS answer); unparsable → null. */
export function isNonPublicAddress(text: string): boolean | null {
  const ip = parseIp(text);
  return ip ? isNonPublicIp(ip) : null;
}

/**
 * Reference §2 step 1, upstream `host_blocked`: `localhost` or an IP literal (zone stripped) that
 * is non-public. Expects a host already passed through `normalizeHost`.
 */
export function isLocalLiteral(normalizedHost: string): boolean {
  if (normalizedHost === 'localhost') return true;
  const ip = parseIp(normalizedHost);
  return ip !== null && isNonPublicIp(ip);
}

// WHATWG URL "IPv4 number": decimal, `0x` hex (`0x` alone is 0) or `0`-prefixed octal.
function whatwgIpv4Number(part: string): number | null {
  if (part === '') return null;
  let radix = 10;
  let digits = part;
  if (/^0[xX]/.test(part)) {
    radix = 16;
    digits = part.slice(2);
    if (digits === '') return 0;
  } else if (part.length > 1 && part[0] === '0') {
    radix = 8;
    digits = part.slice(1);
  }
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  const n = parseInt(digits, radix);
  return Number.isSafeInteger(n) ? n : Number.POSITIVE_INFINITY;
}

/**
 * How WHATWG URL parsing reads a host as IPv4 (`127.1`, `2130706433`, `0x7f.0.0.1`,
 * `0177.0.0.1`, …): the dotted-quad address; `'invalid'` when the host ends in a number but is
 * no valid address (URL parsing fails; no resolver answers it); null for an ordinary name.
 * Expects a normalised host (lower case, trailing dots removed).
 */
function whatwgIpv4(host: string): string | 'invalid' | null {
  const parts = host.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const last = parts[parts.length - 1]!;
  if (!/^[0-9]+$/.test(last) && !/^0[xX][0-9a-fA-F]*$/.test(last)) return null;
  if (parts.length > 4) return 'invalid';
  const numbers: number[] = [];
  for (const p of parts) {
    const n = whatwgIpv4Number(p);
    if (n === null) return 'invalid';
    numbers.push(n);
  }
  const tail = numbers.pop()!;
  if (numbers.some((n) => n > 255) || tail >= 256 ** (4 - numbers.length)) return 'invalid';
  let value = tail;
  numbers.forEach((n, i) => (value += n * 256 ** (3 - i)));
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/**
 * The one place that decides whether a request host is an IP literal, for the proxy and
 * `explain` alike: the address to judge and dial (zone id dropped) for a Rust literal or any
 * WHATWG IPv4 spelling, `'invalid'` for a numeric host no parser accepts, null for a name.
 */
export function literalAddress(host: string): string | 'invalid' | null {
  const pct = host.indexOf('%');
  const bare = pct < 0 ? host : host.slice(0, pct);
  if (parseIpStrict(bare)) return bare;
  return pct < 0 ? whatwgIpv4(host) : null;
}
