/**
 * The simulated network behind `mr gen flowlogs`, drawn once from the seed: an account or three,
 * three VPCs (one per private range), hundreds of ENIs with roles, internet hosts (some of them AWS
 * services), the recurring conversations between them ranked by a Zipf law (so a few pairs carry
 * most bytes), internet background noise and a few port scanners. Pure: no I/O.
 */
import { hexDigits, intIn, pareto, pick, rngFor, WeightedChoice, type Rng } from './rng.js';

type Role = 'app' | 'web' | 'db' | 'win' | 'bastion' | 'dns' | 'mon';

/** Text as the bytes the generator copies into its output (lines are built byte by byte, see flowlogs-gen.ts). */
export type Ascii = Uint8Array;
export const ascii = (s: string): Ascii => Buffer.from(s, 'latin1');

export interface Eni {
  id: string;
  ip: string;
  ipAscii: Ascii;
  vpc: number;
  role: Role;
  /** `2 account eni-… ` and `5 account eni-… `: how each of its lines starts. */
  head2: Ascii;
  head5: Ascii;
  /** v5 values: `vpc-id subnet-id instance-id` and `region az-id`. */
  meta: Ascii;
  loc: Ascii;
}

/** A recurring flow between `client` and `server` as seen on one ENI's log (text fields as T). */
export interface Conversation<T = Ascii> {
  eni: Eni;
  /** The ENI is the server: requests are ingress at it. */
  inbound: boolean;
  client: T;
  server: T;
  /** pkt-src/dst-aws-service values, `-` for most hosts. */
  clientService: T;
  serverService: T;
  port: number;
  /** 6 TCP, 17 UDP, 1 ICMP (ports 0). */
  proto: number;
  /** Mean packets per record in the heavier direction (heavy-tailed across conversations). */
  scale: number;
  /** Bytes per packet of requests and of responses, within [40, 1500). */
  reqBytes: number;
  respBytes: number;
  /** traffic-path of its egress records: 1 same VPC, 4 VPC peering, 7 gateway endpoint, 8 internet gateway. */
  path: T;
}

export interface Scanner {
  ip: Ascii;
  ports: number[];
  targets: Eni[];
}

export interface World {
  region: string;
  /** The flow log's owner: the S3 delivery path names it. */
  account: string;
  flowLogId: string;
  enis: Eni[];
  conversations: Conversation[];
  /** Zipf over `conversations` (index 0 the most frequent). */
  popular: WeightedChoice;
  noiseSources: Ascii[];
  noiseChoice: WeightedChoice;
  scanners: Scanner[];
}

const REGIONS = [['us-east-1', 'use1', 6], ['us-west-2', 'usw2', 4], ['eu-west-1', 'euw1', 3], ['eu-central-1', 'euc1', 3], ['ap-southeast-2', 'apse2', 3]] as const;
const CONVERSATIONS_PER_ENI = 25;
const PUBLIC_RESOLVERS = ['8.8.8.8', '8.8.4.4', '1.1.1.1'];
const AWS_SERVICES = ['AMAZON', 'AMAZON', 'EC2', 'CLOUDFRONT', 'S3', 'DYNAMODB'];

const digits = (r: Rng, n: number) => Array.from({ length: n }, () => intIn(r, 0, 9)).join('');

/** A public unicast IPv4 address: not private, loopback, link-local, CGNAT or multicast. */
export function publicIp(r: Rng): string {
  for (;;) {
    const a = intIn(r, 1, 223);
    const b = intIn(r, 0, 255);
    if (a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)) continue;
    return `${a}.${b}.${intIn(r, 0, 255)}.${intIn(r, 1, 254)}`;
  }
}

function roleOf(i: number, r: Rng): Role {
  if (i < 2) return 'dns';
  if (i < 4) return 'bastion';
  if (i < 6) return 'mon';
  const u = r();
  return u < 0.05 ? 'web' : u < 0.11 ? 'db' : u < 0.17 ? 'win' : 'app';
}

