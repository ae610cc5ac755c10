import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_PROXY_KEYS, CA_BUNDLE_KEYS, CA_ENV_KEYS, LOCAL_NO_PROXY, NO_PROXY_KEYS, PROXY_URL_KEYS,
  buildProxyEnv, redactCredentials, redactEnv, type ProxyEnvOptions,
} from '../../core/env/index';

const HTTP = 'http://run:s3cr%40t@127.0.0.1:41234';
const SOCKS = 'socks5h://127.0.0.1:41235';
const BUNDLE = '/home/u/.codex-netpolicy/ca-bundle.pem';
const CA = '/home/u/.codex-netpolicy/ca-cert.pem';

const base = (o: Partial<ProxyEnvOptions> = {}): ProxyEnvOptions => ({
  proxyUrl: HTTP, socksUrl: SOCKS, allowLocalBinding: false, caBundlePath: BUNDLE, caCertPath: CA, currentEnv: {}, ...o,
});

// proxy-behaviour.md §6.5, verbatim, so the list in keys.ts cannot silently lose one.
const SPEC_HTTP = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'YARN_HTTP_PROXY', 'YARN_HTTPS_PROXY',
  'npm_config_http_proxy', 'npm_config_https_proxy', 'npm_config_proxy', 'NPM_CONFIG_HTTP_PROXY',
  'NPM_CONFIG_HTTPS_PROXY', 'NPM_CONFIG_PROXY', 'BUNDLE_HTTP_PROXY', 'BUNDLE_HTTPS_PROXY', 'PIP_PROXY',
  'DOCKER_HTTP_PROXY', 'DOCKER_HTTPS_PROXY', 'WS_PROXY', 'WSS_PROXY', 'ws_proxy', 'wss_proxy'];
const SPEC_ALL = ['ALL_PROXY', 'all_proxy', 'FTP_PROXY', 'ftp_proxy'];
const SPEC_NO = ['NO_PROXY', 'no_proxy', 'npm_config_noproxy', 'NPM_CONFIG_NOPROXY', 'YARN_NO_PROXY', 'BUNDLE_NO_PROXY'];
const SPEC_CA = ['CODEX_CA_CERTIFICATE', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS',
  'GIT_SSL_CAINFO', 'PIP_CERT', 'BUNDLE_SSL_CA_CERT', 'npm_config_cafile', 'NPM_CONFIG_CAFILE'];
const EXTRA_CA = ['CARGO_HTTP_CAINFO', 'AWS_CA_BUNDLE', 'DENO_CERT', 'PERL_LWP_SSL_CA_FILE'];

