// Authorization translation for brokered credentials, in the forms upstream translates: `Bearer`
// and `token` carrying exactly the dummy, and `Basic` whose user or password is the dummy.

function decodeBasic(b64: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  const text = Buffer.from(b64, 'base64').toString('latin1');
  return text.includes(':') ? text : null;
}

/** The header value with the dummy replaced by the real value, or null when it does not carry the dummy. */
export function translateAuthorization(value: string, dummy: string, real: string): string | null {
  const m = /^([A-Za-z]+)[ \t]+(\S+)[ \t]*$/.exec(value.trim());
  if (!m) return null;
  const scheme = m[1]!;
  const cred = m[2]!;
  if (/^(bearer|token)$/i.test(scheme)) return cred === dummy ? `${scheme} ${real}` : null;
  if (!/^basic$/i.test(scheme)) return null;
  const decoded = decodeBasic(cred);
  if (!decoded) return null;
  const sep = decoded.indexOf(':');
  const user = decoded.slice(0, sep);
  const pass = decoded.slice(sep + 1);
  const swapped = user === dummy ? `${real}:${pass}` : pass === dummy ? `${user}:${real}` : null;
  return swapped === null ? null : `${scheme} ${Buffer.from(swapped, 'latin1').toString('base64')}`;
}

/** Whether a header value (or a Basic credential inside it) carries the dummy anywhere. */
export function carriesDummy(value: string, dummy: string): boolean {
  if (value.includes(dummy)) return true;
  const basic = /^basic[ \t]+(\S+)/i.exec(value.trim());
  const decoded = basic ? decodeBasic(basic[1]!) : null;
  return decoded !== null && decoded.includes(dummy);
}
