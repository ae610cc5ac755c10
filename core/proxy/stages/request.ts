// The request pipeline, shared by plain absolute-form HTTP and every request inside a MITM tunnel:
//   (authenticate, by the transport) → judge + record → rewrite headers → forward.
// A transport parses its own request line into a RequestPlan and hands it here; nothing below
// depends on which server object (HTTP/1 or HTTP/2 compat) produced the request.
import type { DecisionRequest } from '../../policy/decide';
import type { ProxyContext } from '../context';
import type { CheckedDecision } from '../dns';
import { sendDecisionText, sendJsonBlock, sendText, type Incoming, type Reply } from '../responses';
import type { HeldResponses } from '../heldLines';
import type { Upgrade } from '../websocket';
import { forward } from './forward';
import { check, record } from './judge';
import { rewriteHeaders } from './rewrite';

export interface RequestPlan {
  /** What decide() judges. */
  decision: DecisionRequest;
  /** The client's headers as [name, value] pairs (the same list the decision's header lookup reads). */
  pairs: [string, string][];
  /** The host as the client named it (normalised by the judge). */
  host: string;
  method: string;
  /** Path without query, for the event. */
  path: string;
  /** Origin-form path and query sent upstream. */
  url: string;
  client: string;
  startedAt: number;
  /** `host[:port]` for the Host header. */
  authority: string;
  /** Port asked for (a stand-in's port replaces it when dialling). */
  port: number;
  /** Inside a MITM tunnel: TLS upstream, hooks and broker apply, blocks are text/plain. */
  tls: boolean;
  /** Names the upstream in timeouts and errors. */
  label: string;
  /** Plain https:// is judged, but an allowed one is refused with this 400 before it is recorded. */
  refuseAllowed?: string;
  /** A protocol upgrade (WebSocket): judged and rewritten like any request, relayed after the 101. */
  upgrade?: Upgrade;
  /** The transport's response classes that release a held decision line (heldLines.ts); absent: lines are not held. */
  held?: HeldResponses;
}

/** Synchronous unless the verdict waits for DNS (then the returned promise settles after forwarding). */
export function runRequest(ctx: ProxyContext, req: Incoming, res: Reply, plan: RequestPlan): void | Promise<void> {
  const checked = check(ctx, plan.decision, plan.host);
  if (checked instanceof Promise) return checked.then((c) => judged(ctx, req, res, plan, c));
  judged(ctx, req, res, plan, checked);
}

function judged(ctx: ProxyContext, req: Incoming, res: Reply, plan: RequestPlan, checked: CheckedDecision): void {
  const d = checked.decision;
  if (plan.refuseAllowed && d.decision === 'allow') {
    req.resume();
    return sendText(res, 400, plan.refuseAllowed);
  }
  // An allowed request's line may wait until its response head is written (heldLines.ts).
  const held = d.decision === 'allow' && plan.held !== undefined && plan.held.canHold(res);
  const event = record(ctx, d, { method: plan.method, path: plan.path, client: plan.client, startedAt: plan.startedAt, held });
  if (held) plan.held!.hold(res, event.id);
  if (d.decision === 'deny') {
    req.resume();
    // Plain-HTTP policy blocks answer in upstream's JSON; everything else in text.
    if (!plan.tls && d.status === 403 && d.reason) return sendJsonBlock(res, d, event.explanation);
    return sendDecisionText(res, d, event.explanation);
  }
  const headers = rewriteHeaders(ctx, { pairs: plan.pairs, decision: d, host: d.host, url: plan.url, tls: plan.tls, authority: plan.authority });
  forward(ctx, req, res, {
    dest: { host: d.host, port: checked.port ?? plan.port, ...(checked.addresses ? { addresses: checked.addresses } : {}) },
    out: { method: plan.method, path: plan.url, headers, tls: plan.tls },
    label: plan.label, eventId: event.id, startedAt: plan.startedAt, ...(plan.upgrade ? { upgrade: plan.upgrade } : {}),
  });
}
