// The shared resume store on a real redis-server ([HS-7.13]): a take fences the holder it replaces,
// a state is never taken for another client key, states expire unless refreshed, a journal's
// writes land in order and a store that does not answer fails the session closed with ERR_STORE.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importSigningKey, type ClientSession } from '../../src/index.js';
import { connect } from '../../src/adapters/ws/index.js';
import { shareResume } from '../../src/replay/redis.js';
import { ResumeJournal, decodeMeta, decodePending, encodeMeta, encodePending, pendingField } from '../../src/session/journal.js';
import { OP_RESENT, encodeServerMessage } from '../../src/session/messages.js';
import { SharedStates } from '../../src/session/handover.js';
import { GLOBAL_TIMERS } from '../../src/session/timers.js';
import { ReceiptBuilder } from '../../src/delivery/builder.js';
import { toHex } from '../../src/bytes.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { deviceServer } from '../helpers/device-server.js';
import { redisForFile } from '../helpers/redis-server.js';
import { sleep } from '../helpers/exchange.js';

const redis = redisForFile();
const ws = ADAPTERS.find((a) => a.name === 'ws')!;
let n = 0;

function setup(timeoutMs?: number): { store: ReturnType<typeof shareResume>; client: Redis; prefix: string } {
  const client = redis.track(new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 1 }));
  const prefix = `s${process.pid}.${n++}:`;
  const store = shareResume({ command: (c, a) => client.call(c, ...a), prefix, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  return { store, client, prefix };
}

const fields = (kid: string): Map<string, string> => new Map([['kid', kid]]);

describe.skipIf(!redis.available)('the shared resume store [HS-7.13]', () => {
  it('a take fences the holder it replaces; the same holder keeps it; another client key takes nothing', async () => {
    const { store } = setup();
    await store.create('s1', 'h1', fields('k1'), 10_000);
    expect(await store.write('s1', 'h1', new Map([['a', '1']]), [], 10_000)).toBe(true);
    expect(await store.take('s1', 'h9', 10_000, 'k2')).toBeUndefined();
    expect(await store.take('s1', 'h9', 10_000, 'k1', 'h1')).toBe('held');
    const taken = await store.take('s1', 'h2', 10_000, 'k1', 'hX');
    expect(taken).not.toBe('held');
    expect(taken !== undefined && taken !== 'held' && taken.previous).toBe('h1');
    expect(taken !== undefined && taken !== 'held' && taken.fields.get('a')).toBe('1');
    // The holder it replaced writes nothing any more.
    expect(await store.write('s1', 'h1', new Map([['a', '2']]), [], 10_000)).toBe(false);
    expect(await store.write('s1', 'h2', new Map(), ['a'], 10_000)).toBe(true);
    const again = await store.take('s1', 'h3', 10_000, 'k1');
    expect(again !== undefined && again !== 'held' && again.fields.has('a')).toBe(false);
    expect(await store.take('nothing', 'h1', 10_000, 'k1')).toBeUndefined();
  });

  it('session ids name states; states and ids expire unless refreshed', async () => {
    const { store } = setup();
    await store.create('s2', 'h1', fields('k1'), 300);
    await store.name('id1', 's2', 300);
    expect(await store.lookup('id1')).toBe('s2');
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      await store.refresh(['s2'], ['id1'], 300);
    }
    expect(await store.lookup('id1')).toBe('s2');
    expect(await store.take('s2', 'h1', 300, 'k1', 'h1')).toBe('held');
    await sleep(450);
    expect(await store.lookup('id1')).toBeUndefined();
    expect(await store.take('s2', 'h2', 300, 'k1')).toBeUndefined();
  });

  it('a journal stores each payload with its first origin, forgets acknowledged ones and keeps the record, in order', async () => {
    const { store } = setup();
    const kid = new Uint8Array(32).fill(1);
    const stream = new Uint8Array(16).fill(2);
    await store.create('s3', 'h1', fields('k1'), 10_000);
    const journal = new ResumeJournal(store, 's3', 'h1', 10_000, 5);
    const meta = { kid: 'k1', identity: 'alice', rooms: ['lobby'], reseals: 0, servers: [{ kid, stream }] };
    let record = new Uint8Array([0x86]);
    let appended: Promise<void> | undefined;
    journal.owner = { meta: () => meta, kid, stream, record: () => record, idle: () => undefined, appended: () => appended };
    journal.sent(0, new Uint8Array([0x83, 17, 0, 0xf6]));
    // A Resent keeps where it was first sealed.
    const origin = { kid: new Uint8Array(32).fill(7), stream: new Uint8Array(16).fill(8), seq: 41, message: new Uint8Array([0x83, 17, 1, 0xf6]) };
    journal.sent(1, encodeServerMessage({ op: OP_RESENT, ...origin }));
    journal.recorded();
    expect(journal.gate()).toBeInstanceOf(Promise);
    await journal.gate();
    expect(journal.gate()).toBeUndefined();
    let taken = await store.take('s3', 'h1', 10_000, 'k1', 'h1');
    expect(taken).toBe('held');
    journal.acked([0]);
    record = new Uint8Array([0x87]);
    // The record is stored only once the room events published before it are appended.
    let append!: () => void;
    appended = new Promise((r) => (append = r));
    journal.recorded();
    const gate = journal.gate()!;
    let through = false;
    void gate.then(() => (through = true));
    await sleep(50);
    expect(through).toBe(false);
    append();
    await gate;
    taken = await store.take('s3', 'h2', 10_000, 'k1');
    if (taken === undefined || taken === 'held') throw new Error('not taken');
    expect(taken.fields.has(pendingField(5))).toBe(false);
    expect(decodePending(taken.fields.get(pendingField(6))!)).toEqual(origin);
    expect(decodeMeta(taken.fields.get('meta')!)).toEqual(meta);
    expect(Buffer.from(taken.fields.get('rec')!, 'base64url')).toEqual(Buffer.from([0x87]));
    // Fenced now: the next write fails, and so does every gate after it.
    journal.touched();
    await expect(journal.gate()).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSED' });
    await expect(journal.gate()).rejects.toMatchObject({ code: 'ERR_SESSION_CLOSED' });
  });

  it('a handover is refused past 8 resends without a receipt, or with payloads of more than 8 streams [HS-7.16]', async () => {
    const { store } = setup();
    const server = importSigningKey(generateKeyPair().secretKey);
    const states = new SharedStates(store, {
      key: server,
      builder: new ReceiptBuilder(),
      clock: Date.now,
      timers: GLOBAL_TIMERS,
      ttlMs: 10_000,
      outbox: { capacity: 128, maxBytes: 1 << 20 },
      holdKey: () => false,
      discard: () => {},
      appended: () => undefined,
    });
    const client = new Uint8Array(32).fill(9);
    const pending = (stream: number, seq: number): string =>
      encodePending({ kid: server.kid, stream: new Uint8Array(16).fill(stream), seq, message: encodeServerMessage({ op: 17, refSeq: seq, code: null }) });
    const stateOf = async (name: string, reseals: number, streams: number): Promise<Uint8Array> => {
      const meta = encodeMeta({ kid: toHex(client), identity: 'alice', rooms: [], reseals, servers: [{ kid: server.kid, stream: new Uint8Array(16) }] });
      const fields = new Map([
        ['kid', toHex(client)],
        ['meta', meta],
      ]);
      for (let i = 0; i < streams; i++) fields.set(pendingField(i), pending(i + 1, i));
      await store.create(name, 'h0', fields, 10_000);
      const id = new Uint8Array(32).fill(name.length);
      await store.name(toHex(id), name, 10_000);
      return id;
    };
    const refused = expect.objectContaining({ code: 'ERR_RESUME_REFUSED' });
    await expect(states.take(await stateOf('r-eight', 8, 1), toHex(client), undefined)).rejects.toEqual(refused);
    await expect(states.take(await stateOf('r-nine-st', 0, 9), toHex(client), undefined)).rejects.toEqual(refused);
    // Seven resends, payloads of eight streams: taken, the payloads to be sent again as Resent.
    const taken = await states.take(await stateOf('r-ok', 7, 8), toHex(client), undefined);
    expect(taken?.resend).toHaveLength(8);
    states.close();
  });

  it('stored fields decode only as written', () => {
    const p = { kid: new Uint8Array([1]), stream: new Uint8Array(16), seq: 3, message: new Uint8Array([0x80]) };
    expect(decodePending(encodePending(p))).toEqual(p);
    expect(decodePending('oA')).toBeUndefined();
    const m = { kid: 'ab', identity: 'x', rooms: [], reseals: 2, servers: [{ kid: new Uint8Array([1]), stream: new Uint8Array(16) }] };
    expect(decodeMeta(encodeMeta(m))).toEqual(m);
    expect(decodeMeta(encodePending(p))).toBeUndefined();
  });

  it('a store that does not answer fails a new session closed with ERR_STORE; it works again when the store is back', async () => {
    const { store, client } = setup(300);
    const running: RunningAdapter[] = [];
    const key = importSigningKey(generateKeyPair().secretKey);
    const { adapter, options } = await deviceServer(ws, key, running, { resume: { shared: store } });
    try {
      const admin = redis.track(new Redis({ host: '127.0.0.1', port: redis.port }));
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      const failed = connect(adapter.url, options).then(
        (s: ClientSession) => s.closed.then(() => s.closeInfo?.error?.code ?? `closed ${s.closeInfo?.code}`),
        (err: { code?: string }) => err.code,
      );
      expect(await failed).toBe('ERR_STORE');
      await sleep(1600);
      const s = await connect(adapter.url, options);
      expect(s.state).toBe('open');
      s.close();
      void client;
    } finally {
      for (const r of running) await r.close();
    }
  });
});
