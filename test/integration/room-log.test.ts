// A room log keeps rooms across a server restart (spec/rooms.md [ROOM-6.7]): same epoch, same
// offsets, members recover what they missed; a log that does not read back whole, or that fails to
// save, moves the epoch so members are told their history was lost. Real sockets, real files.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type RoomLog, type SigningKey } from '../../src/index.js';
import WebSocket from 'ws';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import type { ClientSession } from '../../src/session/index.js';
import type { RoomNotice } from '../../src/rooms/member.js';
import { openRoomLog, type RoomLogFile } from '../../src/rooms/file-log.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const factory = ADAPTERS[0]!;

async function waitFor(p: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
}

const running: { adapter: RunningAdapter; log?: RoomLogFile }[] = [];
const clients: ClientSession[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of running.splice(0)) {
    await r.adapter.close();
    r.log?.close();
  }
});

const keys = new KeyRing();
const clientKeys = new Map<string, SigningKey>();
for (const id of ['alice', 'bob']) {
  const k = importSigningKey(generateKeyPair().secretKey);
  keys.add(k.publicKey, { identity: id });
  clientKeys.set(id, k);
}

async function start(log: RoomLog | undefined, rooms: { historyCount?: number; positionMs?: number } = {}) {
  const fast = { perSecond: 100_000, burst: 100_000 };
  const server = new SecureServer({
    key: serverKey,
    keys,
    authorize: () => true,
    rateLimit: { connection: fast, identity: fast },
    rooms: { positionMs: 100, ...rooms, log },
  });
  const adapter = await factory.start(server, {});
  running.push({ adapter, ...(log !== undefined && 'close' in log ? { log: log as RoomLogFile } : {}) });
  return { server, adapter };
}

async function member(url: string, id: string, from?: { epoch: Uint8Array; next: number }) {
  const client = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: clientKeys.get(id)!, serverKey: serverPublic });
  clients.push(client);
  const got: { from: string; text: string; offset: number | undefined; verified: string | undefined }[] = [];
  const notices: RoomNotice[] = [];
  client.on('message', (m) => got.push({ from: m.identity, text: text.decode(m.payload), offset: m.offset, verified: m.verified }));
  client.on('room', (n) => notices.push(n));
  await client.join('lobby', from !== undefined ? { from } : {});
  return { client, got, notices };
}

const dir = (): string => mkdtempSync(joinPath(tmpdir(), 'sealwire-room-log-'));

/** Server A: alice posts 3 while bob reads, 2 more after bob left; then A stops. Bob's position. */
async function firstRun(log: RoomLog | undefined) {
  const a = await start(log);
  const alice = await member(a.adapter.url, 'alice');
  const bob = await member(a.adapter.url, 'bob');
  for (const t of ['one', 'two', 'three']) await alice.client.post('lobby', t);
  await waitFor(() => bob.got.length === 3, 'bob reads three');
  const at = bob.client.position('lobby')!;
  bob.client.close();
  for (const t of ['four', 'five']) await alice.client.post('lobby', t);
  await sleep(20);
  alice.client.close();
  await running.shift()!.adapter.close();
  return at;
}

