// Per-run proxy credential: when the policy injects secrets, a local process that is not our
// terminal must not be able to borrow them by pointing at the port. Basic auth, constant-time compare.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export type AuthMode = 'auto' | 'required' | 'off';

export interface Credential {
  user: string;
  pass: string;
}

export function newCredential(): Credential {
  return { user: 'codex', pass: randomBytes(18).toString('base64url') };
}

/** Decision: `auto` requires the credential iff the policy (at start) injects secrets; it is fixed for the run. */
export function authRequired(mode: AuthMode, injectsSecrets: boolean): boolean {
  return mode === 'required' || (mode === 'auto' && injectsSecrets);
}

export function checkBasic(header: string | string[] | undefined, cred: Credential): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return false;
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(value);
  if (!m) return false;
  const got = Buffer.from(m[1]!, 'base64');
  const want = Buffer.from(`${cred.user}:${cred.pass}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** SOCKS5 username/password (RFC 1929) check. */
export function checkUserPass(user: string, pass: string, cred: Credential): boolean {
  const got = Buffer.from(`${user}:${pass}`);
  const want = Buffer.from(`${cred.user}:${cred.pass}`);
  return got.length === want.length && timingSafeEqual(got, want);
}
