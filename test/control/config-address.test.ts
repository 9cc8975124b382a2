import t from 'tap';
import {
  formatIPv6,
  parseIPv4,
  parseIPv6,
  parsePrefix,
  parseUnicastMac,
  prefixContains,
} from '../../src/control/config-address.js';

t.test('IPv6 in RFC 5952 form', async (t) => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['::192.0.2.1', '::c000:201'],
  ];
  for (const [input, want] of cases) t.equal(parseIPv6(input)?.text, want, input);
  for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '12345::', 'g::1', '1:2:3:4:5:6:7:8::', '192.0.2.1', '::1.2.3']) {
    t.equal(parseIPv6(bad), undefined, `rejects ${JSON.stringify(bad)}`);
  }
});

t.test('IPv6 formatting agrees with the WHATWG URL serialiser', async (t) => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  let mismatches = 0;
  for (let i = 0; i < 2000; i++) {
    const groups = Array.from({ length: 8 }, () => (rnd() % 3 === 0 ? (rnd() % 0x10000).toString(16) : '0'));
    const text = groups.join(':');
    if (text.startsWith('0:0:0:0:0:ffff:')) continue; // RFC 5952 keeps IPv4-mapped dotted
    const ours = parseIPv6(text)?.text;
    if (ours !== new URL(`http://[${text}]`).hostname.slice(1, -1)) mismatches++;
  }
  t.equal(mismatches, 0);
  t.equal(formatIPv6(1n), '::1');
});

t.test('IPv4 is strict', async (t) => {
  t.equal(parseIPv4('192.0.2.1')?.text, '192.0.2.1');
  for (const bad of ['010.0.0.1', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4/32']) {
    t.equal(parseIPv4(bad), undefined, `rejects ${JSON.stringify(bad)}`);
  }
});

t.test('prefixes are normalised and contain what they should', async (t) => {
  t.equal(parsePrefix('192.0.2.77/24', 4)?.text, '192.0.2.0/24');
  t.equal(parsePrefix('2001:DB8:ffff:0:1::/48', 6)?.text, '2001:db8:ffff::/48');
  t.equal(parsePrefix('0.0.0.0/0', 4)?.text, '0.0.0.0/0');
  for (const [bad, fam] of [['192.0.2.0/33', 4], ['192.0.2.0/08', 4], ['192.0.2.0', 4], ['2001:db8::/129', 6], ['192.0.2.0/24', 6]] as const) {
    t.equal(parsePrefix(bad, fam), undefined, `rejects ${bad}`);
  }
  const lan = parsePrefix('2001:db8:ffff::/64', 6)!;
  t.ok(prefixContains(lan, parseIPv6('2001:db8:ffff::10')!));
  t.notOk(prefixContains(lan, parseIPv6('2001:db8:fffe::10')!));
  t.notOk(prefixContains(parsePrefix('0.0.0.0/0', 4)!, parseIPv6('::1')!), 'families never mix');
});

t.test('member MACs', async (t) => {
  t.same(parseUnicastMac('02-AB-cd-00-00-01'), { ok: true, mac: '02:ab:cd:00:00:01' });
  t.same(parseUnicastMac('02:ab:cd:00:00:01'), { ok: true, mac: '02:ab:cd:00:00:01' });
  t.match(parseUnicastMac('ff:ff:ff:ff:ff:ff'), { ok: false, reason: /unicast/ });
  t.match(parseUnicastMac('33:33:00:00:00:01'), { ok: false, reason: /unicast/ });
  t.match(parseUnicastMac('00:00:00:00:00:00'), { ok: false, reason: /all-zero/ });
  for (const bad of ['02:00:00:00:00', '2:0:0:0:0:1', '02:00-00:00:00:01', '0200.0000.0001', '02:00:00:00:00:0g']) {
    t.match(parseUnicastMac(bad), { ok: false, reason: /must be a MAC address/ }, bad);
  }
});
