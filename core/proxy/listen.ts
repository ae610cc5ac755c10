// Listener addresses: `HOST:PORT`, `[v6]:PORT` or `:PORT`; loopback only unless explicitly dangerous.
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';

export class ListenError extends Error {}

export function parseListen(text: string, allowNonLoopback: boolean): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new ListenError(`invalid listen address ${JSON.stringify(text)} (expected HOST:PORT, e.g. 127.0.0.1:0)`);
  let host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new ListenError(`invalid port in ${JSON.stringify(text)}`);
  if (host === '' || host === 'localhost') host = '127.0.0.1';
  if (!isIP(host)) throw new ListenError(`listen address must be an IP literal, got ${JSON.stringify(host)}`);
  if (!allowNonLoopback && !isLoopback(host)) {
    throw new ListenError(`refusing to listen on non-loopback ${host}: anyone who can reach it could use the proxy (pass --dangerously-allow-non-loopback to override)`);
  }
  return { host, port };
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip);
}

export function formatAddress(a: AddressInfo): string {
  return a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