describe('buildProxyEnv: proxy variables', () => {
  it('sets every §6.5 variable, in both cases where both exist, plus markers', () => {
    const { set } = buildProxyEnv(base());
    for (const k of SPEC_HTTP) assert.equal(set[k], HTTP, k);
    for (const k of SPEC_ALL) assert.equal(set[k], SOCKS, k);
    for (const k of SPEC_NO) assert.equal(set[k], '', k);
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'FTP_PROXY', 'NO_PROXY', 'WS_PROXY', 'WSS_PROXY']) {
      assert.ok(k in set && k.toLowerCase() in set, `${k} in both cases`);
    }
    assert.equal(set.npm_config_proxy, set.NPM_CONFIG_PROXY);
    assert.equal(set.GLOBAL_AGENT_HTTP_PROXY, HTTP);
    assert.equal(set.CGI_HTTP_PROXY, HTTP);
    assert.equal(set.GLOBAL_AGENT_NO_PROXY, '');
    assert.equal(set.CODEX_NETWORK_PROXY_ACTIVE, '1');
    assert.equal(set.CODEX_NETWORK_ALLOW_LOCAL_BINDING, '0');
    assert.equal(set.CODEX_NETPOLICY_PROXY, '1');
    assert.equal(set.ELECTRON_GET_USE_PROXY, 'true');
    assert.equal(set.NODE_USE_ENV_PROXY, '1');
    // The exported key lists agree with the spec lists above.
    assert.deepEqual(new Set([...PROXY_URL_KEYS]), new Set([...SPEC_HTTP, 'GLOBAL_AGENT_HTTP_PROXY', 'CGI_HTTP_PROXY']));
    assert.deepEqual([...ALL_PROXY_KEYS], SPEC_ALL);
    assert.deepEqual([...NO_PROXY_KEYS], [...SPEC_NO, 'GLOBAL_AGENT_NO_PROXY']);
    assert.deepEqual(new Set([...CA_ENV_KEYS]), new Set([...SPEC_CA, ...EXTRA_CA]));
  });

  it('ALL_PROXY/FTP_PROXY fall back to the HTTP proxy without SOCKS', () => {
    const { set } = buildProxyEnv(base({ socksUrl: null }));
    for (const k of SPEC_ALL) assert.equal(set[k], HTTP, k);
  });

  it('upgrades socks5:// to socks5h:// so host names reach the policy', () => {
    const { set, notes } = buildProxyEnv(base({ socksUrl: 'socks5://127.0.0.1:9' }));
    assert.equal(set.ALL_PROXY, 'socks5h://127.0.0.1:9');
    assert.ok(notes.some((n) => n.includes('socks5h')));
  });

  it('NO_PROXY: empty without local binding, private ranges with it', () => {
    const off = buildProxyEnv(base({ allowLocalBinding: false, currentEnv: { NO_PROXY: 'localhost', no_proxy: '*' } }));
    for (const k of NO_PROXY_KEYS) assert.equal(off.set[k], '', k);
    assert.ok(off.notes.some((n) => n.includes('Cleared NO_PROXY')));
    const on = buildProxyEnv(base({ allowLocalBinding: true }));
    for (const k of NO_PROXY_KEYS) assert.equal(on.set[k], LOCAL_NO_PROXY, k);
    assert.equal(on.set.CODEX_NETWORK_ALLOW_LOCAL_BINDING, '1');
    assert.equal(LOCAL_NO_PROXY, 'localhost,127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16');
  });

  it('normalises the proxy URL (drops a trailing slash, keeps the credential) and rejects bad ones without leaking it', () => {
    const { set } = buildProxyEnv(base({ proxyUrl: 'http://run:pw@127.0.0.1:8080/' }));
    assert.equal(set.HTTP_PROXY, 'http://run:pw@127.0.0.1:8080');
    assert.equal(buildProxyEnv(base({ proxyUrl: 'http://[::1]:3128' })).set.HTTP_PROXY, 'http://[::1]:3128');
    for (const bad of ['https://u:hunter2@127.0.0.1:1', 'http:u:hunter2@h:1/x', 'http://u:hunter2@127.0.0.1', 'http://u:hunter2@127.0.0.1:1/x', 'nonsense hunter2']) {
      assert.throws(() => buildProxyEnv(base({ proxyUrl: bad })), (e: Error) => !e.message.includes('hunter2'), bad);
    }
    assert.throws(() => buildProxyEnv(base({ socksUrl: 'http://127.0.0.1:1' })), /socksUrl/);
  });

  it('notes name replaced proxy variables but never contain a credential', () => {
    const { notes } = buildProxyEnv(base({ currentEnv: { HTTPS_PROXY: 'http://corp:pw@10.0.0.1:8080', NO_PROXY: 'x' } }));
    assert.ok(notes.some((n) => n.includes('HTTPS_PROXY')));
    for (const n of notes) assert.ok(!n.includes('s3cr') && !n.includes('corp:pw'), n);
    // Our own earlier values (marker set) are not reported as the user's.
    const again = buildProxyEnv(base({ currentEnv: { HTTPS_PROXY: 'http://old@127.0.0.1:1', CODEX_NETPOLICY_PROXY: '1' } }));
    assert.equal(again.notes.length, 0);
  });

  it('redactCredentials hides user-info, including a raw @ in a password', () => {
    assert.equal(redactCredentials('http://run:s3cr%40t@127.0.0.1:1'), 'http://***@127.0.0.1:1');
    assert.equal(redactCredentials('http://u:p@ss@h:1,http://h2:2'), 'http://***@h:1,http://h2:2');
    assert.equal(redactCredentials('socks5h://127.0.0.1:1'), 'socks5h://127.0.0.1:1');
    const r = redactEnv(buildProxyEnv(base()).set);
    assert.ok(Object.values(r).every((v) => !v.includes('s3cr')));
  });
});