function makeEnis(r: Rng, accounts: string[], region: readonly [string, string, number]): Eni[] {
  const [name, azPrefix, azCount] = region;
  const bases = [`10.${intIn(r, 0, 255)}`, `172.${intIn(r, 16, 31)}`, '192.168'];
  const vpcs = bases.map((base) => ({
    id: `vpc-${hexDigits(r, 17)}`,
    base,
    subnets: Array.from({ length: intIn(r, 3, 6) }, (_, i) => ({ id: `subnet-${hexDigits(r, 17)}`, octet: i * 16 + intIn(r, 0, 15), az: `${azPrefix}-az${intIn(r, 1, azCount)}` })),
  }));
  const used = new Set<string>();
  const enis: Eni[] = [];
  const n = intIn(r, 300, 600);
  for (let i = 0; i < n; i++) {
    const vpc = r() < 0.6 ? 0 : r() < 0.6 ? 1 : 2;
    const v = vpcs[vpc]!;
    const subnet = pick(r, v.subnets);
    let ip: string;
    do ip = `${v.base}.${subnet.octet}.${intIn(r, 4, 254)}`;
    while (used.has(ip));
    used.add(ip);
    const role = roleOf(i, r);
    // load balancer, NAT gateway, Lambda and endpoint ENIs have no instance
    const instance = role === 'web' || r() < 0.08 ? '-' : `i-${hexDigits(r, 17)}`;
    const account = r() < 0.85 ? accounts[0]! : pick(r, accounts);
    const id = `eni-${hexDigits(r, 17)}`;
    enis.push({ id, ip, ipAscii: ascii(ip), vpc, role, head2: ascii(`2 ${account} ${id} `), head5: ascii(`5 ${account} ${id} `), meta: ascii(`${v.id} ${subnet.id} ${instance}`), loc: ascii(`${name} ${subnet.az}`) });
  }
  return enis;
}

interface Host {
  ip: string;
  service: string;
}

interface Pools {
  enis: Eni[];
  byRole: Record<Role, Eni[]>;
  servers: Host[];
  /** AWS service name -> its hosts. */
  services: Map<string, Host[]>;
  clients: string[];
}

type Flow = Conversation<string>;
type Builder = (r: Rng, p: Pools) => Flow;

const flow = (eni: Eni, inbound: boolean, client: string, server: string, port: number, proto: number, scale: number, reqBytes: number, respBytes: number, path: string, clientService = '-', serverService = '-'): Flow =>
  ({ eni, inbound, client, server, clientService, serverService, port, proto, scale, reqBytes, respBytes, path });

/** Between two ENIs, logged on either side. */
function internal(r: Rng, a: Eni, b: Eni, port: number, proto: number, scale: number, req: number, resp: number): Flow {
  const atServer = r() < 0.5;
  return flow(atServer ? b : a, atServer, a.ip, b.ip, port, proto, scale, req, resp, a.vpc === b.vpc ? '1' : '4');
}

/** Downloads mostly: small requests (ACKs), full-size responses; uploads the other way round. */
const sizes = (r: Rng): [number, number] => (r() < 0.85 ? [intIn(r, 52, 140), intIn(r, 1100, 1448)] : [intIn(r, 1100, 1448), intIn(r, 52, 140)]);

const BUILDERS: [number, Builder][] = [
  [30, (r, p) => {
    const s = pick(r, p.servers);
    return flow(pick(r, p.byRole.app), false, '', s.ip, r() < 0.85 ? 443 : 80, 6, 6 * pareto(r, 1.1, 5000), ...sizes(r), '8', '-', s.service);
  }],
  [14, (r, p) => flow(pick(r, p.byRole.web), true, pick(r, p.clients), '', r() < 0.8 ? 443 : 80, 6, 4 * pareto(r, 1.1, 5000), intIn(r, 100, 400), intIn(r, 900, 1448), '8')],
  [22, (r, p) => {
    const db = r() < 0.4;
    const server = pick(r, db ? p.byRole.db : p.byRole.app);
    return internal(r, pick(r, r() < 0.2 ? p.byRole.web : p.byRole.app), server, db ? pick(r, [5432, 3306, 6379]) : pick(r, [443, 443, 8080]), 6, 5 * pareto(r, 1.1, 5000), ...sizes(r));
  }],
  [10, (r, p) => (r() < 0.7
    ? internal(r, pick(r, p.enis), pick(r, p.byRole.dns), 53, 17, 1.5, intIn(r, 60, 80), intIn(r, 90, 300))
    : flow(pick(r, p.enis), false, '', pick(r, PUBLIC_RESOLVERS), 53, 17, 1.5, intIn(r, 60, 80), intIn(r, 90, 300), '8'))],
  [6, (r, p) => {
    const s = pick(r, p.services.get(r() < 0.7 ? 'S3' : 'DYNAMODB')!);
    return flow(pick(r, p.byRole.app), false, '', s.ip, 443, 6, 10 * pareto(r, 1.1, 5000), ...sizes(r), r() < 0.5 ? '7' : '8', '-', s.service);
  }],
  [4, (r, p) => (r() < 0.7
    ? internal(r, pick(r, p.byRole.bastion), pick(r, p.byRole.app), 22, 6, 3 * pareto(r, 1.3, 500), intIn(r, 60, 200), intIn(r, 60, 400))
    : flow(pick(r, p.byRole.bastion), true, pick(r, p.clients), '', 22, 6, 3 * pareto(r, 1.3, 500), intIn(r, 60, 200), intIn(r, 60, 400), '8'))],
  [3, (r, p) => internal(r, pick(r, p.byRole.bastion), pick(r, p.byRole.win), 3389, 6, 8 * pareto(r, 1.3, 500), intIn(r, 80, 200), intIn(r, 200, 1200))],
  [4, (r, p) => internal(r, pick(r, p.byRole.mon), pick(r, p.enis), 0, 1, 2, 84, 84)],
];
const BUILDER_CHOICE = new WeightedChoice(BUILDERS.map(([w]) => w));

