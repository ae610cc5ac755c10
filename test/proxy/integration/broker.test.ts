// Brokered credentials end to end: a gh-style and an OpenAI-style token reach only their bound
// HTTPS upstream as the real value; the client holds only dummies; an unbound host or cleartext
// gets the dummy (reported as a leak attempt); the real value appears nowhere else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { brokerCredentials, BROKER_ENV_KEY, dummyEnv, encodeBrokerSpec, type BrokeredCredential } from '../../../core/broker/credentials';
import { curl, nodeFetch } from './clients';
import { CLI, cleanEnv, disposeProxy, startProxy, type RunningProxy } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const hex = (n: number): string => randomBytes(n).toString('hex');
const GH_REAL = `ghp_canaryGH${hex(14)}`;
const OPENAI_REAL = `sk-proj-canaryOA${hex(20)}-${hex(8)}`;

const POLICY = `default_permissions = "it"
[permissions.it.network]
enabled = true
mode = "full"
allow_local_binding = true
[permissions.it.network.domains]
"api.github.test" = "allow"
"registry.npmjs.test" = "allow"
"other.test" = "allow"
"plain.test" = "allow"
[permissions.it.network.mitm.hooks.other_all]
host = "other.test"
methods = ["GET", "POST"]
path_prefixes = ["/"]
action = ["pass_through"]
[permissions.it.network.mitm.actions.pass_through]
strip_request_headers = ["proxy-authorization"]
`;

function credentials(): BrokeredCredential[] {
  const real: Record<string, string> = { GH_TOKEN: GH_REAL, OPENAI_API_KEY: OPENAI_REAL };
  return brokerCredentials([
    { envVar: 'GH_TOKEN', hosts: ['api.github.test'] },
    // The OpenAI-style key is bound to a second test host (api.openai.com is the built-in binding).
    { envVar: 'OPENAI_API_KEY', hosts: ['registry.npmjs.test'] },
    { envVar: 'UNSET_TOKEN', hosts: ['other.test'] },
  ], (k) => real[k]);
}

function assertNoReal(what: string, text: string): void {
  assert.ok(!text.includes(GH_REAL), `${what} contains the real GitHub token`);
  assert.ok(!text.includes(OPENAI_REAL), `${what} contains the real OpenAI key`);
}

describe('brokered credentials', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  let creds: BrokeredCredential[];
  let gh: string;
  let oa: string;
  let outputs = '';
  before(async () => {
    up = await startUpstreams();
    creds = credentials();
    gh = creds.find((c) => c.envVar === 'GH_TOKEN')!.dummy;
    oa = creds.find((c) => c.envVar === 'OPENAI_API_KEY')!.dummy;
    proxy = await startProxy({ config: POLICY, upstreamCa: [up.https.caCertPath], audit: true, env: { [BROKER_ENV_KEY]: encodeBrokerSpec(creds) } });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
  });

  test('dummies keep the shape: prefix, length, separators; unset variables are not brokered', () => {
    assert.deepEqual(creds.map((c) => c.envVar), ['GH_TOKEN', 'OPENAI_API_KEY']);
    assert.ok(gh.startsWith('ghp_') && gh.length === GH_REAL.length && gh !== GH_REAL);
    assert.ok(oa.startsWith('sk-proj-') && oa.length === OPENAI_REAL.length && oa.indexOf('-', 8) === OPENAI_REAL.indexOf('-', 8) && oa !== OPENAI_REAL);
  });

  test('a shell given the terminal env sees only dummies', () => {
    const r = spawnSync('sh', ['-c', 'env'], { encoding: 'utf8', env: { ...cleanEnv(), ...dummyEnv(creds) } });
    assert.ok(r.stdout.includes(`GH_TOKEN=${gh}`) && r.stdout.includes(`OPENAI_API_KEY=${oa}`));
    assertNoReal('env', r.stdout);
  });

  test('gh-style: `token` and Basic forms reach the bound host as the real token', async () => {
    const n = up.https.received.length;
    const a = await curl(`https://api.github.test:${up.https.port}/user`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, headers: [`Authorization: token ${gh}`, 'x-echo-quiet: 1'] });
    const b = await curl(`https://api.github.test:${up.https.port}/repos/acme/app`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, extra: ['-u', `x-access-token:${gh}`], headers: ['x-echo-quiet: 1'] });
    outputs += a.all + b.all;
    assert.equal(a.status, 200, a.stderr);
    assert.equal(b.status, 200, b.stderr);
    assert.equal(up.https.received[n]!.headers.authorization, `token ${GH_REAL}`);
    assert.equal(up.https.received[n + 1]!.headers.authorization, `Basic ${Buffer.from(`x-access-token:${GH_REAL}`).toString('base64')}`);
  });

  test('OpenAI-style: Bearer via Node fetch reaches the bound host as the real key', async () => {
    const n = up.https.received.length;
    const r = await nodeFetch(`https://registry.npmjs.test:${up.https.port}/v1/models`, { proxy: proxy.proxyUrl, ca: [proxy.listening.caCert], headers: { authorization: `Bearer ${oa}`, 'x-echo-quiet': '1' } });
    outputs += JSON.stringify(r);
    assert.equal(r.status, 200, r.error);
    assert.equal(up.https.received[n]!.headers.authorization, `Bearer ${OPENAI_REAL}`);
  });

  test('a credential is never translated for another bound host, an unbound host, or cleartext; each is reported', async () => {
    const n = up.https.received.length;
    const since = proxy.mark();
    // GH dummy to the OpenAI-bound host, OpenAI dummy to an unbound (MITM'd) host, GH dummy over plain HTTP.
    const cross = await curl(`https://registry.npmjs.test:${up.https.port}/x`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, headers: [`Authorization: Bearer ${gh}`, 'x-echo-quiet: 1'] });
    const unbound = await curl(`https://other.test:${up.https.port}/exfil`, { proxy: proxy.proxyUrl, cacert: proxy.listening.caCert, headers: [`Authorization: Bearer ${oa}`, 'x-echo-quiet: 1'] });
    const plainN = up.http.received.length;
    const plain = await curl(`http://plain.test:${up.http.port}/x`, { proxy: proxy.proxyUrl, headers: [`Authorization: token ${gh}`] });
    outputs += cross.all + unbound.all + plain.all;
    assert.deepEqual([cross.status, unbound.status, plain.status], [200, 200, 200]);
    assert.equal(up.https.received[n]!.headers.authorization, `Bearer ${gh}`);
    assert.equal(up.https.received[n + 1]!.headers.authorization, `Bearer ${oa}`);
    assert.equal(up.http.received[plainN]!.headers.authorization, `token ${gh}`);
    const leak = (name: string, host: string) => proxy.waitFor((e) => e.event === 'error' && String(e.message).includes(`dummy ${name} was sent to ${host}`), { since, what: `a leak report for ${name} → ${host}` });
    await leak('GH_TOKEN', 'registry.npmjs.test');
    await leak('OPENAI_API_KEY', 'other.test');
    const cleartext = await leak('GH_TOKEN', 'plain.test');
    assert.match(String(cleartext.message), /cleartext/);
  });

  test('the real values appear nowhere but at the bound upstream', async () => {
    await new Promise((r) => setTimeout(r, 200));
    assertNoReal('client output', outputs);
    assertNoReal('proxy stdout', proxy.stdout());
    assertNoReal('proxy stderr', proxy.stderr());
    assertNoReal('audit file', readFileSync(proxy.auditPath!, 'utf8'));
    assertNoReal('proxy command line', readFileSync(`/proc/${proxy.child.pid}/cmdline`, 'utf8'));
    const atUpstream = up.https.received.filter((r) => JSON.stringify(r.headers).includes(GH_REAL) || JSON.stringify(r.headers).includes(OPENAI_REAL));
    assert.deepEqual([...new Set(atUpstream.map((r) => r.host?.split(':')[0]))].sort(), ['api.github.test', 'registry.npmjs.test']);
    assertNoReal('plain upstream', JSON.stringify(up.http.received));
  });
});

