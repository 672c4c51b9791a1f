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
import { DEVICE_CONTENT_TYPE, KEYS_CONTENT_TYPE, MESSAGE_CONTENT_TYPE, REQUEST_CONTENT_TYPE } from '../../src/e2ee/suite.js';
import { decodeDistribution } from '../../src/e2ee/distribution.js';
import { generateDeviceKey, signDeviceStatement } from '../../src/e2ee/device.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/wire/envelope.js';
import { encodeCbor } from '../../src/wire/cbor.js';
import { randomBytes, toHex } from '../../src/bytes.js';
import type { SessionMessage } from '../../src/session/events.js';
import type { PostBuilder } from '../../src/session/client-rooms.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { jitteryKey } from '../helpers/async-keys.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { waitUntil } from '../helpers/exchange.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const text = new TextDecoder();
const UNLIMITED = { perSecond: 1e6, burst: 1e6 };

const waitFor = (p: () => boolean, what: string, ms = 10_000): Promise<void> => waitUntil(p, what, ms);

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

async function inProcess(extra: [string, Uint8Array][] = []): Promise<string> {
  const keys = new KeyRing();
  for (const [id, k] of keysOf) keys.add(k.publicKey, { identity: id });
  for (const [id, k] of extra) keys.add(k, { identity: id });
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

  // [E2E-6.1], [E2E-6.2]: a message whose distribution comes later is held, then read; one whose never comes is reported
  it('a message that arrives before its key distribution is held and read once the distribution arrives', async () => {
    const [alice, bob] = await group(await inProcess(), ['alice', 'bob']);
    await alice!.room.send('first');
    await alice!.room.send('second');
    await waitFor(() => bob!.got.length === 2, 'bob read both');
    // bob again (same session, same device key), fed the recorded stream in another order.
    const replay = await encryptedRoom(bob!.client, 'lobby', { join: false, listen: false, device: bob!.room.device, holdMs: 300 });
    const got: string[] = [];
    const refused: string[] = [];
    replay.on('message', (m) => got.push(text.decode(m.payload)));
    replay.on('refused', (r) => refused.push(r.code));
    const dist = bob!.raw.find((m) => m.contentType === KEYS_CONTENT_TYPE)!;
    const [m1, m2] = bob!.raw.filter((m) => m.contentType === MESSAGE_CONTENT_TYPE);
    replay.receive(m2!);
    await replay.settled();
    expect(got).toEqual([]);
    replay.receive(dist);
    await replay.settled();
    expect(got).toEqual(['second']);
    replay.receive(m1!); // a skipped key, kept
    await replay.settled();
    expect(got).toEqual(['second', 'first']);
    expect(refused).toEqual([]);
    // The same message again: its key is gone.
    replay.receive(m1!);
    await replay.settled();
    expect(refused).toEqual(['ERR_E2EE_CHAIN_INDEX']);
    // A message whose chain never arrives is reported after holdMs.
    const other = await encryptedRoom(bob!.client, 'lobby', { join: false, listen: false, device: bob!.room.device, holdMs: 300 });
    const late: string[] = [];
    other.on('refused', (r) => late.push(r.code));
    other.receive(m1!);
    await other.settled();
    await sleep(100);
    expect(late).toEqual([]);
    await waitFor(() => late.length === 1, 'the held message reported');
    expect(late).toEqual(['ERR_E2EE_NO_KEY']);
    other.close();
    replay.close();
    // [E2E-6.2]: holding it, bob asked alice for her key; her next message goes on a new chain.
    await waitFor(() => alice!.raw.some((m) => m.contentType === REQUEST_CONTENT_TYPE && m.keyId === toHex(bob!.key.kid)), "bob's key request reached alice");
    const chains = () => bob!.raw.filter((m) => m.contentType === KEYS_CONTENT_TYPE).length;
    expect(chains()).toBe(1);
    await alice!.room.send('third');
    await waitFor(() => bob!.got.length === 3, 'bob read the third');
    expect(chains()).toBe(2);
  });

  // [E2E-3.1], spec/e2ee.md §5: history is not shared with a newcomer
  it('a member that joins reads what is sent after its device key arrived, not the history before', async () => {
    const url = await inProcess();
    const [alice, bob] = await group(url, ['alice', 'bob']);
    await alice!.room.send('before carol');
    await waitFor(() => bob!.got.length === 1, 'bob read it');
    // carol asks for the room's history: the old ciphertext reaches her, its key does not.
    const client = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: keysOf.get('carol')!, serverKey: serverPublic });
    clients.push(client);
    const carol = await encryptedRoom(client, 'lobby', { history: true, holdMs: 300 });
    const got: string[] = [];
    const refused: string[] = [];
    carol.on('message', (m) => got.push(text.decode(m.payload)));
    carol.on('refused', (r) => refused.push(r.code));
    await waitFor(() => alice!.room.devices().length === 3 && carol.devices().length === 3, "carol and alice hold each other's device keys");
    await alice!.room.send('after carol');
    await waitFor(() => got.length === 1 && refused.includes('ERR_E2EE_NO_KEY'), 'carol read the new message, and not the old one');
    expect(got).toEqual(['after carol']);
    expect(refused).toEqual(['ERR_E2EE_NO_KEY']);
    carol.close();
  });

  it('a member whose key signs asynchronously (a non-extractable WebCrypto key, as in a browser) reads and is read', async () => {
    const dana = await jitteryKey(7);
    const url = await inProcess([['dana', dana.publicKey]]);
    const bob = await member(url, 'bob');
    const client = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: dana, serverKey: serverPublic });
    clients.push(client);
    const room = await encryptedRoom(client, 'lobby');
    const got: string[] = [];
    room.on('message', (m) => got.push(text.decode(m.payload)));
    await waitFor(() => room.devices().length === 2 && bob.room.devices().length === 2, 'both hold both device keys');
    await room.send('from dana');
    await bob.room.send('from bob');
    await waitFor(() => bob.got.length === 1 && got.length === 1, 'each read the other');
    expect(texts(bob)).toEqual(['dana:from dana']);
    expect(got).toEqual(['from bob']);
  });

  it('a room moved to a new session of the same key after a lost connection reads on', async () => {
    const url = await inProcess();
    const [alice, bob] = await group(url, ['alice', 'bob']);
    await alice!.room.send('before');
    await waitFor(() => bob!.got.length === 1, 'bob read it');
    // A lost connection is no leave (the server keeps the membership for a resume): alice keeps
    // bob's device and her chain, which bob's room still holds in its new session.
    bob!.client.close();
    const again = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: bob!.key, serverKey: serverPublic });
    clients.push(again);
    await bob!.room.useSession(again);
    await alice!.room.send('after');
    await waitFor(() => bob!.got.length === 2, 'bob read the message after his new session');
    expect(texts(bob!)).toEqual(['alice:before', 'alice:after']);
    expect(bob!.refused).toEqual([]);
    const other = await connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, key: alice!.key, serverKey: serverPublic });
    clients.push(other);
    await expect(bob!.room.useSession(other)).rejects.toThrow(RangeError);
  });

  // [E2E-3.1], [E2E-5.1]
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

  /** Rewrites what `m` posts with `content type`, after it is built and before it is signed. */
  function tamper(m: Member, contentType: string, change: (payload: Uint8Array) => Uint8Array): void {
    const post = m.client.post.bind(m.client);
    m.client.post = (room, data, options = {}) => {
      if (options.contentType !== contentType) return post(room, data, options);
      const built: PostBuilder = (at) => change(typeof data === 'function' ? data(at) : (data as Uint8Array));
      return post(room, built, options);
    };
  }

  // [E2E-4.3], [E2E-2.1], [E2E-2.2], [E2E-3.3], [E2E-4.4]: each signed by its author, so only the E2EE checks can catch it
  it('a tampered ciphertext, a substituted device key and a replayed key distribution: each refused with its code', async () => {
    const [bob, mallory] = await group(await inProcess(), ['bob', 'mallory']);
    // Tampered ciphertext: one bit of the COSE_Encrypt0 ciphertext flipped before mallory signs it.
    tamper(mallory!, MESSAGE_CONTENT_TYPE, (p) => {
      const t = p.slice();
      t[t.length - 1]! ^= 1;
      return t;
    });
    await mallory!.room.send('tampered');
    await waitFor(() => bob!.refused.length === 1, 'the tampered message refused');
    expect(bob!.refused[0]).toMatchObject({ code: 'ERR_E2EE_DECRYPT', keyId: toHex(mallory!.key.kid) });
    // Substituted device key: the statement's X25519 key replaced under its signature.
    const other = randomBytes(32);
    const statement = decodeEnvelope((await signDeviceStatement(mallory!.key, mallory!.room.device.publicKey, Date.now())) as Uint8Array);
    await mallory!.client.post('lobby', encodeEnvelope(statement.protectedBytes, encodeCbor([other]), statement.signature), {
      contentType: DEVICE_CONTENT_TYPE,
    });
    await waitFor(() => bob!.refused.length === 2, 'the substituted device key refused');
    expect(bob!.refused[1]!.code).toBe('ERR_E2EE_DEVICE_KEY');
    expect(bob!.room.devices().map((d) => toHex(d.x25519))).not.toContain(toHex(other));
    // [E2E-2.2]: a newer statement of the same kid replaces the key held for it; one key per kid.
    const newer = (await generateDeviceKey()).publicKey;
    const kid = toHex(mallory!.key.kid);
    const signed = (await signDeviceStatement(mallory!.key, newer, Date.now() + 1)) as Uint8Array;
    await mallory!.client.post('lobby', signed, { contentType: DEVICE_CONTENT_TYPE });
    await waitFor(() => bob!.room.devices().some((d) => d.keyId === kid && toHex(d.x25519) === toHex(newer)), 'the newer key held');
    expect(bob!.room.devices().filter((d) => d.keyId === kid)).toHaveLength(1);
    // Replayed key distribution: mallory's own, posted again byte for byte.
    const dist = bob!.raw.filter((m) => m.contentType === KEYS_CONTENT_TYPE && m.keyId === toHex(mallory!.key.kid));
    expect(dist).toHaveLength(1);
    await mallory!.client.post('lobby', dist[0]!.payload, { contentType: KEYS_CONTENT_TYPE });
    await waitFor(() => bob!.refused.length === 3, 'the replayed distribution refused');
    expect(bob!.refused[2]!.code).toBe('ERR_E2EE_KEY_REPLAY');
    // A plaintext post in the encrypted room is refused too, and the room reads on.
    mallory!.client.send('lobby', 'plain');
    await waitFor(() => bob!.refused.length === 4, 'the plaintext refused');
    expect(bob!.refused[3]!.code).toBe('ERR_E2EE_UNENCRYPTED');
    expect(bob!.got).toEqual([]);
    // bob seals his next chain to the newer key mallory published: her old device cannot open it.
    await bob!.room.send('still here');
    await waitFor(() => mallory!.refused.length === 1, 'mallory cannot open her copy');
    expect(mallory!.refused[0]!.code).toBe('ERR_E2EE_DECRYPT');
    expect(bob!.client.state).toBe('open');
  });
});