function makeConversations(r: Rng, p: Pools, n: number): Conversation[] {
  const interned = new Map<string, Ascii>();
  const bytes = (s: string) => interned.get(s) ?? interned.set(s, ascii(s)).get(s)!;
  const out: Conversation[] = [];
  for (let i = 0; i < n; i++) {
    const c = BUILDERS[BUILDER_CHOICE.index(r)]![1](r, p);
    out.push({
      ...c,
      // an empty side is the ENI itself
      client: bytes(c.client || c.eni.ip), server: bytes(c.server || c.eni.ip),
      clientService: bytes(c.clientService), serverService: bytes(c.serverService), path: bytes(c.path),
    });
  }
  return out;
}

function makeScanners(r: Rng, enis: Eni[]): Scanner[] {
  return Array.from({ length: intIn(r, 3, 6) }, (_, i) => {
    const n = intIn(r, 50, 500);
    let ports: number[];
    if (r() < 0.5) {
      const from = r() < 0.5 ? 1 : intIn(r, 1, 60000);
      ports = Array.from({ length: n }, (_, k) => from + k);
    } else {
      const set = new Set<number>();
      while (set.size < n) set.add(intIn(r, 1, 65535));
      ports = [...set];
    }
    // the last one may be a compromised host inside the VPC
    const ip = i > 2 && r() < 0.5 ? pick(r, enis).ip : publicIp(r);
    return { ip: ascii(ip), ports, targets: Array.from({ length: intIn(r, 1, 3) }, () => pick(r, enis)) };
  });
}

export function buildWorld(seed: number): World {
  const r = rngFor(seed, 0x776f726c);
  const region = pick(r, REGIONS);
  const accounts = Array.from({ length: intIn(r, 1, 3) }, () => String(intIn(r, 1, 9)) + digits(r, 11));
  const flowLogId = `fl-${hexDigits(r, 17)}`;
  const enis = makeEnis(r, accounts, region);
  const byRole = { app: [], web: [], db: [], win: [], bastion: [], dns: [], mon: [] } as Record<Role, Eni[]>;
  for (const e of enis) byRole[e.role].push(e);
  for (const role of Object.keys(byRole) as Role[]) if (byRole[role].length === 0) byRole[role].push(enis[enis.length - 1]!);
  const servers: Host[] = Array.from({ length: 600 }, () => ({ ip: publicIp(r), service: r() < 0.25 ? pick(r, AWS_SERVICES) : '-' }));
  servers.push({ ip: publicIp(r), service: 'S3' }, { ip: publicIp(r), service: 'DYNAMODB' });
  const services = new Map<string, Host[]>();
  for (const s of servers) if (s.service !== '-') services.set(s.service, [...(services.get(s.service) ?? []), s]);
  const clients = Array.from({ length: 3000 }, () => publicIp(r));
  const conversations = makeConversations(r, { enis, byRole, servers, services, clients }, enis.length * CONVERSATIONS_PER_ENI);
  const noiseSources = Array.from({ length: 2000 }, () => ascii(publicIp(r)));
  return {
    region: region[0], account: accounts[0]!, flowLogId, enis, conversations, popular: WeightedChoice.zipf(conversations.length, 1.1),
    noiseSources, noiseChoice: WeightedChoice.zipf(noiseSources.length, 0.9), scanners: makeScanners(r, enis),
  };
}
