// Normalises a CONNECT host or SNI name into what goes into a leaf's SAN.
// IP literals get an iPAddress SAN (clients never match IPs against dNSName).
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export type HostName =
  | { readonly kind: 'dns'; readonly name: string }
  | { readonly kind: 'ip'; readonly name: string; readonly bytes: Buffer };

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export class InvalidHostError extends Error {
  constructor(readonly host: string) {
    super(`cannot issue a certificate for host ${JSON.stringify(host)}`);
    this.name = 'InvalidHostError';
  }
}

function ipv6Bytes(canonical: string): Buffer {
  // `canonical` comes from the WHATWG URL serialiser: hex groups only, at most one "::".
  const [head = '', tail] = canonical.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function ipHost(addr: string): HostName | undefined {
  const v = isIP(addr);
  if (v === 4) return { kind: 'ip', name: addr, bytes: Buffer.from(addr.split('.').map(Number)) };
  if (v === 6) {
    // Canonical form so "::1" and "0:0::1" share one cache entry.
    const name = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
    return { kind: 'ip', name, bytes: ipv6Bytes(name) };
  }
  return undefined;
}

/**
 * Accepts `example.com`, `Example.COM.`, `bücher.de`, `127.0.0.1`, `::1`, `[::1]`, `fe80::1%eth0`.
 * Throws InvalidHostError for anything that cannot be a SAN.
 */
export function normaliseHost(input: string): HostName {
  let h = input.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  // Zone ids are local to this machine and cannot appear in a certificate.
  const pct = h.indexOf('%');
  if (pct >= 0 && h.includes(':')) h = h.slice(0, pct);
  const ip = ipHost(h);
  if (ip) return ip;
  if (h.endsWith('.')) h = h.slice(0, -1);
  const ascii = h.includes(':') || h.includes('/') ? '' : domainToASCII(h.toLowerCase());
  // The WHATWG parser turns e.g. "0x7f.1" into 127.0.0.1; treat that as the IP it is.
  const reparsed = ascii ? ipHost(ascii) : undefined;
  if (reparsed) return reparsed;
  if (!ascii || ascii.length > 253 || !ascii.split('.').every((l) => LABEL.test(l))) {
    throw new InvalidHostError(input);
  }
  return { kind: 'dns', name: ascii };
}
