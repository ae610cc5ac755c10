// Held decision lines: a decision inside a MITM tunnel is recorded when its request arrives, but a
// reader only needs its line before the client can see the response. The inner servers' response
// classes tell the event log (EventLog.shown) just before a held request's head is written, so the
// CLI can put many requests' lines into one stdout write (core/cli/eventLines.ts) without a line
// arriving after the response it describes (under sustained traffic it may, by up to GAP_MS). An
// h1 response hands over its socket, so the writer can cork it until the end of the turn and write
// every line shown in that turn at once.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { EventLog } from './events';

const HELD = Symbol('held decision id');
type Held = { [HELD]?: number; socket?: unknown };

export interface HeldResponses {
  h1: typeof http.ServerResponse;
  h2: typeof http2.Http2ServerResponse;
  /** Holds `res`'s decision line until its head is written; false when `res` cannot tell (then nothing is held). */
  hold(res: object, id: number): boolean;
  /** Whether `res` is one of these classes. */
  canHold(res: object): boolean;
}

/** Response classes for the inner servers that release their held decision before the head goes out. */
export function heldResponses(events: EventLog): HeldResponses {
  const release = (res: Held): void => {
    const id = res[HELD];
    if (id === undefined) return;
    res[HELD] = undefined;
    // An h1 response's socket is its client's (net.Socket); an h2 stream shares its session's, which
    // must not wait for one stream (h2 heads release the line at once).
    events.shown(id, res instanceof H1 && res.socket instanceof net.Socket ? res.socket : undefined);
  };
  class H1 extends http.ServerResponse {}
  class H2 extends http2.Http2ServerResponse {}
  // Every head goes through writeHead (implicit headers, sendText, the upstream's head), h1 and h2 alike.
  for (const C of [H1, H2]) {
    // writeHead(status, message?, headers?): three fixed parameters, no rest array per response.
    const writeHead = C.prototype.writeHead as (this: object, a: unknown, b: unknown, c: unknown) => unknown;
    Object.defineProperty(C.prototype, 'writeHead', {
      value: function (this: Held, a: unknown, b: unknown, c: unknown) {
        release(this);
        return writeHead.call(this, a, b, c);
      },
      writable: true,
      configurable: true,
    });
  }
  const canHold = (res: object): boolean => res instanceof H1 || res instanceof H2;
  return {
    // The classes are generic over their request type in @types/node; ours serve the default one.
    h1: H1 as unknown as typeof http.ServerResponse,
    h2: H2 as unknown as typeof http2.Http2ServerResponse,
    canHold,
    hold: (res, id) => {
      if (!canHold(res)) return false;
      (res as Held)[HELD] = id;
      return true;
    },
  };
}
