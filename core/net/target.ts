// Parses absolute URLs as a proxy sees them, including IPv6 literals with zone ids
// (`http://[fe80::1%25lo0]:8080/x`), which WHATWG `new URL()` rejects.
export interface Target {
  scheme: string;
  /** Host as written (brackets removed for IPv6, zone id kept percent-encoded as written). */
  host: string;
  port: number;
  explicitPort: boolean;
  /** host[:port] as written, brackets kept. */
  authority: string;
  path: string;
  query: string;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443 };

export function parseAbsoluteUrl(raw: string): Target | { error: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(raw.trim());
  if (!m) return { error: `not an absolute URL: ${raw}` };
  const scheme = m[1]!.toLowerCase();
  let authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) return { error: `invalid IPv6 literal in ${raw}` };
    host = authority.slice(1, end);
    const rest = authority.slice(end + 1);
    if (rest && !rest.startsWith(':')) return { error: `invalid authority in ${raw}` };
    portText = rest ? rest.slice(1) : undefined;
  } else {
    const c = authority.lastIndexOf(':');
    host = c >= 0 ? authority.slice(0, c) : authority;
    portText = c >= 0 ? authority.slice(c + 1) : undefined;
  }
  if (portText !== undefined && portText !== '' && !/^\d{1,5}$/.test(portText)) return { error: `invalid port in ${raw}` };
  const explicitPort = portText !== undefined && portText !== '';
  const port = explicitPort ? Number(portText) : DEFAULT_PORTS[scheme] ?? 80;
  if (port > 65535) return { error: `invalid port in ${raw}` };
  return { scheme, host, port, explicitPort, authority, path: m[3] || '/', query: m[4] ?? '' };
}
