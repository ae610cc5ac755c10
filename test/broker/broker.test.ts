import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { bindingMatches, brokerCredentials, defaultBindings, dummyFor, encodeBrokerSpec, parseBrokerSpec } from '../../core/broker/credentials';
import { carriesDummy, translateAuthorization } from '../../core/broker/translate';
import { attachBroker, brokerDecision, brokerRequest } from '../../core/proxy/broker';
import { learnDecision, markLearning } from '../../core/proxy/learn';
import { decide } from '../../core/policy/decide';
import { policyOf } from '../helpers/policy';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('translateAuthorization', () => {
  test('Bearer and token with exactly the dummy; scheme case kept', () => {
    assert.equal(translateAuthorization('Bearer D', 'D', 'R'), 'Bearer R');
    assert.equal(translateAuthorization('token D', 'D', 'R'), 'token R');
    assert.equal(translateAuthorization('bearer  D ', 'D', 'R'), 'bearer R');
    assert.equal(translateAuthorization('Bearer DX', 'D', 'R'), null);
    assert.equal(translateAuthorization('Bearer xD', 'D', 'R'), null);
    assert.equal(translateAuthorization('Digest D', 'D', 'R'), null);
  });
  test('Basic: the dummy as user or as password', () => {
    assert.equal(translateAuthorization(`Basic ${b64('x-access-token:D')}`, 'D', 'R'), `Basic ${b64('x-access-token:R')}`);
    assert.equal(translateAuthorization(`Basic ${b64('D:x-oauth-basic')}`, 'D', 'R'), `Basic ${b64('R:x-oauth-basic')}`);
    assert.equal(translateAuthorization(`Basic ${b64('user:other')}`, 'D', 'R'), null);
    assert.equal(translateAuthorization('Basic !!!', 'D', 'R'), null);
  });
  test('carriesDummy sees the dummy anywhere, also inside Basic', () => {
    assert.ok(carriesDummy('x D y', 'D'));
    assert.ok(carriesDummy(`Basic ${b64('u:D')}`, 'D'));
    assert.ok(!carriesDummy('Bearer other', 'D'));
  });
});

describe('credentials', () => {
  test('built-in bindings: GitHub cloud, enterprise via GH_HOST, OpenAI plus an https OPENAI_BASE_URL only', () => {
    const base = defaultBindings({});
    assert.deepEqual(base.map((b) => b.envVar), ['GH_TOKEN', 'GITHUB_TOKEN', 'OPENAI_API_KEY']);
    assert.ok(bindingMatches(base[0]!.hosts, 'api.github.com') && bindingMatches(base[0]!.hosts, 'acme.ghe.com') && !bindingMatches(base[0]!.hosts, 'ghe.com') && !bindingMatches(base[0]!.hosts, 'evilgithub.com'));
    const ent = defaultBindings({ GH_HOST: 'GHE.Corp.Example', OPENAI_BASE_URL: 'https://llm.corp.example/v1' });
    assert.deepEqual(ent.find((b) => b.envVar === 'GH_ENTERPRISE_TOKEN')?.hosts, ['ghe.corp.example']);
    assert.deepEqual(ent.find((b) => b.envVar === 'OPENAI_API_KEY')?.hosts, ['api.openai.com', 'llm.corp.example']);
    assert.deepEqual(defaultBindings({ OPENAI_BASE_URL: 'http://llm.corp.example/v1' }).find((b) => b.envVar === 'OPENAI_API_KEY')?.hosts, ['api.openai.com']);
  });
  test('dummies: same prefix, length and separators, never the real value', () => {
    for (const real of ['ghp_' + 'a'.repeat(36), 'github_pat_11AB_' + 'c'.repeat(40), 'sk-proj-abc-def_ghi' + 'x'.repeat(30), 'npm_' + 'z'.repeat(36), 'plainsecret']) {
      const d = dummyFor(real);
      assert.notEqual(d, real);
      assert.equal(d.length, Math.max(real.length, 16), real);
      const shape = (s: string) => s.replace(/[A-Za-z0-9]/g, 'a');
      assert.equal(shape(d).slice(0, real.length), shape(real), real);
    }
    assert.ok(dummyFor('ghp_' + 'a'.repeat(36)).startsWith('ghp_'));
    assert.ok(dummyFor('sk-proj-' + 'a'.repeat(40)).startsWith('sk-proj-'));
  });
  test('a dummy is kept while the real value is unchanged; unset or blank values are skipped', () => {
    const bindings = [{ envVar: 'A', hosts: ['a.test'] }, { envVar: 'B', hosts: ['b.test'] }];
    const first = brokerCredentials(bindings, (k) => ({ A: 'secret-a-1234567890' } as Record<string, string>)[k]);
    assert.deepEqual(first.map((c) => c.envVar), ['A']);
    assert.equal(brokerCredentials(bindings, () => 'secret-a-1234567890', first)[0]!.dummy, first[0]!.dummy);
    assert.notEqual(brokerCredentials(bindings, () => 'secret-a-changed', first)[0]!.dummy, first[0]!.dummy);
    assert.deepEqual(brokerCredentials(bindings, () => '  '), []);
  });
  test('spec round trip; malformed specs name the entry, never a value', () => {
    const creds = brokerCredentials([{ envVar: 'A', hosts: ['a.test'] }], () => 'canary-spec-value');
    assert.deepEqual(parseBrokerSpec(encodeBrokerSpec(creds)), creds);
    for (const bad of ['nope', '{}', JSON.stringify([{ envVar: 'A', hosts: ['x'], dummy: 'canary-spec-value', real: 'canary-spec-value' }])]) {
      const r = parseBrokerSpec(bad);
      assert.ok('error' in r);
      assert.ok(!r.error.includes('canary'));
    }
  });
});