describe('a room log across a restart', () => {
  // [ROOM-6.7]
  it('keeps the epoch and offsets: bob recovers what he missed, verified by its author, and the stream goes on', async () => {
    const path = joinPath(dir(), 'rooms.log');
    const first = openRoomLog(path);
    const at = await firstRun(first);
    first.close();
    expect(at.next).toBe(3);
    await start(openRoomLog(path));
    const url = running[0]!.adapter.url;
    const bob = await member(url, 'bob', at);
    await waitFor(() => bob.got.length === 2, 'recovered two');
    expect(bob.notices).toContainEqual({ type: 'position', room: 'lobby', status: 'recovered', count: 2, next: 5 });
    expect(bob.got).toEqual([
      { from: 'alice', text: 'four', offset: 3, verified: 'author' },
      { from: 'alice', text: 'five', offset: 4, verified: 'author' },
    ]);
    expect(Buffer.from(bob.client.position('lobby')!.epoch).equals(Buffer.from(at.epoch))).toBe(true);
    const alice = await member(url, 'alice');
    await alice.client.post('lobby', 'six');
    await waitFor(() => bob.got.length === 3, 'live after the restart');
    expect(bob.got[2]).toEqual({ from: 'alice', text: 'six', offset: 5, verified: 'author' });
    // bob's fresh session began mid-epoch: alice's earlier seqs are no gap to it ([ROOM-8.1] step 7).
    expect(bob.notices.filter((n) => n.type === 'refused' || n.type === 'gap')).toEqual([]);
  });

  it('without a log the same rejoin is told its history was lost', async () => {
    const at = await firstRun(undefined);
    await start(undefined);
    const bob = await member(running[0]!.adapter.url, 'bob', at);
    await waitFor(() => bob.notices.some((n) => n.type === 'position'), 'position');
    expect(bob.notices[0]).toMatchObject({ type: 'position', status: 'lost' });
  });

  it('a line cut by a crash is dropped; a damaged line restores nothing (a new epoch, history lost)', async () => {
    const path = joinPath(dir(), 'rooms.log');
    const first = openRoomLog(path);
    const at = await firstRun(first);
    first.close();
    const whole = readFileSync(path, 'utf8');
    // A crash while writing: the last line has no newline yet.
    writeFileSync(path, whole + 'd28458');
    const cut = openRoomLog(path);
    expect(cut.saved.length).toBe(whole.trim().split('\n').length - 1);
    await start(cut);
    const bob = await member(running[0]!.adapter.url, 'bob', at);
    await waitFor(() => bob.got.length === 2, 'recovered after the cut line');
    bob.client.close();
    await running.shift()!.adapter.close();
    cut.close();
    // One flipped hex digit inside a saved frame: that frame no longer verifies.
    const lines = readFileSync(path, 'utf8').split('\n');
    const i = lines.findIndex((l) => !l.startsWith('#') && l.length > 200);
    lines[i] = lines[i]!.slice(0, 150) + (lines[i]![150] === '0' ? '1' : '0') + lines[i]!.slice(151);
    writeFileSync(path, lines.join('\n'));
    await start(openRoomLog(path));
    const again = await member(running[0]!.adapter.url, 'bob', at);
    await waitFor(() => again.notices.some((n) => n.type === 'position'), 'position');
    expect(again.notices[0]).toMatchObject({ type: 'position', status: 'lost' });
  });

  it('a frame the log fails to save is never sent: the room begins a new epoch and its members learn history was lost', async () => {
    let fail = false;
    const saved: Uint8Array[] = [];
    const log: RoomLog = {
      saved: [],
      append(frame) {
        if (fail) throw new Error('disk full');
        saved.push(frame);
      },
      rewrite() {},
    };
    const { adapter } = await start(log);
    const alice = await member(adapter.url, 'alice');
    const bob = await member(adapter.url, 'bob');
    await alice.client.post('lobby', 'kept');
    await waitFor(() => bob.got.length === 1, 'first');
    const before = bob.client.position('lobby')!;
    fail = true;
    await alice.client.post('lobby', 'never saved');
    await waitFor(() => bob.notices.some((n) => n.type === 'position' && n.status === 'lost'), 'lost');
    expect(bob.got.map((g) => g.text)).toEqual(['kept']);
    expect(Buffer.from(bob.client.position('lobby')!.epoch).equals(Buffer.from(before.epoch))).toBe(false);
    fail = false;
    // The author's client follows the new epoch too, and the room goes on.
    const hex = (c: ClientSession) => Buffer.from(c.position('lobby')?.epoch ?? []).toString('hex');
    await waitFor(() => hex(alice.client) === hex(bob.client), 'alice moved');
    await alice.client.post('lobby', 'after');
    await waitFor(() => bob.got.length === 2, 'after');
    expect(bob.got[1]).toMatchObject({ text: 'after', offset: 0, verified: 'author' });
  });

  it("a fresh session of the same key reads its own earlier posts from history, and its live ones only once", async () => {
    const { adapter } = await start(undefined);
    const first = await member(adapter.url, 'alice');
    await first.client.post('lobby', 'before');
    const bob = await member(adapter.url, 'bob');
    await first.client.post('lobby', 'live');
    await waitFor(() => bob.got.length === 1, 'bob reads it');
    first.client.close();
    const client = await connect(adapter.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: clientKeys.get('alice')!, serverKey: serverPublic });
    clients.push(client);
    const got: string[] = [];
    client.on('message', (m) => got.push(text.decode(m.payload)));
    await client.join('lobby', { history: true });
    await client.post('lobby', 'again');
    await bob.client.post('lobby', 'from bob');
    await waitFor(() => got.length === 3, 'history and bob');
    await sleep(50);
    expect(got).toEqual(['before', 'live', 'from bob']);
  });

  it('is rewritten to what history holds once it is mostly dropped frames', async () => {
    const path = joinPath(dir(), 'rooms.log');
    const log = openRoomLog(path);
    const { adapter } = await start(log, { historyCount: 10, positionMs: 50 });
    const alice = await member(adapter.url, 'alice');
    // Posts one per tick: each its own frame, so the log counts them one by one.
    for (let i = 0; i < 1100; i++) {
      await alice.client.post('lobby', `m${i}`);
      if (i % 100 === 99) await sleep(60); // receipts free the outbox (128)
    }
    await waitFor(() => readFileSync(path, 'utf8').split('\n').length < 100, 'rewritten');
    const frames = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    // The statement and the last 10 events (a bundle may hold a few more).
    expect(frames.length).toBeGreaterThanOrEqual(11);
    expect(frames.length).toBeLessThan(60);
  });
});
