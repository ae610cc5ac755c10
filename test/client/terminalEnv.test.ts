import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanChildEnv, terminalEnv } from '../../client/logic/terminalEnv';

const CANARY = 'CANARY-pw-77aa';

test('terminal env: proxy and CA variables set, credential in the URL but not in the description', () => {
  const t = terminalEnv({
    proxyUrl: `http://run:${CANARY}@127.0.0.1:4100`, socksUrl: null, allowLocalBinding: false,
    caBundlePath: '/s/ca-bundle.pem', caCertPath: '/s/ca-cert.pem', currentEnv: { HTTPS_PROXY: 'http://corp:3128', PATH: '/bin' },
    profile: 'work', listen: '127.0.0.1:4100',
  });
  assert.equal(t.env.HTTPS_PROXY, `http://run:${CANARY}@127.0.0.1:4100`);
  assert.equal(t.env.http_proxy, t.env.HTTPS_PROXY);
  assert.equal(t.env.NO_PROXY, '');
  assert.equal(t.env.SSL_CERT_FILE, '/s/ca-bundle.pem');
  assert.equal(t.env.NODE_EXTRA_CA_CERTS, '/s/ca-cert.pem');
  assert.equal(t.env.PATH, undefined);
  assert.ok(!t.description.includes(CANARY));
  assert.ok(!t.notes.join('\n').includes(CANARY));
  assert.match(t.description, /127\.0\.0\.1:4100/);
  assert.match(t.description, /profile `work`/);
});

test('child env: every proxy variable removed (any case), ELECTRON_RUN_AS_NODE set, rest kept', () => {
  const out = cleanChildEnv({
    HTTP_PROXY: 'a', https_proxy: 'b', ALL_PROXY: 'c', no_proxy: 'd', npm_config_proxy: 'e', npm_config_https_proxy: 'f',
    NPM_CONFIG_PROXY: 'g', PATH: '/bin', HOME: '/h', CODEX_HOME: '/c', BOT_TOKEN: 'kept-for-secret_env_var', X: undefined,
  });
  assert.deepEqual(out, { PATH: '/bin', HOME: '/h', CODEX_HOME: '/c', BOT_TOKEN: 'kept-for-secret_env_var', ELECTRON_RUN_AS_NODE: '1' });
});
