// The proxy's CA files and the terminal side: `ca` prints the fingerprint openssl computes, and
// `env --shell bash` output, evaluated in bash, makes curl (and Python requests) use the proxy
// without any explicit proxy or CA option.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, pythonWithRequests, run } from './clients';
import { CLI, decisionFor, disposeProxy, fixture, startProxy, tempDir, type RunningProxy, type TempDir } from './harness';
import { startUpstreams, type Upstreams } from './upstreams';

const PYTHON = pythonWithRequests();

function hexOf(fingerprint: string): string {
  return fingerprint.replace(/^.*?=/, '').replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

describe('CA files and the ca/env commands', () => {
  let up: Upstreams;
  let proxy: RunningProxy;
  let home: TempDir;
  before(async () => {
    up = await startUpstreams();
    home = tempDir('shell-home-');
    // Limited mode: every HTTPS request is MITM'd, so a client works only if it trusts our CA.
    proxy = await startProxy({ config: fixture('limited.toml'), upstreamCa: [up.https.caCertPath] });
  });
  after(async () => {
    await disposeProxy(proxy);
    await up?.close();
    home?.cleanup();
  });

  test('ca.key is 0600, ca.pem 0644, the CA dir 0700; the listening line points at ca.pem', () => {
    assert.equal(statSync(join(proxy.caDir, 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(proxy.caDir, 'ca.pem')).mode & 0o777, 0o644);
    assert.equal(statSync(proxy.caDir).mode & 0o777, 0o700);
    assert.equal(proxy.listening.caCert, join(proxy.caDir, 'ca.pem'));
  });

  test('`ca --ca-dir` prints the path and the SHA-256 fingerprint openssl computes', { skip: hasCommand('openssl') ? false : 'openssl not installed' }, async () => {
    const pem = join(proxy.caDir, 'ca.pem');
    const ossl = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', pem]);
    assert.equal(ossl.code, 0, ossl.stderr);
    const expected = hexOf(ossl.stdout.trim());
    assert.equal(expected.length, 64);

    const text = await run(process.execPath, [CLI, 'ca', '--ca-dir', proxy.caDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.ok(text.stdout.includes(pem), text.stdout);
    const line = text.stdout.split('\n').find((l) => /[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}/.test(l));
    assert.ok(line, `no fingerprint in: ${text.stdout}`);
    assert.equal(hexOf(line.match(/[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}/)![0]), expected);

    const json = await run(process.execPath, [CLI, 'ca', '--ca-dir', proxy.caDir, '--json']);
    const info = JSON.parse(json.stdout) as { certPath: string; fingerprintSha256: string };
    assert.equal(info.certPath, pem);
    assert.equal(hexOf(info.fingerprintSha256), expected);
    // Asking again does not replace the CA the running proxy uses.
    const again = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', pem]);
    assert.equal(hexOf(again.stdout.trim()), expected);
  });

  test('`env --shell bash`, evaluated in bash, makes plain curl go through the proxy and trust its CA', async () => {
    const since = proxy.mark();
    const script = [
      'set -e',
      `eval "$("${process.execPath}" "${CLI}" env --shell bash)"`,
      'printf "HTTPS_PROXY=%s\\nCURL_CA_BUNDLE=%s\\nSSL_CERT_FILE=%s\\n" "$HTTPS_PROXY" "$CURL_CA_BUNDLE" "$SSL_CERT_FILE" >&2',
      `curl -q -sS --max-time 15 "https://api.github.test:${up.https.port}/via-env"`,
    ].join('\n');
    const r = await run('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home.path, CODEX_NETPOLICY_HOME: proxy.netpolicyHome } });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`HTTPS_PROXY=http://([^@\\s]*@)?${proxy.listening.http.replace(/\./g, '\\.')}`));
    assert.match(r.stderr, /CURL_CA_BUNDLE=\/\S+|SSL_CERT_FILE=\/\S+/);
    assert.equal((JSON.parse(r.stdout) as { url: string }).url, '/via-env');
    const d = await decisionFor(proxy, 'api.github.test', since, (e) => e.mitm === true && e.method === 'GET');
    assert.equal(d.decision, 'allow');
  });

  test('the same env serves Python requests (HTTPS_PROXY + REQUESTS_CA_BUNDLE)', { skip: PYTHON ? false : 'python3 with requests not found' }, async () => {
    const py = `import requests,sys; r = requests.get(sys.argv[1], timeout=15); print(r.status_code, r.json()["url"])`;
    const script = `set -e\neval "$("${process.execPath}" "${CLI}" env --shell bash)"\n"${PYTHON}" -c '${py}' "https://api.github.test:${up.https.port}/py-env"`;
    const r = await run('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home.path, CODEX_NETPOLICY_HOME: proxy.netpolicyHome } });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.stdout.trim(), '200 /py-env');
  });

  test('`env` with no running proxy fails clearly instead of printing a dead proxy', async () => {
    const empty = tempDir('netpolicy-empty-');
    try {
      const r = await run(process.execPath, [CLI, 'env', '--shell', 'bash'], { env: { PATH: process.env.PATH ?? '', HOME: empty.path, CODEX_NETPOLICY_HOME: empty.path } });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no running proxy/);
      assert.equal(r.stdout.trim(), '');
    } finally {
      empty.cleanup();
    }
  });
});
