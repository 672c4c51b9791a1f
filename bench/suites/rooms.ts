// Issue 17: a room's fan-out, signed once per event (spec/rooms.md) against an unsigned uWS topic
// publish of the same payload, to the same number of members. Members live in two processes of
// their own (bench/rooms/subscriber.ts) that count raw frames and fully verify a sample; the server
// publishes as fast as one turn of its event loop allows (64 payloads a turn: a saturating load,
// which the room stream signs in batches) and, separately, one payload a turn (paced).
import { Proc } from '../e2e/proc.js';
import { fmtHz, fmtRatio, table, type Profile, type SuiteReport, type Target } from '../lib.js';
import type { Mode, ServerCommand, ServerReply, SubscriberCommand, SubscriberReply } from '../rooms/protocol.js';

type Server = Proc<ServerCommand, ServerReply>;
type Subscriber = Proc<SubscriberCommand, SubscriberReply>;
const PROCESSES = 2;
const SIZE = 64;

interface Run {
  deliveries: number;
  p50: number;
  p99: number;
  signatures: number;
  sampled: number;
  verified: number;
}

const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

async function round(server: Server, subs: Subscriber[], members: number, count: number, perTick: number): Promise<Run> {
  const expecting = subs.map((s) => s.call({ op: 'expect', messages: count }, 300_000));
  const pub = (await server.call({ op: 'publish', count, size: SIZE, perTick }, 300_000)) as Extract<ServerReply, { op: 'published' }>;
  const got = (await Promise.all(expecting)) as Extract<SubscriberReply, { op: 'received' }>[];
  const last = pub.sentAt.map((_, i) => Math.max(...got.map((g) => g.lastAt[i]!)));
  const latency = last.map((t, i) => t - pub.sentAt[i]!);
  const seconds = (Math.max(...last) - pub.sentAt[0]!) / 1000;
  return {
    deliveries: (members * count) / seconds,
    p50: pct(latency, 0.5),
    p99: pct(latency, 0.99),
    signatures: pub.signatures / count,
    sampled: got.reduce((a, g) => a + g.sampled, 0),
    verified: got.reduce((a, g) => a + g.verified, 0),
  };
}

async function runMode(mode: Mode, members: number, count: number): Promise<{ saturating: Run; paced: Run; bytesPerMember?: number }> {
  const { proc: server } = await Proc.start<ServerCommand, ServerReply>('../rooms/server.ts', [], ['--expose-gc']);
  const subs: Subscriber[] = [];
  try {
    const listening = (await server.call({ op: 'listen', mode, members })) as Extract<ServerReply, { op: 'listening' }>;
    for (let p = 0; p < PROCESSES; p++) subs.push((await Proc.start<SubscriberCommand, SubscriberReply>('../rooms/subscriber.ts', [])).proc);
    const share = members / PROCESSES;
    await Promise.all(
      subs.map((s, p) => s.call({ op: 'connect', mode, url: listening.url, serverKey: listening.serverKey, first: p * share, count: share }, 600_000)),
    );
    let bytesPerMember: number | undefined;
    if (mode === 'signed') {
      const before = (await server.call({ op: 'memory' })) as Extract<ServerReply, { op: 'memory' }>;
      for (const s of subs) await s.call({ op: 'join', room: 'bench' }, 600_000);
      const after = (await server.call({ op: 'memory' })) as Extract<ServerReply, { op: 'memory' }>;
      bytesPerMember = (after.heapUsed - before.heapUsed) / members;
    }
    await round(server, subs, members, Math.min(count, 20), 64); // warm-up
    const saturating = await round(server, subs, members, count, 64);
    const paced = await round(server, subs, members, Math.max(10, Math.floor(count / 4)), 1);
    return { saturating, paced, ...(bytesPerMember !== undefined ? { bytesPerMember } : {}) };
  } finally {
    for (const s of subs) {
      await s.call({ op: 'close' }).catch(() => undefined);
      await s.end();
    }
    await server.call({ op: 'stop' }).catch(() => undefined);
    await server.end();
  }
}

export async function roomsSuite(profile: Profile): Promise<SuiteReport> {
  const sizes = profile.quick
    ? [[200, 50]]
    : [
        [1000, 200],
        [10_000, 40],
      ];
  const rows: string[][] = [];
  const targets: Target[] = [];
  for (const [members, count] of sizes as [number, number][]) {
    const plain = await runMode('plain', members, count);
    const signed = await runMode('signed', members, count);
    const ratio = signed.saturating.deliveries / plain.saturating.deliveries;
    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    rows.push([
      members.toLocaleString('en-US'),
      fmtHz(plain.saturating.deliveries),
      fmtHz(signed.saturating.deliveries),
      fmtRatio(ratio),
      signed.saturating.signatures.toFixed(3),
      signed.paced.signatures.toFixed(3),
      `${ms(plain.saturating.p50)} / ${ms(plain.saturating.p99)}`,
      `${ms(signed.saturating.p50)} / ${ms(signed.saturating.p99)}`,
      `${ms(signed.paced.p50)} / ${ms(signed.paced.p99)}`,
      `${Math.round(signed.bytesPerMember ?? 0)} B`,
      `${signed.saturating.verified}/${signed.saturating.sampled}`,
    ]);
    process.stderr.write(`  rooms ${members}: signed/unsigned ${fmtRatio(ratio)}, ${signed.saturating.signatures.toFixed(3)} sig/event\n`);
    if (signed.saturating.verified !== signed.saturating.sampled)
      throw new Error(`rooms bench: ${signed.saturating.sampled - signed.saturating.verified} sampled frames did not verify`);
    if (members === 1000) {
      targets.push({
        what: 'room publish to 1,000 members, deliveries/s: signed ÷ unsigned uWS publish',
        issue: '#17',
        measured: ratio,
        goal: 0.5,
        kind: 'min',
        unit: '×',
      });
      targets.push({
        what: 'server signatures per room event, saturating load (batches)',
        issue: '#17',
        measured: signed.saturating.signatures,
        goal: 1 / 16,
        kind: 'max',
        unit: '',
      });
      targets.push({ what: 'server signatures per room event, paced', issue: '#17', measured: signed.paced.signatures, goal: 1, kind: 'max', unit: '' });
    }
  }
  const markdown = [
    `Fan-out of a ${SIZE}-byte payload to every member of one room on uWebSockets.js, 127.0.0.1, 2 shared cores`,
    'for the server and both member processes together. Unsigned: `app.publish` to a topic. Signed:',
    '`SecureServer.publish` on a room stream (one server signature per event, or per batch of a turn;',
    'frames go out by topic publish). Members count frames off their sockets and fully verify one in',
    '64 (signature or batch proof: the last column). Deliveries/s = members × events ÷ (last delivery −',
    'first publish). Latency: publish → the last member, p50 / p99, saturating (64 events a turn) and',
    'paced (one a turn). Memory: server heap per member joining the room (after GC).',
    'Members count WebSocket frames straight off their TCP sockets (bench/rooms/raw.ts), so the load',
    'generator costs little per frame; sealwire members handshake and join over `ws` first. The server',
    'and both member processes still share the 2 cores: ratios between runs vary by about ±0.1.',
    '',
    table(
      [
        'members',
        'unsigned',
        'signed',
        'signed / unsigned',
        'sig/event saturating',
        'sig/event paced',
        'unsigned p50 / p99',
        'signed p50 / p99',
        'signed paced p50 / p99',
        'heap / membership',
        'sample verified',
      ],
      rows,
    ),
  ].join('\n');
  return { title: 'Rooms: signed room stream vs unsigned uWS publish', markdown, targets };
}
