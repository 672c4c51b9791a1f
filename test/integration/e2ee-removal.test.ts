// Removing a member from an encrypted room without its Leave ([ROOM-2.5], [E2E-5.1]), on real
// sockets: revoking its key, or its session ending and its resumable state expiring, makes the
// server announce its leave, so the others' next chain is sealed without its device.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, type ClientSession } from '../../src/index.js';
import { connect } from '../../src/adapters/ws/index.js';
import { encryptedRoom, type DecryptedMessage, type E2eeRefusal, type E2eeRoom } from '../../src/e2ee/index.js';
import { KEYS_CONTENT_TYPE } from '../../src/e2ee/suite.js';
import { decodeDistribution } from '../../src/e2ee/distribution.js';
import { toHex } from '../../src/bytes.js';
import type { SessionMessage } from '../../src/session/events.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { waitUntil } from '../helpers/exchange.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const UNLIMITED = { perSecond: 1e6, burst: 1e6 };

const waitFor = (p: () => boolean, what: string, ms = 10_000): Promise<void> => waitUntil(p, what, ms);

interface Member {
  readonly client: ClientSession;
  readonly room: E2eeRoom;
  readonly got: DecryptedMessage[];
  readonly refused: E2eeRefusal[];
  readonly raw: SessionMessage[];
}

const keysOf = new Map(['alice', 'bob', 'carol'].map((id) => [id, importSigningKey(generateKeyPair().secretKey)]));
const kidOf = (id: string): string => toHex(keysOf.get(id)!.kid);
const running: RunningAdapter[] = [];
const clients: ClientSession[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of running.splice(0)) await r.close();
});

async function start(resumeTtlMs?: number): Promise<{ url: string; keys: KeyRing }> {
  const keys = new KeyRing();
  for (const [id, k] of keysOf) keys.add(k.publicKey, { identity: id });
  const server = new SecureServer({
    key: serverKey,
    keys,
    authorize: () => true,
    rooms: { presence: true },
    rateLimit: { connection: UNLIMITED, identity: UNLIMITED },
    ...(resumeTtlMs === undefined ? {} : { limits: { resumeTtlMs } }),
  });
  const adapter = await ADAPTERS.find((a) => a.name === 'ws')!.start(server, {});
  running.push(adapter);
  return { url: adapter.url, keys };
}

async function group(url: string, ids: string[]): Promise<Member[]> {
  const out: Member[] = [];
  for (const id of ids) {
    const client = await connect(url, { WebSocket, key: keysOf.get(id)!, serverKey: serverPublic });
    clients.push(client);
    const raw: SessionMessage[] = [];
    client.on('message', (m) => raw.push(m));
    const room = await encryptedRoom(client, 'lobby', { holdMs: 300 });
    const m: Member = { client, room, got: [], refused: [], raw };
    room.on('message', (d) => m.got.push(d));
    room.on('refused', (r) => m.refused.push(r));
    out.push(m);
  }
  await waitFor(() => out.every((m) => m.room.devices().length === ids.length), 'every member holds every device key');
  return out;
}

/** The recipients of the key distributions `m` saw from index `from` on. */
const copiesSeen = (m: Member, from: number): string[][] =>
  m.raw
    .slice(from)
    .filter((p) => p.contentType === KEYS_CONTENT_TYPE)
    .map((p) => decodeDistribution(p.payload).copies.map((c) => toHex(c.recipient)));

describe('removing a member from an encrypted room without its Leave', () => {
  // [ROOM-2.5], [E2E-5.1]
  it("revoking bob's key announces his leave at once: alice's next message is sealed without bob's device", async () => {
    const { url, keys } = await start();
    const [alice, bob, carol] = await group(url, ['alice', 'bob', 'carol']);
    await alice!.room.send('before');
    await waitFor(() => bob!.got.length === 1 && carol!.got.length === 1, 'bob and carol read the first');
    const from = carol!.raw.length;
    keys.revokeKey(keysOf.get('bob')!.kid);
    await waitFor(() => alice!.room.devices().length === 2, "alice forgot bob's device", 2000);
    expect(alice!.room.devices().map((d) => d.identity)).toEqual(['alice', 'carol']);
    await alice!.room.send('after');
    await waitFor(() => carol!.got.length === 2, 'carol read the second');
    expect(new TextDecoder().decode(carol!.got[1]!.payload)).toBe('after');
    expect(copiesSeen(carol!, from)).toEqual([[kidOf('alice'), kidOf('carol')]]);
    // bob's device, handed everything carol received since (his own session is closed): no key.
    for (const m of carol!.raw.slice(from)) bob!.room.receive(m);
    await waitFor(() => bob!.refused.length > 0, 'bob gave up on the message', 3000);
    expect(bob!.refused.map((r) => r.code)).toEqual(['ERR_E2EE_NO_KEY']);
    expect(bob!.got).toHaveLength(1);
  });

  // [ROOM-2.5]: a session that ends keeps its rooms for a resume; when that state expires, the member has left
  it("bob's session ending is announced as his leave once his resumable state expires", async () => {
    const { url } = await start(400);
    const [alice, bob, carol] = await group(url, ['alice', 'bob', 'carol']);
    bob!.client.close();
    await sleep(150);
    // Still resumable: nobody forgot bob yet.
    expect(alice!.room.devices()).toHaveLength(3);
    await waitFor(() => alice!.room.devices().length === 2 && carol!.room.devices().length === 2, 'bob announced as left', 3000);
    const from = carol!.raw.length;
    await alice!.room.send('after');
    await waitFor(() => carol!.got.length === 1, 'carol read it');
    expect(copiesSeen(carol!, from)).toEqual([[kidOf('alice'), kidOf('carol')]]);
  });
});

describe('a member that comes back afresh is not announced as left when its old state expires', () => {
  // [ROOM-2.5]
  it('bob reconnects with a fresh session; his old state expiring leaves him among the recipients', async () => {
    const { url } = await start(400);
    const [alice, bob] = await group(url, ['alice', 'bob']);
    bob!.client.close();
    // Bob comes back at once, afresh (a page reload), while his old state is still resumable.
    const client = await connect(url, { WebSocket, key: keysOf.get('bob')!, serverKey: serverPublic });
    clients.push(client);
    const again = await encryptedRoom(client, 'lobby', { holdMs: 300 });
    const got: DecryptedMessage[] = [];
    again.on('message', (d) => got.push(d));
    await waitFor(
      () => alice!.room.devices().length === 2 && again.devices().length === 2,
      `both hold both device keys (${alice!.room.devices().length}, ${again.devices().length})`,
    );
    // The old state expires (400 ms): bob is still in the room through his new session.
    await sleep(900);
    // No leave of bob's: he never left (before, the expiry announced one and the room healed after it).
    expect(alice!.raw.filter((m) => m.action === 'leave' && m.identity === 'bob')).toEqual([]);
    expect(alice!.room.devices()).toHaveLength(2);
    await alice!.room.send('still here?');
    await waitFor(() => got.length === 1, 'bob read it');
  });
});
