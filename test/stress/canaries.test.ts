// Secret canaries in every output that is not the proxy's own stdout/stderr/audit (the load suite
// checks those): `check`, `explain`, `effective`, `fleet` (text, --json, --markdown), the decision
// log as the extension's panel receives it, and its JSONL / HAR exports. The secrets are an
// injected env value, an injected file value, a client's own Authorization header, a query string
// and a credential written inline into the config. Real CLI processes, a real proxy, real TLS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DecisionStore } from '../../client/logic/decisionStore';
import { parseProxyLine as parseEventLine } from '../../core/proxy/protocol';
import { toHar, toJsonl } from '../../client/logic/export';
import type { ToWebview } from '../../client/panel/protocol';
import { connectTunnel, ResponseReader, tempDir, testCa, tlsOver } from '../proxy/unit/helpers';
import { CANARY, proxiedGet, spawnProxy } from './spawned';

const CLI = resolve(__dirname, '../../dist/cli.js');
const FILE_CANARY = 'canary-FILE-7c41d2';
const HEADER_CANARY = 'canary-HDR-92ab10';
const QUERY_CANARY = 'canary-QRY-55e0f3';
const INLINE_CANARY = 'sk-canaryINLINE0a1b2c3d4e5f6a7b8';
const ALL = [CANARY, FILE_CANARY, HEADER_CANARY, QUERY_CANARY, INLINE_CANARY];

function hits(text: string): string[] {
  return ALL.filter((c) => text.includes(c));
}

const config = (secretFile: string, upPort: number) => `
default_permissions = "c"
[permissions.c.network]
enabled = true
allow_local_binding = true
[permissions.c.network.domains]
"ok.test" = "allow"
"api.test" = "allow"
"no.test" = "deny"
[permissions.c.network.mitm.hooks.api]
host = "api.test"
methods = ["GET"]
path_prefixes = ["/"]
action = ["inject"]
[permissions.c.network.mitm.actions.inject]
[[permissions.c.network.mitm.actions.inject.inject_request_headers]]
name = "authorization"
secret_env_var = "STRESS_TOKEN"
prefix = "Bearer "
[[permissions.c.network.mitm.actions.inject.inject_request_headers]]
name = "x-file-token"
secret_file = ${JSON.stringify(secretFile)}
[mcp_servers.tools]
command = "tools"
[mcp_servers.tools.env]
API_KEY = "${INLINE_CANARY}"
# upstream ${upPort}
`;

const REQUIREMENTS = `
default_permissions = "c"
[allowed_permission_profiles]
c = true
[permissions.c.network]
enabled = true
[experimental_network.domains]
"ok.test" = "deny"
`;

