// Node keys on real sockets (spec/nodes.md): two SecureServers with their own keys under one
// operator's node set, over ws. A client that trusts the operator key connects to either; a room
// frame sealed by node A is accepted by a member connected to node B; sets that are forged,
// expired, older, or that do not list the hello's key fail the handshake with their codes; a newer
// set without A makes A's frames refused.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  KeyRing,
  NodeKeys,
  SecureServer,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  isProtocolError,
  signNodeSet,
  type ClientSession,
  type SigningKey,
} from '../../src/index.js';
import { connect, type ConnectOptions } from '../../src/adapters/ws/index.js';
import type { RoomNotice } from '../../src/rooms/member.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { sealRoom } from '../../src/rooms/seal.js';
import { ROLE, ROOM_CONTENT_TYPE, roomAad } from '../../src/rooms/wire.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { decodeHello, encodeHello, peekType } from '../../src/session/handshake.js';
import { ADAPTERS } from '../helpers/net-adapters.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const HOUR = 3_600_000;

/** A client socket whose received frames a test may rewrite before the session sees them. */
class ProxiedWebSocket extends WebSocket {
  static rewrite: ((frame: Uint8Array) => Uint8Array | undefined) | undefined;
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && args[1] === true) {
      const frame = new Uint8Array(args[0] as ArrayBuffer).slice();
      const out = ProxiedWebSocket.rewrite?.(frame) ?? frame;
      return super.emit(event, out.slice().buffer, true);
    }
    return super.emit(event, ...args);
  }
}

const key = (): SigningKey => importSigningKey(generateKeyPair().secretKey);
const operator = key();
const operatorPublic = importPublicKey(operator.publicKey);
const nodeA = key();
const nodeB = key();
const alice = key();
const bob = key();

const setOf = (version: number, nodes: SigningKey[], o: { notAfter?: number; by?: SigningKey; service?: string } = {}): Uint8Array =>
  signNodeSet(o.by ?? operator, {
    service: o.service ?? 'chat',
    version,
    notAfter: o.notAfter ?? Date.now() + HOUR,
    nodes: nodes.map((n) => ({ key: n.publicKey })),
  });

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  ProxiedWebSocket.rewrite = undefined;
  for (const c of closers.splice(0).reverse()) await c();
});

async function node(nodeKey: SigningKey, nodeSet?: Uint8Array): Promise<{ server: SecureServer; url: string }> {
  const keys = new KeyRing();
  keys.add(alice.publicKey, { identity: 'alice' });
  keys.add(bob.publicKey, { identity: 'bob' });
  const server = new SecureServer({ key: nodeKey, keys, authorize: () => true, ...(nodeSet ? { nodeSet } : {}) });
  const running = await ADAPTERS.find((f) => f.name === 'ws')!.start(server, {});
  closers.push(() => running.close());
  return { server, url: running.url };
}

async function client(url: string, serverKey: ConnectOptions['serverKey'], k: SigningKey = alice): Promise<ClientSession> {
  const session = await connect(url, { WebSocket: ProxiedWebSocket, key: k, serverKey });
  closers.push(() => session.close());
  return session;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isProtocolError(err) ? err.code : String(err);
  }
  return 'accepted';
}

async function waitFor(p: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
}

/** Node A's signature in place of the node's on every single-form room event: what A would have relayed. */
function resealBy(by: SigningKey) {
  return (frame: Uint8Array): Uint8Array | undefined => {
    if (!isRoomFrame(frame) || frame[0] === 0x82) return undefined;
    const d = decodeEnvelope(frame);
    if (d.header.contentType !== ROOM_CONTENT_TYPE) return undefined;
    const h = d.header;
    return sealRoom(by, { contentType: ROOM_CONTENT_TYPE, stream: h.stream, seq: h.seq, ts: h.ts }, d.payload.slice(), roomAad(ROLE.event));
  };
}

