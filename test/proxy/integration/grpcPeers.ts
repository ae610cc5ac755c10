// Shared gRPC peers for the proxy's gRPC tests: a hand-built service definition with JSON
// serializers (no protobuf), a local TLS grpc-js server with a leaf from a test CA, and a grpc-js
// client that finds the proxy through `grpc_proxy` (as a proxied terminal's environment gives it)
// and trusts the proxy's CA.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export type Msg = Record<string, unknown>;

const serialize = (v: Msg): Buffer => Buffer.from(JSON.stringify(v));
const deserialize = (b: Buffer): Msg => JSON.parse(b.toString()) as Msg;

/** One method of a JSON-serialised service; `path` is `/package.Service/Method`. */
export function method(path: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Msg, Msg> {
  return {
    path, requestStream, responseStream,
    requestSerialize: serialize, requestDeserialize: deserialize, responseSerialize: serialize, responseDeserialize: deserialize,
  };
}

/** A TLS gRPC server on 127.0.0.1:<ephemeral> presenting `leaf`. */
export async function startGrpcServer(service: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation, leaf: { keyPem: string; certPem: string }): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(service, impl);
  const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(leaf.keyPem), cert_chain: Buffer.from(leaf.certPem) }]);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  return { server, port };
}

export function stopGrpcServer(server: grpc.Server | undefined): Promise<void> {
  return new Promise<void>((r) => (server ? server.tryShutdown(() => r()) : r()));
}

/** A client of `service` for `target` whose channel goes through `proxyUrl` (grpc-js reads its proxy from the environment when the channel is created). */
export function proxiedClient<C extends grpc.Client>(service: grpc.ServiceDefinition, target: string, proxyUrl: string, proxyCaCert: string): C {
  const saved = { grpc_proxy: process.env.grpc_proxy, no_grpc_proxy: process.env.no_grpc_proxy, no_proxy: process.env.no_proxy };
  process.env.grpc_proxy = proxyUrl;
  delete process.env.no_grpc_proxy;
  delete process.env.no_proxy;
  try {
    const Client = grpc.makeGenericClientConstructor(service, 'Svc') as unknown as new (target: string, creds: grpc.ChannelCredentials) => C;
    return new Client(target, grpc.credentials.createSsl(readFileSync(proxyCaCert)));
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
