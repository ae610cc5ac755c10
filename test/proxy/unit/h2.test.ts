// Header translation into and out of HTTP/2 (core/proxy/h2.ts): connection-specific headers never
// cross, `te: trailers` survives for gRPC, repeated headers stay separate values, and a real Node
// h2 server accepts what we build (it rejects connection-specific headers outright).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { h2RequestHeaders, h2ResponseHeaders } from '../../../core/proxy/h2';

const H1_HEADERS = [
  ['Host', 'api.example.test:8443'], ['Connection', 'keep-alive, x-private'], ['Keep-Alive', 'timeout=5'], ['Transfer-Encoding', 'chunked'],
  ['Upgrade', 'websocket'], ['Proxy-Connection', 'keep-alive'], ['HTTP2-Settings', 'AAMAAABkAAQAoAAAAAIAAAAA'], ['TE', 'trailers'],
  ['Cookie', 'a=1'], ['Cookie', 'b=2'], ['X-Keep', 'yes'],
].flat();

describe('h2 header translation', () => {
  test('request: pseudo-headers set (Host → :authority), connection-specific headers dropped, te: trailers only when asked', () => {
    const h = h2RequestHeaders('POST', '/svc/Method', H1_HEADERS, true);
    assert.deepEqual(h, { ':method': 'POST', ':path': '/svc/Method', ':authority': 'api.example.test:8443', ':scheme': 'https', cookie: ['a=1', 'b=2'], 'x-keep': 'yes', te: 'trailers' });
    assert.equal(h2RequestHeaders('GET', '/', H1_HEADERS, false).te, undefined);
  });

  test('response: pseudo-headers and connection-specific headers removed', () => {
    assert.deepEqual(h2ResponseHeaders({ ':status': 200 as unknown as string, 'content-type': 'application/grpc', connection: 'close', 'grpc-status': '0' }), { 'content-type': 'application/grpc', 'grpc-status': '0' });
  });

  test('a Node h2 server accepts the translated request and sees each value', async () => {
    const server = http2.createServer((req, res) => res.end(JSON.stringify({ cookie: req.headers.cookie, te: req.headers.te, keep: req.headers['x-keep'], authority: req.headers[':authority'] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const headers = { ...h2RequestHeaders('GET', '/', H1_HEADERS, true), ':scheme': 'http' };
        const s = session.request(headers, { endStream: true });
        let text = '';
        s.setEncoding('utf8');
        s.on('data', (c: string) => (text += c));
        s.on('end', () => resolve(text));
        s.on('error', reject);
      });
      assert.deepEqual(JSON.parse(body), { cookie: 'a=1; b=2', te: 'trailers', keep: 'yes', authority: 'api.example.test:8443' });
    } finally {
      session.close();
      server.close();
    }
  });
});
