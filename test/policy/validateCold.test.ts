// #8 validate-cold: the shortcuts of the cold analysis keep every verdict. zod is skipped only
// where it could not have found anything; the profile merge shares tables without changing the
// documents or where a merged value came from.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { loadDocument } from '../../core/toml/load';
import { configSchema } from '../../core/model/config';
import { requirementsSchema } from '../../core/model/requirements';
import { certainlyParses } from '../../core/validate/conforms';
import { resolveProfile } from '../../core/lower/resolve';
import { largePolicy } from '../../bench/fixtures';

/** Every TOML file under test/ as a raw value, with its schema. */
function fixtures(): { value: unknown; schema: z.ZodType }[] {
  const out: { value: unknown; schema: z.ZodType }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.toml')) {
        const kind = name.includes('requirements') ? 'requirements' : 'config';
        const doc = loadDocument(readFileSync(p, 'utf8'), p, kind);
        if (doc.value) out.push({ value: doc.value, schema: kind === 'config' ? configSchema : requirementsSchema });
      }
    }
  };
  walk('test');
  out.push({ value: loadDocument(largePolicy(20, 300), '/t/config.toml', 'config').value, schema: configSchema });
  return out;
}

/** zod finds something the schema walk does not report itself (it reports unknown keys). */
const zodFinds = (schema: z.ZodType, value: unknown): boolean => {
  const r = schema.safeParse(value);
  return !r.success && r.error.issues.some((i) => i.code !== 'unrecognized_keys');
};

describe('certainlyParses: a conservative judge from the zod model', () => {
  test('never claims a pass zod would reject: fixtures, then 4,000 seeded mutations of them', () => {
    const docs = fixtures();
    assert.ok(docs.length > 10, `found ${docs.length} fixtures`);
    let seed = 8;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const odd: (() => unknown)[] = [
      () => 'x', () => 'read-only', () => 3, () => 2.5, () => -1, () => Infinity, () => 2 ** 60, () => true, () => [], () => ['a'], () => [1],
      () => ({}), () => ({ a: 1 }), () => ({ enabled: true }), () => new Date(0), () => 'allow', () => undefined,
    ];
    const mutate = (v: unknown): unknown => {
      if (!v || typeof v !== 'object' || v instanceof Date) return pick(odd)();
      const c: Record<string, unknown> = Array.isArray(v) ? ([...v] as unknown as Record<string, unknown>) : { ...(v as Record<string, unknown>) };
      const keys = Object.keys(c);
      if (keys.length && rnd() < 0.7) {
        const k = pick(keys);
        c[k] = rnd() < 0.5 ? mutate(c[k]) : pick(odd)();
        if (c[k] === undefined) delete c[k];
      }
      if (!Array.isArray(c) && rnd() < 0.1) c[pick(['zzz', 'enabled', 'host', 'methods', 'mode', 'granular', 'type'])] = pick(odd)();
      return c;
    };
    let passes = 0, looks = 0;
    const check = (schema: z.ZodType, value: unknown) => {
      if (!certainlyParses(schema, value)) return void looks++;
      passes++;
      assert.equal(zodFinds(schema, value), false, `judged a pass, zod disagrees: ${JSON.stringify(value).slice(0, 300)}`);
    };
    for (const d of docs) check(d.schema, d.value);
    for (let i = 0; i < 4000; i++) {
      const d = pick(docs);
      let v = d.value;
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) v = mutate(v);
      check(d.schema, v);
    }
    // Both answers occur: the shortcut is taken, and zod still looks where values are odd.
    assert.ok(passes > 500 && looks > 500, `passes ${passes}, looks ${looks}`);
  });

  test('the 1,000-hook policy is judged without zod; a wrong type anywhere sends it to zod', () => {
    const value = loadDocument(largePolicy(1000), '/t/config.toml', 'config').value;
    assert.equal(certainlyParses(configSchema, value), true);
    const at = (t: unknown, ...keys: string[]) => keys.reduce((v, k) => (v as Record<string, unknown>)[k], t) as Record<string, unknown>;
    at(value, 'permissions', 'w', 'network', 'mitm', 'hooks', 'hook_500').methods = ['GET', 7];
    assert.equal(certainlyParses(configSchema, value), false);
    assert.equal(zodFinds(configSchema, value), true);
  });
});

describe('profile merge: shared tables, documents untouched', () => {
  const config = `default_permissions = "child"
[permissions.base.network]
enabled = true
domains = { "A.example." = "allow", "b.example" = "deny", "C.Example." = "allow" }
[permissions.base.network.mitm.hooks.h1]
host = "a.example"
methods = ["GET"]
path_prefixes = ["/v1/"]
action = ["x"]
query = { page = ["1"] }
[permissions.base.network.mitm.actions.x]
strip_request_headers = ["cookie"]
[permissions.child]
extends = "base"
[permissions.child.network.domains]
"a.example" = "deny"
[permissions.child.network.mitm.hooks.h1]
methods = ["POST"]
[permissions.child.network.mitm.hooks.h2]
host = "b.example"
methods = ["GET"]
path_prefixes = ["/"]
action = ["x"]
`;

  test('the merge is the deep merge; where each value came from is the layer that wrote it', () => {
    const doc = loadDocument(config, '/t/config.toml', 'config');
    const before = structuredClone(doc.value);
    const r = resolveProfile({ config: doc });
    const net = r.profile!.network!;
    assert.deepEqual(net, {
      enabled: true,
      domains: { 'a.example': 'deny', 'b.example': 'deny', 'c.example': 'allow' },
      mitm: {
        hooks: {
          h1: { host: 'a.example', methods: ['POST'], path_prefixes: ['/v1/'], action: ['x'], query: { page: ['1'] } },
          h2: { host: 'b.example', methods: ['GET'], path_prefixes: ['/'], action: ['x'] },
        },
        actions: { x: { strip_request_headers: ['cookie'] } },
      },
    });
    assert.deepEqual(doc.value, before, 'the documents are not changed by the merge');
    const origin = (p: (string | number)[]) => {
      const o = r.profile!.originOf(p);
      return o && `${o.path.join('.')}@${o.line}`;
    };
    assert.equal(origin(['mitm', 'hooks', 'h1', 'methods', 0]), 'permissions.child.network.mitm.hooks.h1.methods.0@18');
    assert.equal(origin(['mitm', 'hooks', 'h1', 'host']), 'permissions.base.network.mitm.hooks.h1.host@6');
    assert.equal(origin(['mitm', 'hooks', 'h1', 'query', 'page']), 'permissions.base.network.mitm.hooks.h1.query.page@10');
    assert.equal(origin(['domains', 'a.example']), 'permissions.child.network.domains.a.example@16');
    assert.equal(origin(['domains', 'b.example']), 'permissions.base.network.domains.b.example@4');
    assert.equal(origin(['mitm', 'hooks', 'h2']), 'permissions.child.network.mitm.hooks.h2@19');
    assert.equal(origin(['mitm', 'hooks', 'nope']), 'permissions.child.network.mitm.hooks.nope@17');
    assert.equal(origin(['domains', 'c.example']), 'permissions.base.network.domains.C.Example.@4', 'the key as that layer wrote it');
    assert.equal(origin(['nothing']), undefined);
  });
});