const POLICY = `
default_permissions = "w"
[permissions.w.network]
enabled = true
mode = "full"
[permissions.w.network.domains]
"api.github.com" = "allow"
"other.test" = "allow"
`;

describe('proxy side', () => {
  const creds = brokerCredentials([{ envVar: 'GH_TOKEN', hosts: ['api.github.com'] }], () => 'ghp_realrealrealrealrealrealrealrealreal');
  const dummy = creds[0]!.dummy;
  test('a bound host is always decrypted; others keep a raw tunnel', () => {
    const p = attachBroker(policyOf(POLICY), creds);
    const req = (authority: string) => ({ kind: 'connect' as const, authority, resolution: { assumedPublic: true as const } });
    assert.equal(brokerDecision(p, req('api.github.com:443'), decide(p, req('api.github.com:443'))).mitm, true);
    assert.equal(brokerDecision(p, req('other.test:443'), decide(p, req('other.test:443'))).mitm, false);
    const plain = policyOf(POLICY);
    assert.equal(brokerDecision(plain, req('api.github.com:443'), decide(plain, req('api.github.com:443'))).mitm, false, 'no broker: unchanged');
  });
  test('translated only with TLS on a bound host and not in learning mode', () => {
    const p = attachBroker(policyOf(POLICY), creds);
    const pairs: [string, string][] = [['Authorization', `Bearer ${dummy}`], ['X-Other', 'keep']];
    const ok = brokerRequest(p, 'api.github.com', '/user', pairs, true);
    assert.deepEqual(ok.pairs, [['Authorization', `Bearer ${creds[0]!.real}`], ['X-Other', 'keep']]);
    assert.deepEqual([ok.translated, ok.leaks], [['GH_TOKEN'], []]);
    const elsewhere = brokerRequest(p, 'other.test', '/', pairs, true);
    assert.deepEqual([elsewhere.pairs, elsewhere.leaks], [pairs, ['GH_TOKEN']]);
    const cleartext = brokerRequest(p, 'api.github.com', '/', pairs, false);
    assert.deepEqual([cleartext.pairs, cleartext.leaks], [pairs, ['GH_TOKEN']]);
    const inUrl = brokerRequest(p, 'other.test', `/x?token=${dummy}`, [], true);
    assert.deepEqual(inUrl.leaks, ['GH_TOKEN']);
    const learning = attachBroker(markLearning(policyOf(POLICY)), creds);
    assert.deepEqual(brokerRequest(learning, 'api.github.com', '/', pairs, true).pairs, pairs);
  });
});

describe('learnDecision', () => {
  const LIMITED = POLICY.replace('mode = "full"', 'mode = "limited"') + `"tracker.test" = "deny"\n`;
  const p = markLearning(policyOf(LIMITED));
  const learn = (req: Parameters<typeof decide>[1]) => learnDecision(p, req, decide(p, req));
  const PUBLIC = { assumedPublic: true } as const;
  test('an allowlist miss passes flagged; limited mode still decrypts it', () => {
    const d = learn({ kind: 'connect', authority: 'new.test:443', resolution: PUBLIC });
    assert.deepEqual([d.decision, d.wouldDeny, d.mitm, d.status], ['allow', true, true, 200]);
  });
  test('limited-mode writes over plain HTTP, the denylist and local addresses stay denied', () => {
    assert.equal(learn({ kind: 'http', method: 'POST', host: 'new.test', port: 80, scheme: 'http', path: '/', query: '', resolution: PUBLIC }).decision, 'deny');
    assert.equal(learn({ kind: 'connect', authority: 'tracker.test:443', resolution: PUBLIC }).reason, 'denied');
    assert.equal(learn({ kind: 'connect', authority: '10.0.0.1:443' }).reason, 'not_allowed_local');
    assert.equal(learn({ kind: 'connect', authority: 'new.test:443', resolution: { addresses: ['192.168.1.1'] } }).reason, 'not_allowed_local');
  });
  test('without the mark nothing changes', () => {
    const plain = policyOf(LIMITED);
    const req = { kind: 'connect' as const, authority: 'new.test:443', resolution: PUBLIC };
    assert.equal(learnDecision(plain, req, decide(plain, req)).decision, 'deny');
  });
});
