import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import {
  ipv6ToIpv4,
  isLocalLiteral,
  isNonPublicAddress,
  isNonPublicIp,
  parseIp,
  parseIpStrict,
  unscopedIpLiteral,
} from '../../core/match/address';

const bytes = (s: string): number[] => Array.from(parseIpStrict(s)?.bytes ?? []);

test('parseIpStrict: Rust Ipv4Addr grammar', () => {
  for (const ok of ['0.0.0.0', '1.2.3.4', '255.255.255.255', '10.0.0.1', '192.168.1.1']) {
    assert.equal(parseIpStrict(ok)?.family, 4, ok);
  }
  for (const bad of ['127.1', '010.0.0.1', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1.2.3.4 ', ' 1.2.3.4', '0x7f.0.0.1', '2130706433', '1..2.3', '1.2.3.', '+1.2.3.4', '1.2.3.0004', '']) {
    assert.equal(parseIpStrict(bad), null, bad);
  }
  assert.deepEqual(bytes('1.2.3.4'), [1, 2, 3, 4]);
});

test('parseIpStrict: Rust Ipv6Addr grammar', () => {
  const ok = [
    '::', '::1', '1::', 'fe80::1', 'FE80::1', '2001:db8::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8',
    '::ffff:1.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '::ffff:7f00:1', '0001:0002::0003', 'a::b:1.2.3.4',
  ];
  for (const s of ok) assert.equal(parseIpStrict(s)?.family, 6, s);
  const bad = [
    ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', 'g::1', '1.2.3.4::',
    '1:2:3:4:5:6:7:1.2.3.4', '::01.2.3.4', '[::1]', 'fe80::1%lo0', '1:2:3:4:5:6:7', ':1::', '1:', '::1:',
  ];
  for (const s of bad) assert.equal(parseIpStrict(s), null, s);
  assert.deepEqual(bytes('::ffff:1.2.3.4').slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual(bytes('1:2:3:4:5:6:7::'), [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]);
});

test('parseIpStrict agrees with node:net isIP on canonical forms (which has the same IPv4 rules)', () => {
  for (const s of ['1.2.3.4', '01.2.3.4', '127.1', '::1', '::ffff:1.2.3.4', '1:2:3:4:5:6:7:8', 'x', '1::2::3']) {
    assert.equal(parseIpStrict(s) === null ? 0 : parseIpStrict(s)!.family, isIP(s), s);
  }
});

test('parseIp strips zone ids; unscopedIpLiteral needs an IP before the %', () => {
  assert.equal(parseIp('fe80::1%lo0')?.family, 6);
  assert.equal(parseIp('127.0.0.1%eth0')?.family, 4);
  assert.equal(parseIp('localhost%x'), null);
  assert.equal(unscopedIpLiteral('fe80::1%lo0'), 'fe80::1');
  assert.equal(unscopedIpLiteral('fe80::1'), null);
  assert.equal(unscopedIpLiteral('host%lo0'), null);
});

function nonPublic(s: string): boolean {
  const ip = parseIp(s);
  assert.ok(ip, `parse ${s}`);
  return isNonPublicIp(ip);
}

test('isNonPublicIp: first/last address of every IPv4 range and the neighbours outside', () => {
  const ranges: Array<[first: string, last: string, before: string | null, after: string | null]> = [
    ['0.0.0.0', '0.255.255.255', null, '1.0.0.0'],
    ['10.0.0.0', '10.255.255.255', '9.255.255.255', '11.0.0.0'],
    ['100.64.0.0', '100.127.255.255', '100.63.255.255', '100.128.0.0'],
    ['127.0.0.0', '127.255.255.255', '126.255.255.255', '128.0.0.0'],
    ['169.254.0.0', '169.254.255.255', '169.253.255.255', '169.255.0.0'],
    ['172.16.0.0', '172.31.255.255', '172.15.255.255', '172.32.0.0'],
    ['192.0.0.0', '192.0.0.255', '191.255.255.255', '192.0.1.0'],
    ['192.0.2.0', '192.0.2.255', '192.0.1.255', '192.0.3.0'],
    ['192.168.0.0', '192.168.255.255', '192.167.255.255', '192.169.0.0'],
    ['198.18.0.0', '198.19.255.255', '198.17.255.255', '198.20.0.0'],
    ['198.51.100.0', '198.51.100.255', '198.51.99.255', '198.51.101.0'],
    ['203.0.113.0', '203.0.113.255', '203.0.112.255', '203.0.114.0'],
    ['224.0.0.0', '239.255.255.255', '223.255.255.255', null],
    ['240.0.0.0', '255.255.255.255', null, null],
  ];
  for (const [first, last, before, after] of ranges) {
    assert.equal(nonPublic(first), true, first);
    assert.equal(nonPublic(last), true, last);
    if (before) assert.equal(nonPublic(before), false, before);
    if (after) assert.equal(nonPublic(after), false, after);
  }
  for (const pub of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '100.63.0.1', '172.32.0.1', '223.255.255.254']) {
    assert.equal(nonPublic(pub), false, pub);
  }
  // upstream test vectors
  for (const s of ['127.0.0.1', '10.0.0.1', '192.168.0.1', '100.64.0.1', '192.0.0.1', '192.0.2.1', '198.18.0.1', '198.51.100.1', '203.0.113.1', '240.0.0.1', '0.1.2.3']) {
    assert.equal(nonPublic(s), true, s);
  }
});

test('isNonPublicIp: IPv6 ranges, mapped and compatible forms', () => {
  const yes = [
    '::1', '::', 'fe80::1', 'febf:ffff::1', 'fc00::1', 'fdff::1', 'ff00::', 'ff02::1', 'ffff::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '::ffff:c0a8:1', '::127.0.0.1', '::10.0.0.1', '::0.0.0.2',
    '::ffff:0.0.0.0', 'fe80::1%lo0',
  ];
  const no = [
    '::ffff:8.8.8.8', '::8.8.8.8', '::ffff:808:808', '2001:db8::1', '2606:4700:4700::1111', 'fec0::1', 'fe7f::1', 'fbff::1',
    '::fffe:127.0.0.1', '1::127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::',
  ];
  for (const s of yes) assert.equal(nonPublic(s), true, s);
  for (const s of no) assert.equal(nonPublic(s), false, s);
  assert.deepEqual(Array.from(ipv6ToIpv4(parseIp('::ffff:1.2.3.4')!.bytes)!), [1, 2, 3, 4]);
  assert.equal(ipv6ToIpv4(parseIp('::1:0:0:1')!.bytes), null);
});

test('isNonPublicAddress and isLocalLiteral', () => {
  assert.equal(isNonPublicAddress('10.1.2.3'), true);
  assert.equal(isNonPublicAddress('8.8.4.4'), false);
  assert.equal(isNonPublicAddress('not-an-ip'), null);
  const local = ['localhost', '127.0.0.1', '::1', 'fe80::1%lo0', '10.0.0.5', '::ffff:192.168.1.1', '0.0.0.0', '169.254.169.254'];
  const notLocal = ['notlocalhost', 'localhost%x', 'localhost.localdomain', '8.8.8.8', '127.1', 'example.com', '2001:4860::8888', ''];
  for (const h of local) assert.equal(isLocalLiteral(h), true, h);
  for (const h of notLocal) assert.equal(isLocalLiteral(h), false, h);
});