describe('brokered credentials: guardrails', () => {
  test('learning mode translates nothing', async () => {
    const up = await startUpstreams();
    const creds = credentials();
    const gh = creds[0]!.dummy;
    const p = await startProxy({ config: POLICY, upstreamCa: [up.https.caCertPath], env: { [BROKER_ENV_KEY]: encodeBrokerSpec(creds) }, args: ['--learn'] });
    try {
      const n = up.https.received.length;
      const r = await curl(`https://api.github.test:${up.https.port}/user`, { proxy: p.proxyUrl, cacert: p.listening.caCert, headers: [`Authorization: token ${gh}`, 'x-echo-quiet: 1'] });
      assert.equal(r.status, 200, r.stderr);
      assert.equal(up.https.received[n]!.headers.authorization, `token ${gh}`);
    } finally {
      await disposeProxy(p);
      await up.close();
    }
  });

  test('a malformed spec is refused without echoing any value', async () => {
    const { runProxyToExit } = await import('./harness');
    const r = await runProxyToExit({ config: POLICY, env: { [BROKER_ENV_KEY]: JSON.stringify([{ envVar: 'GH_TOKEN', real: GH_REAL, dummy: GH_REAL, hosts: [] }]) } });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /entry 1 needs envVar, hosts, dummy and real/);
    assertNoReal('stderr', r.stderr + r.stdout);
    r.dir.cleanup();
  });
});

describe('brokered credentials from the CLI', () => {
  test('proxy --broker takes real values from its env; `env` prints only dummies; the bound host gets the real token', async () => {
    const up = await startUpstreams();
    const p = await startProxy({ config: POLICY, upstreamCa: [up.https.caCertPath], env: { GH_TOKEN: GH_REAL }, args: ['--broker', '--broker-bind', 'GH_TOKEN=api.github.test'] });
    try {
      const env = spawnSync(process.execPath, [CLI, 'env', '--shell', 'bash'], { encoding: 'utf8', env: cleanEnv({ CODEX_NETPOLICY_HOME: p.netpolicyHome }) });
      assert.equal(env.status, 0, env.stderr);
      assertNoReal('env output', env.stdout + env.stderr);
      assertNoReal('state file', readFileSync(join(p.netpolicyHome, 'proxy.json'), 'utf8'));
      const dummy = /^export GH_TOKEN='?(ghp_[A-Za-z0-9]+)'?$/m.exec(env.stdout)?.[1];
      assert.ok(dummy && dummy.length === GH_REAL.length, env.stdout);
      const n = up.https.received.length;
      const r = await curl(`https://api.github.test:${up.https.port}/user`, { proxy: p.proxyUrl, cacert: p.listening.caCert, headers: [`Authorization: Bearer ${dummy}`, 'x-echo-quiet: 1'] });
      assert.equal(r.status, 200, r.stderr);
      assert.equal(up.https.received[n]!.headers.authorization, `Bearer ${GH_REAL}`);
      assertNoReal('proxy output', p.stdout() + p.stderr() + readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8'));
    } finally {
      await disposeProxy(p);
      await up.close();
    }
  });
});