describe('node keys under one operator key, over ws', () => {
  // [NODE-3.2], [NODE-3.1]
  it('a client that trusts the operator key connects to either node; a pinned client keeps working', async () => {
    const set = setOf(1, [nodeA, nodeB]);
    const [a, b] = [await node(nodeA, set), await node(nodeB, set)];
    const trust = new NodeKeys({ operator: operatorPublic, service: 'chat' });
    const onA = await client(a.url, trust);
    const onB = await client(b.url, trust);
    expect(onA.serverKeyId).toBe(Buffer.from(nodeA.kid).toString('hex'));
    expect(onB.serverKeyId).toBe(Buffer.from(nodeB.kid).toString('hex'));
    expect(trust.version).toBe(1);
    // The operator signing one version again with the same inputs gets the same bytes, not a second set.
    const input = { service: 'chat', version: 7, notAfter: Date.now() + HOUR, nodes: [{ key: nodeA.publicKey }], now: 1 };
    expect(signNodeSet(operator, input)).toEqual(signNodeSet(operator, input));
    // A client pinning node A's key ignores the hello's seventh member.
    const pinned = await client(a.url, importPublicKey(nodeA.publicKey), bob);
    expect(pinned.state).toBe('open');
    // And one pinning A refuses B, as before.
    expect(await refusal(client(b.url, importPublicKey(nodeA.publicKey), bob))).toBe('ERR_SERVER_IDENTITY');
  });

  // [NODE-2.1] steps 4, 5, 7, 8, 9; [NODE-3.2]
  it('a forged, foreign, expired, older or absent set fails the handshake with its code', async () => {
    const trust = (): NodeKeys => new NodeKeys({ operator: operatorPublic, service: 'chat' });
    const other = key();
    expect(await refusal(client((await node(nodeA, setOf(1, [nodeA], { by: other }))).url, trust()))).toBe('ERR_SERVER_IDENTITY');
    // The operator's kid over a payload it did not sign.
    const good = setOf(1, [nodeA]);
    const d = decodeEnvelope(good);
    const forged = good.slice();
    const at = Buffer.from(good).indexOf(Buffer.from(d.payload)) + d.payload.indexOf(0x63);
    forged[at] = 0x62; // "chat" becomes "bhat"
    expect(await refusal(client((await node(nodeA, forged)).url, trust()))).toBe('ERR_BAD_SIGNATURE');
    expect(await refusal(client((await node(nodeA, setOf(1, [nodeA], { service: 'mail' }))).url, trust()))).toBe('ERR_SERVER_IDENTITY');
    expect(await refusal(client((await node(nodeA, setOf(1, [nodeA], { notAfter: Date.now() - 1 }))).url, trust()))).toBe('ERR_KEY_EXPIRED');
    expect(await refusal(client((await node(nodeA)).url, trust()))).toBe('ERR_SERVER_IDENTITY');
    // Version 2 held from node B; node A still presents version 1.
    const held = trust();
    await client((await node(nodeB, setOf(2, [nodeA, nodeB]))).url, held);
    expect(await refusal(client((await node(nodeA, setOf(1, [nodeA, nodeB]))).url, held))).toBe('ERR_REPLAY');
    expect(held.version).toBe(2);
  });

  // [NODE-3.2]: the hello's key must be listed; a set that passed stays held
  it("a hello whose set does not list the hello's key is ERR_SERVER_IDENTITY", async () => {
    const b = await node(nodeB, setOf(1, [nodeB]));
    const onlyA = setOf(5, [nodeA]);
    ProxiedWebSocket.rewrite = (frame) => (peekType(frame) === 1 ? encodeHello({ ...decodeHello(frame), nodes: onlyA }) : undefined);
    const trust = new NodeKeys({ operator: operatorPublic, service: 'chat' });
    expect(await refusal(client(b.url, trust))).toBe('ERR_SERVER_IDENTITY');
    expect(trust.version).toBe(5);
  });

  // [NODE-5.1], [NODE-5.2], [NODE-4.1], [NODE-2.3]
  it("a member on node B accepts node A's frames, until a newer set drops A", async () => {
    const b = await node(nodeB, setOf(1, [nodeA, nodeB]));
    const trust = new NodeKeys({ operator: operatorPublic, service: 'chat' });
    const member = await client(b.url, trust);
    const got: string[] = [];
    const notices: RoomNotice[] = [];
    member.on('message', (m) => got.push(`${new TextDecoder().decode(m.payload)} by ${m.keyId.slice(0, 8)}`));
    member.on('room', (n) => notices.push(n));
    await member.join('lobby');
    // Every room event reaches the member as node A sealed it.
    ProxiedWebSocket.rewrite = resealBy(nodeA);
    b.server.publish('lobby', 'one');
    await waitFor(() => got.length === 1, 'the first event');
    expect(got).toEqual([`one by ${Buffer.from(nodeA.kid).toString('hex').slice(0, 8)}`]);
    // A key outside the set is unknown; the session and the membership go on.
    ProxiedWebSocket.rewrite = resealBy(key());
    b.server.publish('lobby', 'two');
    await waitFor(() => notices.some((n) => n.type === 'refused'), 'the refusal');
    expect(notices).toContainEqual({ type: 'refused', room: null, code: 'ERR_UNKNOWN_KEY' });
    // Node B presents version 2 without A: pushed in the session, then A's frames are revoked.
    ProxiedWebSocket.rewrite = undefined;
    b.server.presentNodeSet(setOf(2, [nodeB]));
    b.server.publish('lobby', 'three'); // B's own frame, at the offset after the refused one: a gap, recovered
    await waitFor(() => trust.version === 2, 'the newer set');
    ProxiedWebSocket.rewrite = resealBy(nodeA);
    notices.length = 0;
    b.server.publish('lobby', 'four');
    await waitFor(() => notices.some((n) => n.type === 'refused'), 'the refusal of A');
    expect(notices).toContainEqual({ type: 'refused', room: null, code: 'ERR_KEY_REVOKED' });
    expect(member.state).toBe('open');
    // A hello from A with a later set that lists A again: A stays revoked for this client.
    const a = await node(nodeA, setOf(3, [nodeA, nodeB]));
    ProxiedWebSocket.rewrite = undefined;
    expect(await refusal(client(a.url, trust, bob))).toBe('ERR_KEY_REVOKED');
  });

  // [NODE-3.3]: the same set in every hello until a newer one; never one without the server's key
  it('a server presents only newer sets that list its own key, and every later hello carries the newest', async () => {
    const a = await node(nodeA, setOf(2, [nodeA, nodeB]));
    expect(() => a.server.presentNodeSet(setOf(3, [nodeB]))).toThrow(RangeError);
    expect(() => a.server.presentNodeSet(setOf(1, [nodeA]))).toThrow(RangeError);
    expect(() => a.server.presentNodeSet(setOf(2, [nodeA]))).toThrow(RangeError);
    expect(() => a.server.presentNodeSet(new Uint8Array(8))).toThrow(RangeError);
    expect(() => new SecureServer({ key: nodeA, authorize: () => true, nodeSet: setOf(1, [nodeB]) })).toThrow(RangeError);
    const hellos: Uint8Array[] = [];
    ProxiedWebSocket.rewrite = (frame) => (peekType(frame) === 1 && hellos.push(frame), undefined);
    const trust = new NodeKeys({ operator: operatorPublic, service: 'chat' });
    await client(a.url, trust);
    await client(a.url, trust, bob);
    expect(decodeHello(hellos[0]!).nodes).toEqual(decodeHello(hellos[1]!).nodes);
    const v3 = setOf(3, [nodeA]);
    a.server.presentNodeSet(v3);
    const fresh = new NodeKeys({ operator: operatorPublic, service: 'chat' });
    await client(a.url, fresh);
    expect(decodeHello(hellos[2]!).nodes).toEqual(v3);
    expect(fresh.version).toBe(3);
    // The open sessions were sent it too.
    await waitFor(() => trust.version === 3, 'the pushed set');
  });

  // [NODE-4.2]: a session does not outlive the node's validity under the held set
  it('a session closes with ERR_KEY_EXPIRED when its set lapses, and lives on when a newer set came in time', async () => {
    const soon = Date.now() + 400;
    const a = await node(nodeA, setOf(1, [nodeA], { notAfter: soon }));
    const session = await client(a.url, new NodeKeys({ operator: operatorPublic, service: 'chat' }));
    const closed = new Promise<string | undefined>((r) => session.on('close', (info) => r(info.error?.code)));
    expect(await closed).toBe('ERR_KEY_EXPIRED');
    expect(Date.now()).toBeGreaterThan(soon);
    const b = await node(nodeB, setOf(1, [nodeB], { notAfter: Date.now() + 400 }));
    const kept = await client(b.url, new NodeKeys({ operator: operatorPublic, service: 'chat' }));
    b.server.presentNodeSet(setOf(2, [nodeB]));
    await sleep(700);
    expect(kept.state).toBe('open');
  });

  // [NODE-4.2]
  it('a set sent in the session that drops its own node closes the session with ERR_KEY_REVOKED', async () => {
    const a = await node(nodeA, setOf(1, [nodeA, nodeB]));
    const trust = new NodeKeys({ operator: operatorPublic, service: 'chat' });
    const session = await client(a.url, trust);
    const closed = new Promise<string | undefined>((r) => session.on('close', (info) => r(info.error?.code)));
    // As node B would relay it, or an attacker replay it: the operator's word either way.
    const v2 = setOf(2, [nodeB]);
    session.receive(v2);
    expect(await closed).toBe('ERR_KEY_REVOKED');
    // The held set again is fine; an older one in a session is refused and reported, and the session goes on.
    const other = await client((await node(nodeB, v2)).url, trust, bob);
    const notices: RoomNotice[] = [];
    other.on('room', (n) => notices.push(n));
    other.receive(setOf(1, [nodeA, nodeB]));
    await waitFor(() => notices.length === 1, 'the refusal');
    expect(notices).toEqual([{ type: 'refused', room: null, code: 'ERR_REPLAY' }]);
    expect(other.state).toBe('open');
  });
});
