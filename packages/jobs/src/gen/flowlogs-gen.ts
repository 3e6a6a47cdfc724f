/**
 * `mr gen flowlogs`: synthetic AWS VPC Flow Logs, as S3 delivery writes them. Pure: the seed and
 * options give file names and chunks of text; the CLI streams them to a location. The same seed
 * gives the same bytes; file `i`'s content depends only on the seed, `i`, version and lines per file.
 *
 * Each line is drawn as one of: a recurring conversation (Zipf-ranked: request, then usually its
 * response), internet background noise (REJECT), a port scanner's probe (REJECT, many ports per
 * source), or a NODATA / SKIPDATA record.
 */
import { hash32, intIn, pick, rngFor, type Rng } from './rng.js';
import { ascii, buildWorld, type Ascii, type Conversation, type Eni, type World } from './flowlogs-world.js';

export const FLOWLOGS_V2_FIELDS = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'] as const;
export const FLOWLOGS_V5_FIELDS = [
  ...FLOWLOGS_V2_FIELDS, 'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr', 'region', 'az-id',
  'sublocation-type', 'sublocation-id', 'pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path',
] as const;

export interface FlowLogsGenOptions {
  files: number;
  /** Records per file (the v5 header line is extra). */
  linesPerFile: number;
  seed: number;
  version: 2 | 5;
  gzip: boolean;
}

export const FLOWLOGS_GEN_DEFAULTS: FlowLogsGenOptions = { files: 4, linesPerFile: 100_000, seed: 1, version: 2, gzip: false };

/** File `i` holds the flows of the 5-minute window starting at FIRST_WINDOW_S + i * WINDOW_S. */
export const FIRST_WINDOW_S = 1767225600; // 2026-01-01T00:00:00Z
export const WINDOW_S = 300;

export interface FlowLogsFile {
  index: number;
  /** `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/<account>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log[.gz]` */
  name: string;
  /** Unix seconds: every record's start and end lie in [windowStart, windowEnd). */
  windowStart: number;
  windowEnd: number;
}

// what each drawn line is: cumulative probabilities (the rest are conversations, 1 or 2 lines)
const P_NODATA = 0.004;
const P_SKIPDATA = 0.005;
const P_SCAN = 0.045;
const P_NOISE = 0.2;
/** Conversations refused by a security group or network ACL. */
const P_CONVERSATION_REJECT = 0.02;
/** Conversations whose response falls in another window. */
const P_NO_RESPONSE = 0.12;
const NOISE_PORTS = [22, 22, 22, 22, 22, 22, 3389, 3389, 3389, 3389, 23, 23, 445, 445, 1433, 3306, 8080, 5900, 80, 443, 25, 135];
const NOISE_UDP_PORTS = [53, 123, 161, 1900, 3389, 5060];
/** tcp-flags of a long flow's request record: SYN (it starts), none (mid-flow), FIN (it ends), RST. */
const LONG_FLOW_FLAGS = [2, 0, 0, 1, 4];

/** The record being written; reused for every line (no allocation per line). */
interface Rec {
  eni: Eni;
  src: Ascii;
  dst: Ascii;
  sport: number;
  dport: number;
  proto: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  reject: boolean;
  flags: number;
  srcService: Ascii;
  dstService: Ascii;
  egress: boolean;
  path: Ascii;
}

const DASH = ascii('-');
const ACCEPT_OK = ascii(' ACCEPT OK');
const REJECT_OK = ascii(' REJECT OK');
const IPV4 = ascii(' IPv4 ');
const NO_SUBLOCATION = ascii(' - - ');
const EGRESS = ascii(' egress ');
const INGRESS = ascii(' ingress -');

/** Longer than any line (a v5 line is under 400 bytes). */
const LINE_MAX = 1024;

const ephemeral = (r: Rng) => 32768 + Math.floor(r() * 32768);

/** `packets` packets of `per` bytes each on average: total within [40, 1500] per packet. */
const bytesOf = (r: Rng, packets: number, per: number) => packets * per + Math.floor(r() * packets * 0.5);

/**
 * Writes the lines of one file into chunk buffers, byte by byte: the text of the world is kept as
 * bytes and numbers are written as digits, which is faster than building strings and encoding them
 * (no string ropes to flatten, little garbage).
 */
class FileLines {
  /** The chunk being filled; LINE_MAX bytes of slack past `chunkBytes` so a line always fits. */
  buf: Buffer;
  pos = 0;
  private readonly x: Rec;

