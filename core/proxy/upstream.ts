// The direct route's tools (route.ts): dialing only addresses that passed the policy check, with a
// connect timeout, and the pooled keep-alive agents (HTTPS always verifies certificates).
import * as http from 'node:http';
import * as https from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { TunnelAgent } from '../net/proxyTunnel';
import { connectForRelay } from './relay';
import type { UpstreamProxy } from '../net/upstreamProxy';

export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a TCP connection to the first reachable address (in order), or the name itself. `relay`:
 * a raw tunnel's socket, read by relay.ts (never one that TLS will wrap).
 */
export function dialChecked(addresses: readonly string[] | undefined, host: string, port: number, relay = false, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Socket> {
  const targets = addresses && addresses.length ? [...addresses] : addresses ? [] : [host];
  return new Promise((resolve, reject) => {
    let lastError: Error = new Error(`no address to dial for ${host}`);
    const next = (): void => {
      const target = targets.shift();
      if (target === undefined) return reject(lastError);
      const options = { host: target, port, noDelay: true };
      const socket = relay ? connectForRelay(options) : netConnect(options);
      const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        lastError = e;
        next();
      });
    };
    next();
  });
}

export interface Upstreams {
  http: http.Agent;
  https: https.Agent;
  /** The shared trust context (also for TLS to an https:// upstream proxy). */
  secureContext: tls.SecureContext;
  /** The MITM agent whose connections tunnel through `proxy`. */
  httpsVia(proxy: UpstreamProxy): https.Agent;
  close(): void;
}

/**
 * TCP_NODELAY on every upstream TLS socket (https.Agent does not pass `noDelay` down): with Nagle,
 * the request written right after the handshake's Finished waits for the origin's delayed ACK.
 */
class NoDelayAgent extends https.Agent {
  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const socket = super.createConnection(options, callback);
    if (socket instanceof tls.TLSSocket) socket.setNoDelay(true);
    return socket;
  }
}

export function createUpstreams(ca: string[], loaded?: tls.SecureContext): Upstreams {
  const httpAgent = new http.Agent({ keepAlive: true, noDelay: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });
  // The trust store is parsed once into one SecureContext shared by every upstream socket. Passing
  // `ca` instead made the agent join all ~150 root PEMs into its pool key on every request and
  // re-parse them for every new socket (most of the proxy's CPU under load). One agent holds one
  // context, so leaving the context out of the pool key is safe.
  const secureContext = loaded ?? tls.createSecureContext({ ca });
  const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000, secureContext, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] };
  const httpsAgent = new NoDelayAgent(agentOptions);
  const tunnels = new Map<UpstreamProxy, TunnelAgent>();
  return {
    http: httpAgent,
    https: httpsAgent,
    secureContext,
    httpsVia: (proxy) => {
      let a = tunnels.get(proxy);
      if (!a) tunnels.set(proxy, (a = new TunnelAgent(proxy, CONNECT_TIMEOUT_MS, agentOptions)));
      return a;
    },
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
      for (const a of tunnels.values()) a.destroy();
    },
  };
}


export function isIpLiteral(host: string): boolean {
  return isIP(host.replace(/%.*$/, '')) !== 0;
}
