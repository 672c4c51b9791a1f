// Bytes of replay state per tracked stream, measured in a fresh process started with --expose-gc:
// heap and ArrayBuffer memory before and after 100,000 streams are committed, after full GCs.
// Everything the store keeps is counted (Map entries, key strings, window bitmaps, metadata); the
// request inputs are allocated before the baseline and kept alive, so they are not.
import { MemoryReplayStore } from '../../src/index.js';
import type { ReplayRequest } from '../../src/replay/store.js';
import { loadSodium } from '../../src/crypto/sodium.js';
import { TS, type Keys } from '../fixtures.js';
import { runChild, table, type Profile, type SuiteReport } from '../lib.js';
import { Proc } from '../e2e/proc.js';
import type { ClientCommand, ClientReply, ServerCommand, ServerReply } from '../e2e/protocol.js';

interface SessionFigure {
  adapter: 'ws' | 'uws';
  mode: 'unsigned' | 'sealwire';
  sessions: number;
  heapPerSession: number;
  buffersPerSession: number;
  rssPerSession: number;
}

// Open connections held by one client process, measured in the server process (bench/e2e/server.ts
// started with --expose-gc): heap + ArrayBuffers and RSS after full GCs, before and after N more
// connections, divided by N. A few connections are opened first so that one-off costs (JIT, the
// first session's tables) fall before the baseline.
async function sessionMemory(adapter: 'ws' | 'uws', mode: 'unsigned' | 'sealwire', n: number): Promise<SessionFigure> {
  const WARM = 32;
  const backend = loadSodium() ? 'sodium' : 'node';
  const { proc: server, first } = await Proc.start<ServerCommand, ServerReply>('./server.ts', [adapter, mode, backend, '0'], ['--expose-gc']);
  const { proc: client } = await Proc.start<ClientCommand, ClientReply>('./client.ts', []);
  try {
    if (first.op !== 'ready') throw new Error('memory: server did not start');
    if (adapter === 'uws' && !first.uwsNative) throw new Error('memory: uWebSockets.js native binary not loaded');
    const url = `ws://127.0.0.1:${first.port}${mode === 'sealwire' ? '/bench' : '/'}`;
    const open = async (conns: number): Promise<void> => {
      const c = await client.call({ op: 'connect', url, mode, conns, serverKey: first.serverKey }, 120_000);
      if (c.op !== 'connected') throw new Error('memory: connect failed');
    };
    const settled = async (want: number): Promise<ServerReply & { op: 'memory' }> => {
      // The server may still be finishing the last handshakes: wait (bounded) for all of them.
      const until = performance.now() + 10_000;
      for (;;) {
        const m = await server.call({ op: 'memory' });
        if (m.op !== 'memory') throw new Error('memory: no figure');
        if (m.sessions >= want || performance.now() > until) {
          if (m.sessions < want) throw new Error(`memory: ${m.sessions} of ${want} sessions open`);
          return m;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await open(WARM);
    const before = await settled(WARM);
    await open(n);
    const after = await settled(WARM + n);
    await client.call({ op: 'close' }, 30_000);
    await server.call({ op: 'stop' }, 30_000);
    return {
      adapter,
      mode,
      sessions: n,
      heapPerSession: (after.heap - before.heap) / n,
      buffersPerSession: (after.buffers - before.buffers) / n,
      rssPerSession: (after.rss - before.rss) / n,
    };
  } finally {
    await Promise.all([client.end(), server.end()]);
  }
}

interface MemoryFigure {
  window: number;
  streams: number;
  bytesPerStream: number;
  heapPerStream: number;
  buffersPerStream: number;
}

function settle(): { heap: number; buffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

function measureStreams(keys: Keys, window: number, streams: number): MemoryFigure {
  const kid = keys.key['node']!.kid;
  const reqs: ReplayRequest[] = new Array(streams);
  for (let i = 0; i < streams; i++) {
    const stream = new Uint8Array(16);
    new DataView(stream.buffer).setUint32(0, i);
    stream[15] = 0x5a;
    reqs[i] = { kid, stream, seq: 1, ts: TS, now: TS, expiresAt: TS + 60_000 };
  }
  const before = settle();
  const store = new MemoryReplayStore({ window, maxStreams: streams, startedAt: 0 });
  for (const r of reqs) if (store.commit(r) !== 'ok') throw new Error('store refused a new stream');
  const after = settle();
  if (store.size !== streams) throw new Error('not every stream is tracked');
  const heap = (after.heap - before.heap) / streams;
  const buffers = (after.buffers - before.buffers) / streams;
  consumeAll(store, reqs);
  return { window, streams, bytesPerStream: heap + buffers, heapPerStream: heap, buffersPerStream: buffers };
}

// Keeps both alive until after the second measurement.
let kept: unknown;
function consumeAll(...xs: unknown[]): void {
  kept = xs;
}

export async function memoryChild(_profile: Profile, keys: Keys): Promise<SuiteReport> {
  const figures = [measureStreams(keys, 1024, 100_000), measureStreams(keys, 8192, 10_000)];
  void kept;
  return { title: 'memory', markdown: JSON.stringify(figures), targets: [] };
}

export async function memorySuite(profile: Profile): Promise<SuiteReport> {
  // Three fresh processes; the median per figure.
  const runs: MemoryFigure[][] = [];
  for (let i = 0; i < (profile.quick ? 1 : 3); i++) {
    const r = await runChild(profile, ['memory'], ['--expose-gc']);
    runs.push(JSON.parse(r.markdown) as MemoryFigure[]);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const figures = runs[0]!.map((f, j) => ({
    ...f,
    bytesPerStream: med(runs.map((r) => r[j]!.bytesPerStream)),
    heapPerStream: med(runs.map((r) => r[j]!.heapPerStream)),
    buffersPerStream: med(runs.map((r) => r[j]!.buffersPerStream)),
  }));
  const w1024 = figures.find((f) => f.window === 1024)!;
  const n = profile.quick ? 300 : 2000;
  const sessions: SessionFigure[] = [];
  for (const adapter of ['ws', 'uws'] as const) {
    for (const mode of ['unsigned', 'sealwire'] as const) sessions.push(await sessionMemory(adapter, mode, n));
  }
  const sessionRows = sessions.map((f) => {
    const base = sessions.find((u) => u.adapter === f.adapter && u.mode === 'unsigned')!;
    const js = f.heapPerSession + f.buffersPerSession;
    return [
      `${f.adapter} ${f.mode === 'unsigned' ? 'unsigned (plain connection)' : 'sealwire session'}`,
      f.sessions.toLocaleString('en'),
      js.toFixed(0),
      f.heapPerSession.toFixed(0),
      f.buffersPerSession.toFixed(0),
      f.rssPerSession.toFixed(0),
      f.mode === 'sealwire' ? (js - (base.heapPerSession + base.buffersPerSession)).toFixed(0) : '–',
    ];
  });
  return {
    title: 'Memory per tracked replay stream and per open session',
    markdown: [
      `MemoryReplayStore after one commit on each of N distinct streams (same kid), measured in a fresh`,
      `process with --expose-gc: (heapUsed + arrayBuffers after − before) / N, median of ${runs.length} process(es).`,
      'The bitmap alone is W/8 + 4 bytes (RFC 6479 keeps one extra 32-bit block); the rest is the',
      'stream index (a Map keyed by kid and stream) and per-stream metadata.',
      '',
      table(
        ['window W', 'streams N', 'bytes / stream', 'of which JS heap', 'of which ArrayBuffers', 'bitmap alone'],
        figures.map((f) => [
          String(f.window),
          f.streams.toLocaleString('en'),
          f.bytesPerStream.toFixed(0),
          f.heapPerStream.toFixed(0),
          f.buffersPerStream.toFixed(0),
          String(f.window / 8 + 4),
        ]),
      ),
      '',
      '### Bytes per open session',
      '',
      `N idle connections from one client process to a server process started with --expose-gc (bench/e2e/`,
      `server.ts, 127.0.0.1): heap + ArrayBuffers and RSS of the server after full GCs, before and after N`,
      `more connections (after ${32} warm-up ones), divided by N; one process per row. A sealwire session is`,
      'counted after its handshake and one join (a room of its own, so one replay stream and one',
      'acknowledgement record); it includes its client key\'s entry in the server\'s key ring, its',
      'ServerSession, outbox, receipt sender and rate-limit bucket, and the transport underneath. "Plain',
      'connection" is the same server stack without sealwire. RSS also counts native memory (uWS keeps',
      'its sockets outside the JS heap) and moves in pages, so it is the rougher figure.',
      '',
      table(['server', 'connections N', 'JS bytes / connection', 'of which heap', 'of which ArrayBuffers', 'RSS bytes / connection', 'sealwire − plain (JS)'], sessionRows),
    ].join('\n'),
    targets: [
      {
        what: 'replay state per tracked stream, W = 1,024, 100k streams',
        issue: '#3.5',
        measured: w1024.bytesPerStream,
        goal: 256,
        kind: 'max',
        unit: 'B',
      },
    ],
  };
}
