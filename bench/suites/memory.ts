// Bytes of replay state per tracked stream, measured in a fresh process started with --expose-gc:
// heap and ArrayBuffer memory before and after 100,000 streams are committed, after full GCs.
// Everything the store keeps is counted (Map entries, key strings, window bitmaps, metadata); the
// request inputs are allocated before the baseline and kept alive, so they are not.
import { MemoryReplayStore } from '../../src/index.js';
import type { ReplayRequest } from '../../src/replay/store.js';
import { TS, type Keys } from '../fixtures.js';
import { runChild, table, type Profile, type SuiteReport } from '../lib.js';

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
  return {
    title: 'Memory per tracked replay stream',
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
      'Bytes per open session: needs the session layer\'s objects; not measured yet.',
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
