// gRPC through the MITM proxy with @grpc/grpc-js on both ends: the client finds the proxy through
// `grpc_proxy` (as a proxied terminal's environment would give it) and trusts the proxy CA; the
// server is a local TLS gRPC server. The service is built by hand with JSON serializers (no
// protobuf). Each call is an h2 stream: judged, the hook strips and injects metadata, and the
// status (in h2 response trailers) comes back through the proxy, errors included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadOrCreateCa } from '../../../core/ca/index';
import { method, proxiedClient, startGrpcServer, stopGrpcServer, type Msg } from './grpcPeers';
import { decisionFor, disposeProxy, startProxy, type RunningProxy } from './harness';

const CANARY = `canary-grpc-${randomBytes(12).toString('hex')}`;

const POLICY = `
default_permissions = "it"
[permissions.it.network]
enabled = true
mode = "full"
allow_local_binding = true
[permissions.it.network.domains]
"api.github.test" = "allow"
[permissions.it.network.mitm.hooks.grpc]
host = "api.github.test"
methods = ["POST"]
path_prefixes = ["/test.Echo/"]
action = ["token"]
[permissions.it.network.mitm.actions.token]
strip_request_headers = ["x-api-key"]
[[permissions.it.network.mitm.actions.token.inject_request_headers]]
name = "authorization"
secret_env_var = "IT_GRPC_TOKEN"
prefix = "Bearer "
`;

const SERVICE = {
  unary: method('/test.Echo/Unary', false, false),
  fail: method('/test.Echo/Fail', false, false),
  count: method('/test.Echo/Count', false, true),
  other: method('/other.Svc/Call', false, false),
};

interface EchoClient extends grpc.Client {
  unary(req: Msg, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r?: Msg) => void): grpc.ClientUnaryCall;
  fail(req: Msg, cb: (e: grpc.ServiceError | null, r?: Msg) => void): grpc.ClientUnaryCall;
  other(req: Msg, cb: (e: grpc.ServiceError | null, r?: Msg) => void): grpc.ClientUnaryCall;
  count(req: Msg): grpc.ClientReadableStream<Msg>;
}

describe('gRPC (grpc-js) through the MITM proxy', () => {
  let server: grpc.Server;
  let port: number;
  let dir: string;
  let proxy: RunningProxy;
  let client: EchoClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grpc-it-'));
    const ca = await loadOrCreateCa(join(dir, 'upstream-ca'));
    const leaf = ca.leafFor('api.github.test');
    ({ server, port } = await startGrpcServer(SERVICE, {
      unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
        cb(null, { echo: call.request.text, authorization: call.metadata.get('authorization')[0] === `Bearer ${CANARY}`, apiKey: call.metadata.get('x-api-key').length });
      },
      fail: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => cb({ code: grpc.status.FAILED_PRECONDITION, details: 'not today' }),
      count: (call: grpc.ServerWritableStream<Msg, Msg>) => {
        for (let i = 1; i <= Number(call.request.upTo); i++) call.write({ n: i });
        call.end();
      },
      other: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => cb(null, {}),
    }, leaf));
    proxy = await startProxy({ config: POLICY, env: { IT_GRPC_TOKEN: CANARY }, upstreamCa: [ca.certPath] });
    client = proxiedClient<EchoClient>(SERVICE, `api.github.test:${port}`, proxy.proxyUrl, proxy.listening.caCert);
  });
  after(async () => {
    client?.close();
    await disposeProxy(proxy);
    await stopGrpcServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  test('unary call: h2 stream judged, metadata stripped and injected, reply back', async () => {
    const since = proxy.mark();
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer agent');
    md.set('x-api-key', 'k');
    const reply = await new Promise<Msg>((resolve, reject) => client.unary({ text: 'hi' }, md, (e, r) => (e ? reject(e) : resolve(r!))));
    assert.deepEqual(reply, { echo: 'hi', authorization: true, apiKey: 0 });
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.method === 'POST');
    assert.equal(d.decision, 'allow');
    assert.equal(d.hook, 'grpc');
    assert.equal(d.path, '/test.Echo/Unary');
    assert.ok(!proxy.stdout().includes(CANARY));
  });

  test('a gRPC error status (a trailers-only answer) travels back through the proxy', async () => {
    const e = await new Promise<grpc.ServiceError | null>((resolve) => client.fail({}, (err) => resolve(err)));
    assert.equal(e?.code, grpc.status.FAILED_PRECONDITION, e?.details);
    assert.equal(e?.details, 'not today');
  });

  test('server streaming: every message and the final status arrive', async () => {
    const got: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = client.count({ upTo: 5 });
      s.on('data', (m: Msg) => got.push(Number(m.n)));
      s.on('error', reject);
      s.on('status', (st: grpc.StatusObject) => (st.code === grpc.status.OK ? resolve() : reject(new Error(st.details))));
    });
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
  });

  test('a method no hook matches is denied (403 on the h2 stream): the call fails, the decision says why', async () => {
    const since = proxy.mark();
    const e = await new Promise<grpc.ServiceError | null>((resolve) => client.other({}, (err) => resolve(err)));
    // grpc-js maps the stream's HTTP 403 to PERMISSION_DENIED.
    assert.equal(e?.code, grpc.status.PERMISSION_DENIED, e?.details);
    const d = await decisionFor(proxy, 'api.github.test', since, (ev) => ev.method === 'POST');
    assert.equal(d.decision, 'deny');
    assert.equal(d.proxyError, 'blocked-by-mitm-hook');
  });
});
