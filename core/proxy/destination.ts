// What the stages hand to a route (route.ts) and the HTTP/2 pool (h2.ts) once a request is judged.
/** A judged destination: the name the client asked for and the addresses that passed the check. */
export interface Destination {
  /** Normalised host name or literal, as judged. */
  host: string;
  port: number;
  /** The only addresses that may be dialled; undefined = dial the name (local binding, no override). */
  addresses?: readonly string[];
  /** Never through an upstream proxy (SOCKS5, as upstream §8.1). */
  direct?: boolean;
}
