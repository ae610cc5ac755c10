import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { writeClientError, writeRaw } from '../../../core/proxy/responses';

function written(f: (s: PassThrough) => void): string {
  const s = new PassThrough();
  let out = '';
  s.on('data', (c: Buffer) => (out += c.toString()));
  f(s);
  return out;
}

test('writeRaw: status line, length, connection close; a 200 that keeps the tunnel open has no body headers', () => {
  assert.equal(written((s) => writeRaw(s, 503, 'busy', { 'retry-after': '1' })), 'HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy');
  assert.equal(written((s) => writeRaw(s, 200, '', {}, true)), 'HTTP/1.1 200 Connection established\r\n\r\n');
});

test('parser errors map to the status that names them', () => {
  const status = (code: string): string => written((s) => writeClientError(s, Object.assign(new Error(code), { code }))).split('\r\n')[0]!;
  assert.equal(status('HPE_HEADER_OVERFLOW'), 'HTTP/1.1 431 Request Header Fields Too Large');
  assert.equal(status('HPE_INVALID_VERSION'), 'HTTP/1.1 505 HTTP Version Not Supported');
  assert.equal(status('ERR_HTTP_REQUEST_TIMEOUT'), 'HTTP/1.1 408 Request Timeout');
  assert.equal(status('HPE_INVALID_METHOD'), 'HTTP/1.1 400 Bad Request');
});
