// Values handed to the rules: plain objects and exact arrays, keys spelled like Object.prototype
// members are ordinary keys (a `__proto__` key stays a key; `constructor` is an unknown key).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadDocument } from '../../core/toml/load';
import { validateDocuments } from '../../core/validate/documents';

const FILE = '/ws/.codex/config.toml';

describe('loaded values', () => {
  it('a `__proto__` key is an own key of its table, not the prototype', () => {
    const doc = loadDocument('[permissions.w.network.domains]\n"__proto__" = "allow"\n"a.com" = "deny"\n', FILE);
    const domains = ((doc.value!.permissions as Record<string, { network: { domains: Record<string, unknown> } }>).w.network.domains);
    assert.deepEqual(Object.keys(domains), ['__proto__', 'a.com']);
    assert.equal(Object.getPrototypeOf(domains), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(domains, '__proto__')?.value, 'allow');
  });

  it('keys named like Object.prototype members are unknown keys, reported at the key', () => {
    const text = 'constructor = 1\ntoString = "x"\nmodel = "o3"\n';
    const ds = validateDocuments(loadDocument(text, FILE), undefined, {}).filter((d) => d.code === 'unknown-key');
    assert.deepEqual(ds.map((d) => d.path), [['constructor'], ['toString']]);
  });

  it('dates become ISO strings and arrays keep their elements', () => {
    const doc = loadDocument('a = [1979-05-27T07:32:00Z, [1, 2], { b = 3 }]\n', FILE);
    assert.deepEqual(doc.value, { a: ['1979-05-27T07:32:00.000Z', [1, 2], { b: 3 }] });
  });
});

describe('did you mean, bounded', () => {
  it('edit-distance suggestions for the first 1,000 unknown keys of a document, none after', () => {
    const name = 'allow_local_binding';
    const keys: string[] = []; // distinct keys two letters (none of its own) away from `allow_local_binding`
    for (let i = 0; i < name.length && keys.length < 1200; i++) {
      for (let j = i + 1; j < name.length && keys.length < 1200; j++) {
        for (const [x, y] of ['qx', 'zj', 'kv', 'yp', 'fh', 'mr', 'st', 'ue']) keys.push(`${name.slice(0, i)}${x}${name.slice(i + 1, j)}${y}${name.slice(j + 1)}`);
      }
    }
    const text = `[permissions.w.network]\nenabled = true\n${keys.slice(0, 1200).map((k) => `${k} = true`).join('\n')}\n`;
    const ds = validateDocuments(loadDocument(text, FILE), undefined, {}).filter((d) => d.code === 'unknown-key');
    assert.equal(ds.length, 1200);
    const suggested = ds.filter((d) => (d.data as { suggestion?: string }).suggestion === name);
    assert.equal(suggested.length, 1000);
    assert.ok(ds.slice(0, 1000).every((d) => (d.data as { suggestion?: string }).suggestion === name), 'the first 1,000 in document order');
  });
});
