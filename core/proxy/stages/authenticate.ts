// Stage 1 of every transport: the per-run proxy credential (access.ts), when one is required.
import { checkBasic, checkUserPass } from '../access';
import type { ProxyContext } from '../context';

/** `Proxy-Authorization` of a request or CONNECT; always true when no credential is required. */
export function authenticated(ctx: Pick<ProxyContext, 'credential'>, header: string | string[] | undefined): boolean {
  return !ctx.credential || checkBasic(header, ctx.credential);
}

/** SOCKS5 username/password (RFC 1929); the caller has already offered method 2. */
export function authenticatedUser(ctx: Pick<ProxyContext, 'credential'>, user: string, pass: string): boolean {
  return !ctx.credential || checkUserPass(user, pass, ctx.credential);
}