describe('secret canaries in CLI reports, the panel and exports', () => {
  let dir: string;
  let configPath: string;
  let requirementsPath: string;
  let secretFile: string;
  let caFile: string;
  let plain: http.Server;
  let api: https.Server;
  let ports: { plain: number; api: number };
  const seenByUpstream: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnp-canary-'));
    secretFile = join(dir, 'token.txt');
    writeFileSync(secretFile, FILE_CANARY + '\n', { mode: 0o600 });
    const ca = await testCa(tempDir());
    caFile = ca.certPath;
    plain = http.createServer((req, res) => res.end(`ok ${req.url}`));
    const leaf = ca.leafFor('api.test');
    api = https.createServer({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, (req, res) => {
      seenByUpstream.push(`${req.headers.authorization} ${req.headers['x-file-token']}`);
      res.end('api ok');
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
    ports = { plain: (plain.address() as { port: number }).port, api: (api.address() as { port: number }).port };
    configPath = join(dir, 'config.toml');
    writeFileSync(configPath, config(secretFile, ports.api));
    requirementsPath = join(dir, 'requirements.toml');
    writeFileSync(requirementsPath, REQUIREMENTS);
  });
  after(() => {
    plain.close();
    api.close();
  });

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir, STRESS_TOKEN: CANARY } });
    return { out: r.stdout + r.stderr, status: r.status };
  };

  test('check, explain, effective and fleet print no secret (text, --json, --markdown)', () => {
    const url = `https://api.test:${ports.api}/m?token=${QUERY_CANARY}`;
    const runs = {
      check: cli('check', configPath),
      checkJson: cli('check', '--json', configPath),
      checkWithRequirements: cli('check', '--json', '--requirements', requirementsPath, configPath),
      explain: cli('explain', '--config', configPath, '--resolve', 'api.test=127.0.0.1', '--header', `Authorization: Bearer ${HEADER_CANARY}`, 'GET', url),
      explainJson: cli('explain', '--json', '--config', configPath, '--resolve', 'api.test=127.0.0.1', '--header', `X-Client: ${HEADER_CANARY}`, 'GET', url),
      effective: cli('effective', '--config', configPath),
      effectiveJson: cli('effective', '--json', '--config', configPath),
      fleet: cli('fleet', '--requirements', requirementsPath, configPath),
      fleetJson: cli('fleet', '--requirements', requirementsPath, '--json', configPath),
      fleetMarkdown: cli('fleet', '--requirements', requirementsPath, '--markdown', configPath),
    };
    // The reports ran and said something real (a canary check on empty output proves nothing).
    assert.match(runs.checkJson.out, /inline-secret/, 'check flags the inline credential (by name)');
    assert.match(runs.explain.out, /api\.test/);
    assert.match(runs.effectiveJson.out, /x-file-token/);
    assert.match(runs.fleet.out, /ok\.test/);
    const leaks = Object.entries(runs).flatMap(([name, r]) => hits(r.out).map((c) => `${name}: ${c}`));
    assert.deepEqual(leaks, []);
  });

  test('the panel data and the JSONL / HAR exports of real traffic carry no secret', { timeout: 60_000 }, async () => {
    const p = await spawnProxy(readFileSync(configPath, 'utf8'), ['--auth', 'off', '--upstream-ca', caFile], { hosts: ['ok.test', 'no.test', 'api.test'] });
    try {
      // A MITM request the hook decorates with both secrets, the client's own token and a query.
      const { res, socket } = await connectTunnel(p.port, `api.test:${ports.api}`);
      assert.equal(res.status, 200);
      const caPem = readFileSync(join(p.dir, 'ca', 'ca.pem'), 'utf8');
      const t = await tlsOver(socket, 'api.test', caPem);
      const reader = new ResponseReader(t);
      t.write(`GET /m?token=${QUERY_CANARY} HTTP/1.1\r\nHost: api.test\r\nX-Client: ${HEADER_CANARY}\r\n\r\n`);
      assert.equal((await reader.next(10_000)).status, 200);
      t.destroy();
      assert.deepEqual(seenByUpstream, [`Bearer ${CANARY} ${FILE_CANARY}`], 'the hook injected both secrets');
      assert.equal((await proxiedGet(p.port, `http://ok.test:${ports.plain}/p?token=${QUERY_CANARY}`)).status, 200);
      assert.equal((await proxiedGet(p.port, `http://no.test:${ports.plain}/d?key=${QUERY_CANARY}`)).status, 403);
      p.child.kill('SIGTERM');
      await p.exited;

      // What the extension does with the proxy's stdout: parse, store, post to the webview.
      const store = new DecisionStore();
      for (const line of p.stdout().split('\n').filter(Boolean)) {
        const e = parseEventLine(line);
        if (e.event === 'decision') store.add(e);
        else if (e.event === 'outcome') store.applyOutcome(e);
      }
      const events = store.all();
      assert.ok(events.length >= 4, `decisions reached the store: ${events.length}`);
      const panel: ToWebview[] = [{ type: 'init', events, status: 'running' }, { type: 'add', events }, { type: 'update', events }];
      const outputs = {
        panel: JSON.stringify(panel),
        jsonl: toJsonl(events),
        har: JSON.stringify(toHar(events, '0.0.0')),
        stdout: p.stdout(),
        stderr: p.stderr(),
        audit: readFileSync(p.auditPath, 'utf8'),
      };
      assert.match(outputs.panel, /x-file-token/, 'the panel shows the injected header names');
      const leaks = Object.entries(outputs).flatMap(([name, text]) => hits(text).map((c) => `${name}: ${c}`));
      assert.deepEqual(leaks, []);
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