  constructor(private readonly world: World, private readonly v5: boolean, private readonly r: Rng, private readonly windowStart: number, private readonly chunkBytes: number) {
    this.buf = Buffer.allocUnsafe(chunkBytes + LINE_MAX);
    const eni = world.enis[0]!;
    this.x = { eni, src: DASH, dst: DASH, sport: 0, dport: 0, proto: 6, packets: 0, bytes: 0, start: 0, end: 0, reject: false, flags: 0, srcService: DASH, dstService: DASH, egress: false, path: DASH };
  }

  /** Draws one event; writes 1 line, or 2 when `max` allows. Returns the number of lines. */
  next(max: number): number {
    const u = this.r();
    if (u < P_NODATA) return this.noData('NODATA');
    if (u < P_SKIPDATA) return this.noData('SKIPDATA');
    if (u < P_SCAN) return this.probe(pick(this.r, this.world.scanners));
    if (u < P_NOISE) return this.noise();
    return this.conversation(this.world.conversations[this.world.popular.index(this.r)]!, max);
  }

  private put(text: Ascii): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) buf[p++] = text[i]!;
    this.pos = p;
  }

  private char(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A whole number >= 0 in decimal. */
  private num(n: number): void {
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    const buf = this.buf;
    let p = (this.pos += digits);
    do {
      const q = Math.floor(n / 10);
      buf[--p] = 48 + n - q * 10;
      n = q;
    } while (n > 0);
  }

  private spaceNum(n: number): void {
    this.buf[this.pos++] = 32;
    this.num(n);
  }

  private emit(): void {
    const x = this.x;
    this.put(this.v5 ? x.eni.head5 : x.eni.head2);
    this.put(x.src);
    this.char(32);
    this.put(x.dst);
    this.spaceNum(x.sport);
    this.spaceNum(x.dport);
    this.spaceNum(x.proto);
    this.spaceNum(x.packets);
    this.spaceNum(x.bytes);
    this.spaceNum(x.start);
    this.spaceNum(x.end);
    this.put(x.reject ? REJECT_OK : ACCEPT_OK);
    if (this.v5) {
      this.char(32);
      this.put(x.eni.meta);
      this.char(32);
      this.num(x.flags);
      this.put(IPV4);
      this.put(x.src);
      this.char(32);
      this.put(x.dst);
      this.char(32);
      this.put(x.eni.loc);
      this.put(NO_SUBLOCATION);
      this.put(x.srcService);
      this.char(32);
      this.put(x.dstService);
      if (x.egress) {
        this.put(EGRESS);
        this.put(x.path);
      } else {
        this.put(INGRESS);
      }
    }
    this.char(10);
  }

  /** The filled part of the chunk, and a fresh chunk to fill. */
  take(): Buffer {
    const full = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.chunkBytes + LINE_MAX);
    this.pos = 0;
    return full;
  }

  /** A span of `seconds` inside the window. */
  private span(seconds: number): void {
    this.x.start = this.windowStart + Math.floor(this.r() * (WINDOW_S - seconds));
    this.x.end = this.x.start + seconds;
  }

  private noData(status: string): number {
    const r = this.r;
    const e = pick(r, this.world.enis);
    this.span(intIn(r, 50, 60));
    this.put(this.v5 ? e.head5 : e.head2);
    this.pos += this.buf.write(`- - - - - - - ${this.x.start} ${this.x.end} - ${status}`, this.pos, 'latin1');
    if (this.v5) {
      this.char(32);
      this.put(e.meta);
      this.pos += this.buf.write(' - - - - ', this.pos, 'latin1');
      this.put(e.loc);
      this.pos += this.buf.write(' - - - - - -', this.pos, 'latin1');
    }
    this.char(10);
    return 1;
  }

  /** An inbound SYN refused: 1-2 packets of 40-60 bytes. */
  private refused(eni: Eni, src: Ascii, port: number, proto: number): number {
    const r = this.r;
    const x = this.x;
    x.eni = eni;
    x.src = src;
    x.dst = eni.ipAscii;
    x.sport = ephemeral(r);
    x.dport = port;
    x.proto = proto;
    x.packets = r() < 0.8 ? 1 : 2;
    x.bytes = x.packets * (proto === 6 ? (r() < 0.5 ? 40 : 44) : intIn(r, 40, 60));
    x.reject = true;
    x.flags = proto === 6 ? 2 : 0;
    x.srcService = DASH;
    x.dstService = DASH;
    x.egress = false;
    this.span(intIn(r, 0, 50));
    this.emit();
    return 1;
  }

  private probe(s: World['scanners'][number]): number {
    return this.refused(pick(this.r, s.targets), s.ip, pick(this.r, s.ports), 6);
  }

  private noise(): number {
    const r = this.r;
    const udp = r() < 0.1;
    return this.refused(pick(r, this.world.enis), this.world.noiseSources[this.world.noiseChoice.index(r)]!, pick(r, udp ? NOISE_UDP_PORTS : NOISE_PORTS), udp ? 17 : 6);
  }

  private conversation(c: Conversation, max: number): number {
    const r = this.r;
    const x = this.x;
    const tcp = c.proto === 6;
    const clientPort = c.proto === 1 ? 0 : ephemeral(r);
    const long = r() < 0.5;
    this.span(long ? intIn(r, 50, 60) : intIn(r, 0, 20));
    x.eni = c.eni;
    x.proto = c.proto;
    x.path = c.path;
    x.reject = r() < P_CONVERSATION_REJECT;
    const packets = x.reject ? intIn(r, 1, 3) : Math.max(1, Math.round(c.scale * (0.25 + 1.5 * r()) * (long ? 1 : 0.2)));
    const reqPackets = Math.max(1, Math.round(packets * (c.reqBytes < c.respBytes ? 0.6 : 1)));
    // request: client -> server
    x.src = c.client;
    x.dst = c.server;
    x.sport = clientPort;
    x.dport = c.port;
    x.packets = reqPackets;
    x.bytes = bytesOf(r, reqPackets, x.reject ? 44 : c.reqBytes);
    x.flags = !tcp ? 0 : x.reject ? 2 : long ? pick(r, LONG_FLOW_FLAGS) : 3;
    x.srcService = c.clientService;
    x.dstService = c.serverService;
    x.egress = !c.inbound;
    this.emit();
    if (x.reject || max < 2 || r() < P_NO_RESPONSE) return 1;
    // response: server -> client
    const respPackets = Math.max(1, Math.round(packets * (c.reqBytes < c.respBytes ? 1 : 0.6)));
    x.src = c.server;
    x.dst = c.client;
    x.sport = c.port;
    x.dport = clientPort;
    x.packets = respPackets;
    x.bytes = bytesOf(r, respPackets, c.respBytes);
    x.flags = x.flags === 3 ? 19 : x.flags === 2 ? 18 : x.flags;
    x.srcService = c.serverService;
    x.dstService = c.clientService;
    x.egress = c.inbound;
    this.emit();
    return 2;
  }
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export class FlowLogsGenerator {
  readonly world: World;

  constructor(readonly options: FlowLogsGenOptions) {
    this.world = buildWorld(options.seed);
  }

  /** File `index`'s window and name; the name's time is the window's end (when AWS delivers it). */
  file(index: number): FlowLogsFile {
    const { account, region, flowLogId } = this.world;
    const windowStart = FIRST_WINDOW_S + index * WINDOW_S;
    const t = new Date((windowStart + WINDOW_S) * 1000);
    const [y, mo, d] = [String(t.getUTCFullYear()), pad2(t.getUTCMonth() + 1), pad2(t.getUTCDate())];
    const stamp = `${y}${mo}${d}T${pad2(t.getUTCHours())}${pad2(t.getUTCMinutes())}Z`;
    const hash = hash32(this.options.seed, index, 0x6e616d65).toString(16).padStart(8, '0');
    const ext = this.options.gzip ? '.log.gz' : '.log';
    const name = `AWSLogs/${account}/vpcflowlogs/${region}/${y}/${mo}/${d}/${account}_vpcflowlogs_${region}_${flowLogId}_${stamp}_${hash}${ext}`;
    return { index, name, windowStart, windowEnd: windowStart + WINDOW_S };
  }

  /**
   * The bytes of file `index` (uncompressed ASCII) in chunks of about `chunkBytes` (each a fresh
   * Buffer the consumer may keep). Lines are written straight into the chunk: building one big string
   * and converting it costs twice the time (string ropes, then flattening).
   */
  *chunks(index: number, chunkBytes = 64 * 1024): Generator<Buffer> {
    const { linesPerFile, version, seed } = this.options;
    const g = new FileLines(this.world, version === 5, rngFor(seed, index, 0x66696c65), FIRST_WINDOW_S + index * WINDOW_S, chunkBytes);
    if (version === 5) g.pos = g.buf.write(FLOWLOGS_V5_FIELDS.join(' ') + '\n', 0, 'latin1');
    let left = linesPerFile;
    while (left > 0) {
      left -= g.next(left);
      if (g.pos >= chunkBytes) yield g.take();
    }
    if (g.pos > 0) yield g.take();
  }
}
