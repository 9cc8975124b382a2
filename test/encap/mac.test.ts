import t from 'tap';
import { BROADCAST_MAC, isGroupMac, macToString, parseMac, readMac, writeMac } from '../../src/encap/mac.js';

t.test('parse, format and byte round trip', async (t) => {
  const m = parseMac('02:AB:cd:00:00:ff')!;
  t.equal(macToString(m), '02:ab:cd:00:00:ff');
  t.equal(parseMac('02-ab-cd-00-00-ff'), m);
  const b = new Uint8Array(8);
  writeMac(b, 1, m);
  t.same([...b], [0, 0x02, 0xab, 0xcd, 0, 0, 0xff, 0]);
  t.equal(readMac(b, 1), m);
  t.equal(readMac(new Uint8Array([255, 255, 255, 255, 255, 255]), 0), BROADCAST_MAC);
  t.equal(macToString(BROADCAST_MAC), 'ff:ff:ff:ff:ff:ff');
});

t.test('invalid text is null', async (t) => {
  for (const s of ['', '02:00:00:00:00', '02:00:00:00:00:0g', '0200.0000.0001', '02:00:00:00:00:00:00']) t.equal(parseMac(s), null, s);
});

t.test('group bit', async (t) => {
  t.ok(isGroupMac(BROADCAST_MAC));
  t.ok(isGroupMac(parseMac('01:80:c2:00:00:00')!));
  t.ok(isGroupMac(parseMac('33:33:00:00:00:01')!));
  t.notOk(isGroupMac(parseMac('02:00:00:00:00:01')!));
  t.notOk(isGroupMac(parseMac('fe:ff:ff:ff:ff:ff')!));
});
