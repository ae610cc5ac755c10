// Bulk transfers through a raw CONNECT tunnel with a real client (curl --proxytunnel, plain HTTP
// inside the tunnel so the origin needs no certificate): the download side runs through relay.ts,
// the upload side through pipe(). Random content, checked by hash, at full speed and rate-limited.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from './clients';
import { decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('bulk transfers through a raw tunnel (curl --proxytunnel)', () => {
  const blob = randomBytes(40 << 20);
  const uploads: string[] = [];
  let origin: Server;
  let port: number;
  let proxy: RunningProxy;
  let dir: TempDir;
  before(async () => {
    dir = tempDir('tunnel-bulk-');
    // GET /blob sends the blob in uneven writes; PUT answers with the hash of what arrived.
    origin = createServer((req, res) => {
      if (req.method === 'PUT') {
        const h = createHash('sha256');
        req.on('data', (c: Buffer) => h.update(c));
        req.on('end', () => {
          uploads.push(h.digest('hex'));
          res.end('ok');
        });
        return;
      }
      res.writeHead(200, { 'content-length': blob.length });
      let at = 0;
      const pump = (): void => {
        while (at < blob.length) {
          const end = Math.min(blob.length, at + 100_000 + (at % 900_001));
          const more = res.write(blob.subarray(at, end));
          at = end;
          if (!more) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    port = (origin.address() as AddressInfo).port;
    proxy = await startProxy({ config: fixture('full.toml') });
  });
  after(async () => {
    await disposeProxy(proxy);
    origin.close();
    dir.cleanup();
  });

  const get = (out: string, extra: string[] = []): Promise<{ code: number; stderr: string }> =>
    run('curl', ['-q', '-sS', '--max-time', '60', '--proxytunnel', '-x', proxy.proxyUrl, '-o', out, ...extra, `http://plain.test:${port}/blob`], { timeoutMs: 70_000 });

  test('a 40 MiB download at full speed arrives intact, as a raw tunnel', async () => {
    const since = proxy.mark();
    const out = join(dir.path, 'fast.bin');
    const r = await get(out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(readFileSync(out)), sha(blob));
    const d = await decisionFor(proxy, 'plain.test', since);
    assert.equal(d.decision, 'allow');
    assert.equal(d.mitm, false);
  });

  test('a download to a slow client (curl --limit-rate) arrives intact', async () => {
    const out = join(dir.path, 'slow.bin');
    // 40 MiB at 40 MB/s: ~1 s in which the proxy's writes to curl back up.
    const r = await get(out, ['--limit-rate', '40M']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(readFileSync(out)), sha(blob));
  });

  test('a 24 MiB upload (PUT) arrives intact', async () => {
    const file = join(dir.path, 'up.bin');
    const body = randomBytes(24 << 20);
    writeFileSync(file, body);
    const r = await run('curl', ['-q', '-sS', '--max-time', '60', '--proxytunnel', '-x', proxy.proxyUrl, '-T', file, `http://plain.test:${port}/up`], { timeoutMs: 70_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok');
    assert.deepEqual(uploads, [sha(body)]);
  });
});
