import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runCli } from '../helpers/cli';

const DIR = resolve(__dirname, '../fixtures/policytest/.codex');
const CONFIG = resolve(DIR, 'config.toml');
const REQ = resolve(DIR, 'requirements.toml');

interface Entry { kind: string; key: string; value: string; source: { layer: string; file?: string; line?: number; profile?: string }; inert?: string }

const lineOf = (file: string, needle: string) => readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;

function report(args: string[] = ['--config', CONFIG, '--requirements', REQ], env: Record<string, string> = {}) {
  const r = runCli(['effective', '--json', ...args], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { profile: string; state: string; mode: string; entries: Entry[] };
}

describe('codex-netpolicy effective', () => {
  test('a managed deny wins over a user allow, and both lines are named', () => {
    const out = report();
    const live = out.entries.filter((e) => e.key === 'evil.example.com' && !e.inert);
    assert.deepEqual(live.map((e) => [e.value, e.source.layer, e.source.file, e.source.line]), [['deny', 'managed', REQ, lineOf(REQ, '"evil.example.com"')]]);
    const inert = out.entries.find((e) => e.key === 'evil.example.com' && e.inert)!;
    assert.deepEqual([inert.value, inert.source.layer, inert.source.line], ['allow', 'user', lineOf(CONFIG, '"evil.example.com"')]);
    assert.match(inert.inert!, new RegExp(`overridden by managed deny \`evil.example.com\` at requirements\\.toml:${lineOf(REQ, '"evil.example.com"')} \\(deny wins\\)`));
  });

  test('flags show the winning value and layer; the overwritten user value is inert', () => {
    const out = report();
    const flags = out.entries.filter((e) => e.key === 'allow_local_binding');
    assert.deepEqual(flags.map((e) => [e.value, e.source.layer, !!e.inert]), [['false', 'managed', false], ['true', 'user', true]]);
    assert.match(flags[1]!.inert!, /overwritten by the managed value/);
    const socks = out.entries.find((e) => e.key === 'enable_socks5')!;
    assert.deepEqual([socks.value, socks.source.layer], ['true', 'built-in']);
    const enabled = out.entries.find((e) => e.key === 'enabled')!;
    assert.deepEqual([enabled.value, enabled.source.layer, enabled.source.profile], ['true', 'parent profile', 'base']);
  });

  test('parent values a child overrides, shadowed hooks and unused actions are inert with why', () => {
    const out = report();
    const mode = out.entries.filter((e) => e.key === 'mode');
    assert.deepEqual(mode.map((e) => [e.value, e.source.layer, e.source.line]), [['full', 'user', lineOf(CONFIG, 'mode = "full"')], ['"limited"', 'parent profile', lineOf(CONFIG, 'mode = "limited"')]]);
    assert.match(mode[1]!.inert!, /overridden by profile `work`/);
    const hook = out.entries.find((e) => e.kind === 'hook' && e.key === 'repo_reads')!;
    assert.match(hook.inert!, /shadowed: hook `all_reads`/);
    const pypi = out.entries.find((e) => e.key === 'pypi.org' && e.inert)!;
    assert.match(pypi.inert!, /the same entry is managed/);
  });

  test('managed_allowed_domains_only drops user allows', () => {
    const req = resolve(__dirname, '../fixtures/policytest/only-managed.requirements.toml');
    const out = report(['--config', CONFIG, '--requirements', req]);
    const api = out.entries.find((e) => e.key === 'api.github.com')!;
    assert.match(api.inert ?? '', /managed_allowed_domains_only/);
    assert.ok(out.entries.some((e) => e.key === 'managed_allowed_domains_only' && e.value === 'true' && e.source.layer === 'managed'));
  });

  test('text output: sections, sources and the inert list', () => {
    const r = runCli(['effective', '--config', CONFIG, '--requirements', REQ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Profile work \(selected by .*config\.toml:2\): proxy enabled, full mode/);
    assert.match(r.stdout, /deny {2}evil\.example\.com +managed .*requirements\.toml:6/);
    assert.match(r.stdout, /Inert \(written, but no effect\)\n/);
    assert.match(r.stderr, /note: missing required environment variable FIXTURE_TOKEN/);
  });

  test('--profile selects another profile; an unknown one exits 2', () => {
    assert.equal(report(['--config', CONFIG, '--profile', 'base']).profile, 'base');
    const r = runCli(['effective', '--config', CONFIG, '--profile', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /undefined profile `nope`/);
  });
});