/** Every readable and writable mapping of a process, searched for `needle` (Linux /proc). */
function memoryHolds(pid: number, needle: Buffer): boolean | undefined {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return undefined;
  }
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (const line of maps.split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) rw/.exec(line);
      if (!m) continue;
      const [start, end] = [parseInt(m[1]!, 16), parseInt(m[2]!, 16)];
      if (end - start > 1 << 30) continue; // reserved, not used
      for (let at = start; at < end; at += chunk.length - needle.length) {
        let n = 0;
        try {
          n = readSync(fd, chunk, 0, Math.min(chunk.length, end - at), at);
        } catch {
          break;
        }
        if (chunk.subarray(0, n).includes(needle)) return true;
      }
    }
  } finally {
    closeSync(fd);
  }
  return false;
}

describe('the server never holds plaintext (a server in its own process)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill();
    child = undefined;
  });

  // [E2E-4.2]: the server's memory (a heap snapshot and the whole process) and its logs
  it('a random marker sent encrypted is nowhere in the server; the same sent in plaintext is found', async () => {
    const pair = generateKeyPair();
    const clientsCfg = [...keysOf].map(([identity, k]) => ({ identity, key: toHex(k.publicKey) }));
    const path = fileURLToPath(new URL('../helpers/e2ee-server-child.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', path], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: { ...process.env, E2EE_CHILD: JSON.stringify({ serverSecret: toHex(pair.secretKey), clients: clientsCfg }) },
    });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString('utf8')));
    const replies: { port?: number; snapshot?: string }[] = [];
    child.on('message', (m) => replies.push(m as { port?: number; snapshot?: string }));
    await waitFor(() => replies.some((r) => r.port !== undefined), 'the server process listening', 20_000);
    const url = `ws://127.0.0.1:${replies.find((r) => r.port !== undefined)!.port}/sealwire`;
    const [alice, bob] = await group(url, ['alice', 'bob'], importPublicKey(pair.publicKey));

    const search = async (marker: string): Promise<{ log: boolean; heap: boolean; memory: boolean | undefined }> => {
      const at = replies.length;
      child!.send('snapshot');
      await waitFor(() => replies.length > at, 'the heap snapshot', 60_000);
      const file = replies[at]!.snapshot!;
      const heap = readFileSync(file).includes(marker);
      rmSync(file);
      return { log: log.includes(marker), heap, memory: memoryHolds(child!.pid!, Buffer.from(marker)) };
    };

    const secret = `marker-${toHex(randomBytes(16))}`;
    await alice!.room.send(secret);
    await waitFor(() => bob!.got.length === 1, 'bob read it');
    expect(text.decode(bob!.got[0]!.payload)).toBe(secret);
    expect(log).toContain('validated a payload'); // the operator does log what it sees
    // Linux: the whole process memory is searched, ArrayBuffer contents included (a heap snapshot has none).
    expect(await search(secret)).toEqual({ log: false, heap: false, memory: false });

    // The control: the same kind of marker sent unencrypted in another room is found.
    const plain = `marker-${toHex(randomBytes(16))}`;
    await bob!.client.join('plain');
    await alice!.client.join('plain');
    const got: string[] = [];
    bob!.client.on('message', (m) => m.room === 'plain' && got.push(text.decode(m.payload)));
    await alice!.client.post('plain', plain);
    await waitFor(() => got.includes(plain), 'bob read the plaintext');
    const found = await search(plain);
    expect(found.log).toBe(true);
    expect(found.memory).toBe(true);
  }, 120_000);
});
