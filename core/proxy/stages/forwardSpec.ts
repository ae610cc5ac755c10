// One request as forward.ts sends it upstream (over HTTP/1.1, or HTTP/2 in forwardH2.ts).
import type { Destination } from '../destination';
import type { Outgoing } from '../route';
import type { Upgrade } from '../websocket';

export interface ForwardSpec {
  dest: Destination;
  out: Outgoing;
  /** `host:port` (or the request's authority) naming the upstream in 504 bodies and error events. */
  label: string;
  /** The decision event this request's outcome belongs to. */
  eventId: number;
  startedAt: number;
  /** A protocol upgrade (WebSocket): relayed after the origin's 101 (websocket.ts). */
  upgrade?: Upgrade;
}
