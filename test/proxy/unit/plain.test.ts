import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { httpUpstream, rawRequest, startRig, tcp, ResponseReader, type Rig, type Upstream } from './helpers';

const CONFIG = `
default_permissions = "work"
[permissions.work.network]
enabled = true
allow_local_binding = true
[permissions.work.network.domains]
"plain.test" = "allow"
"blocked.test" = "deny"
`;

describe('plain HTTP proxying', () => {
  let rig: Rig;
  let up: Upstream;
  before(async () => {
    up = await httpUpstream();
    rig = await startRig(CONFIG);
  });
  after(async () => {
    await rig.close();
    await up.close();
  });

  test('allowed request is forwarded with hop-by-hop headers stripped both ways', async () => {
    const res = await rawRequest(rig.port, `GET http://plain.test:${up.port}/hello?q=1 HTTP/1.1\r\nHost: plain.test:${up.port}\r\nProxy-Connection: keep-alive\r\nConnection: x-private\r\nX-Private: 1\r\nTE: trailers\r\nX-Keep: yes\r\n\r\n`);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'upstream saw GET /hello?q=1');
    assert.equal(res.headers['x-upstream'], 'yes');
    assert.equal(res.headers['x-hop'], undefined, 'header named by upstream Connection is dropped');
    const seen = up.seen.at(-1)!;
    assert.equal(seen.headers['x-keep'], 'yes');
    assert.equal(seen.headers['x-private'], undefined);
    assert.equal(seen.headers['proxy-connection'], undefined);
    assert.equal(seen.headers.te, undefined);
    assert.equal(seen.headers.host, `plain.test:${up.port}`);
    const ev = rig.decisions().at(-1)!;
    assert.equal(ev.decision, 'allow');
    assert.equal(ev.path, '/hello', 'no query in events');
    assert.equal(ev.protocol, 'http');
    assert.deepEqual(ev.rule, { file: rig.configPath, line: 7 });
  });

  test('blocked host gets a JSON 403 with x-proxy-error', async () => {
    const res = await rawRequest(rig.port, `GET http://nope.test/x HTTP/1.1\r\nHost: nope.test\r\n\r\n`);
    assert.equal(res.status, 403);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['x-proxy-error'], 'blocked-by-allowlist');
    assert.deepEqual(JSON.parse(res.body), {
      status: 'blocked', host: 'nope.test', reason: 'not_allowed', decision: 'deny', source: 'baseline_policy', protocol: 'http', port: 80, message: 'Domain not in allowlist.',
      explanation: 'nope.test is not in the allowlist',
    });
    const d = await rawRequest(rig.port, `GET http://blocked.test/x HTTP/1.1\r\nHost: blocked.test\r\n\r\n`);
    assert.equal(d.headers['x-proxy-error'], 'blocked-by-denylist');
  });

  test('origin-form request to the proxy is a 400', async () => {
    const res = await rawRequest(rig.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(res.status, 400);
  });

  test('Host header must match the absolute-form target', async () => {
    const res = await rawRequest(rig.port, `GET http://plain.test:${up.port}/ HTTP/1.1\r\nHost: evil.test\r\n\r\n`);
    assert.equal(res.status, 400);
    assert.match(res.body, /Host header does not match/);
  });

  test('garbage gets 400, huge headers 431', async () => {
    assert.equal((await rawRequest(rig.port, 'BLAH\r\n\r\n')).status, 400);
    const big = 'x'.repeat(40_000);
    assert.equal((await rawRequest(rig.port, `GET http://plain.test/ HTTP/1.1\r\nHost: plain.test\r\nX-Big: ${big}\r\n\r\n`)).status, 431);
  });

  test('keep-alive and pipelined requests are each judged on their own', async () => {
    const s = await tcp(rig.port);
    const reader = new ResponseReader(s);
    const before = rig.decisions().length;
    s.write(
      `GET http://plain.test:${up.port}/one HTTP/1.1\r\nHost: plain.test:${up.port}\r\n\r\n` +
      `GET http://nope.test/two HTTP/1.1\r\nHost: nope.test\r\n\r\n` +
      `GET http://plain.test:${up.port}/three HTTP/1.1\r\nHost: plain.test:${up.port}\r\n\r\n`,
    );
    const r1 = await reader.next();
    const r2 = await reader.next();
    const r3 = await reader.next();
    assert.deepEqual([r1.status, r2.status, r3.status], [200, 403, 200]);
    assert.equal(r3.body, 'upstream saw GET /three');
    const evs = rig.decisions().slice(before);
    assert.deepEqual(evs.map((e) => `${e.decision} ${e.host} ${e.path}`), ['allow plain.test /one', 'deny nope.test /two', 'allow plain.test /three']);
    s.destroy();
  });

  test('request bodies stream through', async () => {
    const body = 'a'.repeat(200_000);
    const res = await rawRequest(rig.port, `POST http://plain.test:${up.port}/upload HTTP/1.1\r\nHost: plain.test:${up.port}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.equal(res.status, 200);
    assert.equal(up.seen.at(-1)!.body.length, body.length);
  });

  test('upstream failure → 502', async () => {
    const res = await rawRequest(rig.port, `GET http://plain.test:1/ HTTP/1.1\r\nHost: plain.test:1\r\n\r\n`);
    assert.equal(res.status, 502);
    assert.equal(res.body, 'upstream failure');
  });

  test('events are JSON-serialisable and carry ids in order', () => {
    const ids = rig.decisions().map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.ok(rig.proxy.events.recent().length >= ids.length);
    for (const e of rig.decisions()) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('limited mode and local addresses', () => {
  test('limited mode blocks POST with method policy, allows GET', async () => {
    const up = await httpUpstream();
    const rig = await startRig(CONFIG.replace('enabled = true', 'enabled = true\nmode = "limited"'));
    try {
      const post = await rawRequest(rig.port, `POST http://plain.test:${up.port}/x HTTP/1.1\r\nHost: plain.test:${up.port}\r\nContent-Length: 0\r\n\r\n`);
      assert.equal(post.status, 403);
      assert.equal(post.headers['x-proxy-error'], 'blocked-by-method-policy');
      assert.equal(JSON.parse(post.body).reason, 'method_not_allowed');
      const get = await rawRequest(rig.port, `GET http://plain.test:${up.port}/x HTTP/1.1\r\nHost: plain.test:${up.port}\r\n\r\n`);
      assert.equal(get.status, 200);
      assert.equal(up.seen.length, 1);
    } finally {
      await rig.close();
      await up.close();
    }
  });

  test('a name resolving to loopback is blocked when local binding is off; unresolvable fails closed', async () => {
    const up = await httpUpstream();
    const rig = await startRig(CONFIG.replace('allow_local_binding = true', 'allow_local_binding = false'), {
      overrides: new Map([['plain.test', ['127.0.0.1']], ['gone.test', []]]),
    });
    try {
      const res = await rawRequest(rig.port, `GET http://plain.test:${up.port}/x HTTP/1.1\r\nHost: plain.test:${up.port}\r\n\r\n`);
      assert.equal(res.status, 403);
      assert.equal(JSON.parse(res.body).reason, 'not_allowed_local');
      const lit = await rawRequest(rig.port, `GET http://127.0.0.1:${up.port}/x HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n\r\n`);
      assert.equal(JSON.parse(lit.body).reason, 'not_allowed_local');
      assert.equal(up.seen.length, 0, 'nothing reached the upstream');
    } finally {
      await rig.close();
      await up.close();
    }
  });
});