describe('buildProxyEnv: CA variables', () => {
  it('are set only when there is a bundle', () => {
    const none = buildProxyEnv(base({ caBundlePath: null, caCertPath: null }));
    for (const k of CA_ENV_KEYS) assert.ok(!(k in none.set), k);
    const { set } = buildProxyEnv(base());
    for (const k of CA_BUNDLE_KEYS) assert.equal(set[k], BUNDLE, k);
    assert.equal(set.NODE_EXTRA_CA_CERTS, CA, 'Node gets our CA alone when the user had none');
    assert.equal(buildProxyEnv(base({ caCertPath: null })).set.NODE_EXTRA_CA_CERTS, BUNDLE);
  });

  it('keeps a command-scoped override and reports it; replaces the startup value', () => {
    const startupEnv = { SSL_CERT_FILE: '/etc/corp.pem', REQUESTS_CA_BUNDLE: '/etc/corp.pem', NODE_EXTRA_CA_CERTS: '/etc/corp.pem' };
    const currentEnv = { ...startupEnv, REQUESTS_CA_BUNDLE: '/tmp/just-this-command.pem', CURL_CA_BUNDLE: '' };
    const { set, notes } = buildProxyEnv(base({ currentEnv, startupEnv }));
    assert.ok(!('REQUESTS_CA_BUNDLE' in set), 'override left untouched');
    assert.ok(notes.some((n) => n.includes('Kept REQUESTS_CA_BUNDLE=/tmp/just-this-command.pem')));
    assert.equal(set.SSL_CERT_FILE, BUNDLE, 'startup value replaced');
    assert.equal(set.CURL_CA_BUNDLE, BUNDLE, 'empty value replaced');
    assert.equal(set.NODE_EXTRA_CA_CERTS, BUNDLE, "user's Node CAs survive: the bundle includes them");
    assert.ok(notes.some((n) => n.includes('SSL_CERT_FILE') && n.includes('combined bundle')));
  });

  it('without startupEnv every inherited value is replaced', () => {
    const { set } = buildProxyEnv(base({ currentEnv: { SSL_CERT_FILE: '/etc/corp.pem', GIT_SSL_CAINFO: '/x.pem' } }));
    assert.equal(set.SSL_CERT_FILE, BUNDLE);
    assert.equal(set.GIT_SSL_CAINFO, BUNDLE);
  });

  it('treats our own earlier paths (stable, CA, any hash bundle in the directory) as ours', () => {
    const old = '/home/u/.codex-netpolicy/ca-bundle-' + 'ab'.repeat(32) + '.pem';
    const currentEnv = { SSL_CERT_FILE: old, NODE_EXTRA_CA_CERTS: CA, PIP_CERT: BUNDLE };
    const { set, notes } = buildProxyEnv(base({ currentEnv, startupEnv: {} }));
    assert.equal(set.SSL_CERT_FILE, BUNDLE);
    assert.equal(set.PIP_CERT, BUNDLE);
    assert.equal(set.NODE_EXTRA_CA_CERTS, CA);
    assert.equal(notes.length, 0, notes.join('\n'));
    // A look-alike name elsewhere is the user's.
    const other = buildProxyEnv(base({ currentEnv: { SSL_CERT_FILE: '/elsewhere/ca-bundle.pem' }, startupEnv: {} }));
    assert.ok(!('SSL_CERT_FILE' in other.set));
  });
});
