import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asciiLower, asciiUpper, normalizeHost, rustTrim, stripZone } from '../../core/match/host';

test('normalizeHost: reference §1.1 and upstream policy.rs cases', () => {
  const cases: Array<[string, string]> = [
    ['  ExAmPlE.CoM  ', 'example.com'],
    ['example.com:1234', 'example.com'],
    ['2001:db8::1', '2001:db8::1'],
    ['example.com.', 'example.com'],
    ['ExAmPlE.CoM.', 'example.com'],
    ['example.com.:443', 'example.com'],
    ['example.com...', 'example.com'],
    ['[::1]', '::1'],
    ['[::1]:443', '::1'],
    ['::1', '::1'],
    ['fe80::1%lo0', 'fe80::1%lo0'],
    ['[fe80::1%lo0]', 'fe80::1%lo0'],
    ['[fe80::1%25lo0]', 'fe80::1%lo0'],
    ['[fe80::1%25lo0]:443', 'fe80::1%lo0'],
    ['[FE80::1%25LO0]', 'fe80::1%lo0'],
    ['fe80::1%25lo0', 'fe80::1%lo0'],
    ['[fe80::1%25]', 'fe80::1%'],
    ['[fe80::1%2525]', 'fe80::1%25'],
    ['127.0.0.1%25eth0', '127.0.0.1%eth0'],
    ['host%25name', 'host%25name'], // not an IP: `%25` kept
    ['LOCALHOST', 'localhost'],
    ['localhost.', 'localhost'],
    ['localhost.:8080', 'localhost'],
    ['[Example.COM.]:99', 'example.com'],
    ['[::1]junk', '::1'],
    ['[::1', '[::1'], // no closing bracket and two colons: left alone
    ['[abc', '[abc'],
    ['', ''],
    ['   ', ''],
    [':443', ''],
    ['[]', ''],
    ['[]:80', ''],
    ['...', ''],
    ['.', ''],
    ['a:b:c', 'a:b:c'],
    ['example.com:', 'example.com'],
    ['\texample.com\n', 'example.com'],
    ['\u0085example.com\u0085', 'example.com'], // NEL is Rust whitespace
    ['\ufeffexample.com', '\ufeffexample.com'], // BOM is not
    ['ÉXAMPLE.com', 'Éxample.com'], // ASCII-only lower-casing
    ['İ.example', 'İ.example'],
    ['*.Example.COM', '*.example.com'],
    ['1.2.3.4:80', '1.2.3.4'],
    ['[1.2.3.4]:80', '1.2.3.4'],
  ];
  for (const [raw, want] of cases) assert.equal(normalizeHost(raw), want, JSON.stringify(raw));
});

test('normalizeHost is idempotent on its outputs', () => {
  for (const raw of ['Example.com.:443', '[fe80::1%25lo0]:1', '::1', 'a.b.c', 'localhost']) {
    const once = normalizeHost(raw);
    assert.equal(normalizeHost(once), once);
  }
});

test('stripZone', () => {
  assert.equal(stripZone('fe80::1%lo0'), 'fe80::1');
  assert.equal(stripZone('fe80::1'), 'fe80::1');
  assert.equal(stripZone('example.com'), 'example.com');
  assert.equal(stripZone('%x'), '');
});

test('rustTrim / ASCII case helpers', () => {
  assert.equal(rustTrim('\u3000 a \u2029'), 'a');
  assert.equal(rustTrim('\ufeffa'), '\ufeffa');
  assert.equal(asciiLower('AbC-ÄÖ'), 'abc-ÄÖ');
  assert.equal(asciiUpper('get-ß'), 'GET-ß');
});
