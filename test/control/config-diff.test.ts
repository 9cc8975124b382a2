import t from 'tap';
import { diffPorts, formatConfigError, parseConfig } from '../../src/control/config-load.js';
import type { Config } from '../../src/control/config-types.js';

function configOf(text: string): Config {
  const r = parseConfig(text, 'cfg.yaml');
  if (!r.ok) throw new Error(`unexpected errors:\n${r.errors.map(formatConfigError).join('\n')}`);
  return r.config;
}

interface Knobs {
  vxlanPort?: number;
  maxMacsPerPort?: number;
  macsA?: string;
  vniA?: number;
  nameB?: string;
  macsB?: string;
  extraA?: string;
  withB?: boolean;
}

function registry(k: Knobs = {}): string {
  const b =
    k.withB === false
      ? ''
      : `  - asn: 64501
    name: ${k.nameB ?? 'B'}
    macs: [${k.macsB ?? '02:00:00:00:00:0b'}]
    policy: { max_macs: 2 }
    connections:
      - { type: eoip, remote: 203.0.113.11, tunnel_id: 7 }
`;
  return `pop:
  name: fmt
  underlay: { ipv4: 198.51.100.1 }
  vxlan_port: ${k.vxlanPort ?? 4789}
fabric:
  peering_lan: { ipv4: 192.0.2.0/24 }
  fdb: { max_macs_per_port: ${k.maxMacsPerPort ?? 4} }
trunks:
  - { pop: ams, remote: 198.51.100.2, vni: 10 }
members:
  - asn: 64500
    name: A
    macs: [${k.macsA ?? '02:00:00:00:00:01, 02:00:00:00:00:02'}]
    connections:
      - { type: vxlan, remote: 203.0.113.10, vni: ${k.vniA ?? 101} }
      - { type: tap, interface: tap-a }
${k.extraA ?? ''}${b}`;
}

const base = configOf(registry());
const ALL = ['trunk-ams', 'as64500-vx', 'as64500-tap', 'as64501-eoip'];

t.test('same config: everything unchanged', async (t) => {
  t.same(base.ports.map((p) => p.name), ALL);
  t.same(diffPorts(base, configOf(registry())), { added: [], removed: [], changed: [], unchanged: ALL });
});

t.test("a member's MAC list change changes all its ports, and only its ports", async (t) => {
  const next = configOf(registry({ macsA: '02:00:00:00:00:01' }));
  t.same(diffPorts(base, next), {
    added: [],
    removed: [],
    changed: ['as64500-vx', 'as64500-tap'],
    unchanged: ['trunk-ams', 'as64501-eoip'],
  });
});

t.test('the order of MACs does not matter', async (t) => {
  const next = configOf(registry({ macsA: '02-00-00-00-00-02, 02:00:00:00:00:01' }));
  t.same(diffPorts(base, next).changed, []);
});

t.test("an unrelated member's change leaves the other ports unchanged", async (t) => {
  const renamed = configOf(registry({ nameB: 'B Renamed' }));
  t.same(diffPorts(base, renamed).unchanged, ALL, 'a descriptive name does not affect behaviour');
  const newMac = configOf(registry({ macsB: '02:00:00:00:00:0c' }));
  t.same(diffPorts(base, newMac), {
    added: [],
    removed: [],
    changed: ['as64501-eoip'],
    unchanged: ['trunk-ams', 'as64500-vx', 'as64500-tap'],
  });
});

t.test('port parameters', async (t) => {
  t.same(diffPorts(base, configOf(registry({ vniA: 102 }))).changed, ['as64500-vx']);
});

t.test('added and removed ports', async (t) => {
  const next = configOf(
    registry({ withB: false, extraA: '      - { type: vxlan, remote: 203.0.113.10, vni: 102 }\n' }),
  );
  t.same(diffPorts(base, next), {
    added: ['as64500-vx2'],
    removed: ['as64501-eoip'],
    changed: [],
    unchanged: ['trunk-ams', 'as64500-vx', 'as64500-tap'],
  });
  t.same(diffPorts(next, base), {
    added: ['as64501-eoip'],
    removed: ['as64500-vx2'],
    changed: [],
    unchanged: ['trunk-ams', 'as64500-vx', 'as64500-tap'],
  });
});

t.test('fabric-wide settings change the ports that use them', async (t) => {
  t.same(diffPorts(base, configOf(registry({ maxMacsPerPort: 8 }))), {
    added: [],
    removed: [],
    changed: ['as64500-vx', 'as64500-tap'],
    unchanged: ['trunk-ams', 'as64501-eoip'],
  }, 'B has its own max_macs; trunks have no MAC limit');
  t.same(diffPorts(base, configOf(registry({ vxlanPort: 4790 }))), {
    added: [],
    removed: [],
    changed: ['trunk-ams', 'as64500-vx'],
    unchanged: ['as64500-tap', 'as64501-eoip'],
  }, 'the VXLAN receive port affects VXLAN ports only');
});
