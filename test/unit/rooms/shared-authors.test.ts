// What a node learns of author positions from its shared room's frames, and which queued posts it
// then drops (spec/rooms.md [ROOM-11.8]); the stale-epoch refusal shares the queue pruning.
// Real frames, sealed with real keys: single events, a bundle, and frames that are not posts.
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importSigningKey, type SigningKey } from '../../../src/index.js';
import { randomBytes, toHex } from '../../../src/bytes.js';
import { Lru } from '../../../src/rooms/lru.js';
import type { PendingEvent } from '../../../src/rooms/room.js';
import { prepareRoom, sealRoom } from '../../../src/rooms/seal.js';
import { learnAuthors, queuedAt } from '../../../src/rooms/shared-authors.js';
import { dropResent, refuseStale } from '../../../src/rooms/shared-pending.js';
import {
  encodeBundle,
  encodeRoomEvent,
  KEY_CONTENT_TYPE,
  KIND_POST,
  KIND_PRESENCE,
  ROLE,
  ROOM_CONTENT_TYPE,
  roomAad,
  type RoomEventBody,
} from '../../../src/rooms/wire.js';

const server = importSigningKey(generateKeyPair().secretKey);
const alice = importSigningKey(generateKeyPair().secretKey);
const epoch = randomBytes(16);

function post(key: SigningKey, stream: Uint8Array, seq: number, room = 'lobby'): Uint8Array {
  return sealRoom(key, { contentType: 42, stream, seq, ts: 1000 + seq }, new TextEncoder().encode(`m${seq}`), roomAad(ROLE.author, epoch, room));
}

const eventPayload = (body: RoomEventBody, room = 'lobby'): Uint8Array => encodeRoomEvent({ room, body });

function single(body: RoomEventBody, offset: number, room = 'lobby'): Uint8Array {
  return sealRoom(server, { contentType: ROOM_CONTENT_TYPE, stream: epoch, seq: offset, ts: 5 }, eventPayload(body, room), roomAad(ROLE.event));
}

/** A bundle of `bodies` at offsets from `first`; its root is not verified here, so any envelope stands for it. */
function bundle(bodies: RoomEventBody[], first: number): Uint8Array {
  const events = bodies.map((b, i) => {
    const u = prepareRoom(server.kid, { contentType: ROOM_CONTENT_TYPE, stream: epoch, seq: first + i, ts: 5 }, eventPayload(b), roomAad(ROLE.event));
    return { protectedBytes: u.protectedBytes, payload: u.payload };
  });
  return encodeBundle({ root: single({ kind: KIND_PRESENCE, identity: 'x', joined: true }, 0), events });
}

const key = (k: SigningKey, stream: Uint8Array): string => toHex(k.kid) + toHex(stream);

describe('author positions learned from a shared room stream [ROOM-11.8]', () => {
  it('a post event moves its author stream to seq + 1, and a lower one later never moves it back', () => {
    const s = randomBytes(16);
    const authors = new Lru<number>(16);
    const learned = new Map<string, number>();
    learnAuthors(authors, 'lobby', single({ kind: KIND_POST, post: post(alice, s, 4) }, 0), learned);
    expect(authors.get(key(alice, s))).toBe(5);
    learnAuthors(authors, 'lobby', single({ kind: KIND_POST, post: post(alice, s, 1) }, 1), learned);
    expect(authors.get(key(alice, s))).toBe(5);
    expect(learned.get(key(alice, s))).toBe(5);
    // A position the node already held past the stream's stays where it is.
    authors.set(key(alice, s), 9);
    learnAuthors(authors, 'lobby', single({ kind: KIND_POST, post: post(alice, s, 6) }, 2), learned);
    expect(authors.get(key(alice, s))).toBe(9);
    expect(learned.get(key(alice, s))).toBe(7);
  });

  it('every post of a bundle counts, on each author stream; other kinds of event move nothing', () => {
    const bob = importSigningKey(generateKeyPair().secretKey);
    const [s1, s2] = [randomBytes(16), randomBytes(16)];
    const authors = new Lru<number>(16);
    const learned = new Map<string, number>();
    const frame = bundle(
      [
        { kind: KIND_POST, post: post(alice, s1, 0) },
        { kind: KIND_PRESENCE, identity: 'carol', joined: true },
        { kind: KIND_POST, post: post(bob, s2, 3) },
        { kind: KIND_POST, post: post(alice, s1, 1) },
      ],
      7,
    );
    learnAuthors(authors, 'lobby', frame, learned);
    expect([...learned.entries()].sort()).toEqual(
      [
        [key(alice, s1), 2],
        [key(bob, s2), 4],
      ].sort(),
    );
    expect(authors.get(key(alice, s1))).toBe(2);
    expect(authors.get(key(bob, s2))).toBe(4);
    expect(authors.size).toBe(2);
  });

  it('another room’s event, a statement and bytes that do not decode move nothing and throw nothing', () => {
    const s = randomBytes(16);
    const authors = new Lru<number>(16);
    const learned = new Map<string, number>();
    const good = single({ kind: KIND_POST, post: post(alice, s, 0, 'other') }, 0, 'other');
    const statement = sealRoom(server, { contentType: KEY_CONTENT_TYPE, stream: epoch, seq: 0, ts: 5 }, new Uint8Array([0x80]), roomAad(ROLE.statement));
    for (const frame of [good, statement, good.subarray(0, good.length - 3), new Uint8Array([0x82, 0x01]), randomBytes(40), new Uint8Array(0)]) {
      expect(() => learnAuthors(authors, 'lobby', frame, learned)).not.toThrow();
    }
    expect(authors.size).toBe(0);
    expect(learned.size).toBe(0);
  });

  it('positions learned are held under the room’s bound ([ROOM-3.4]): the least recently used goes', () => {
    const authors = new Lru<number>(2);
    const streams = [randomBytes(16), randomBytes(16), randomBytes(16)];
    streams.forEach((s, i) => learnAuthors(authors, 'lobby', single({ kind: KIND_POST, post: post(alice, s, 0) }, i), new Map()));
    expect(authors.size).toBe(2);
    expect(authors.has(key(alice, streams[0]!))).toBe(false);
  });
});

describe('queued events a shared room drops before its next append', () => {
  const queued = (body: RoomEventBody, epochHex: string | undefined, fates: string[], name: string): PendingEvent => ({
    body,
    author: undefined,
    epoch: epochHex,
    at: queuedAt(body),
    settled: (code) => fates.push(`${name}:${code}`),
    dropped: () => fates.push(`${name}:dropped`),
  });

  it('posts the stream holds at or past their seq are dropped (no Result: `dropped`, [ROOM-11.9]); the rest keep their order', () => {
    const [s, t] = [randomBytes(16), randomBytes(16)];
    const fates: string[] = [];
    const hex = toHex(epoch);
    const pending = [
      queued({ kind: KIND_POST, post: post(alice, s, 0) }, hex, fates, 'a0'),
      queued({ kind: KIND_PRESENCE, identity: 'carol', joined: true }, undefined, fates, 'p'),
      queued({ kind: KIND_POST, post: post(alice, t, 0) }, hex, fates, 'b0'),
      queued({ kind: KIND_POST, post: post(alice, s, 1) }, hex, fates, 'a1'),
      queued({ kind: KIND_POST, post: post(alice, s, 2) }, hex, fates, 'a2'),
    ];
    const names = (): unknown[] => pending.map((p) => (p.at === undefined ? 'p' : `${p.at.stream === key(alice, s) ? 'a' : 'b'}${p.at.seq}`));
    dropResent(pending, new Map());
    expect(names()).toEqual(['a0', 'p', 'b0', 'a1', 'a2']);
    dropResent(pending, new Map([[key(alice, s), 2]]));
    expect(names()).toEqual(['p', 'b0', 'a2']);
    // The stream holds them: no Result, but their sessions may acknowledge their envelopes now.
    expect(fates).toEqual(['a0:dropped', 'a1:dropped']);
  });

  it('posts sealed for an epoch the room left are refused with ERR_STALE_EPOCH, in order; other events stay', () => {
    const s = randomBytes(16);
    const fates: string[] = [];
    const [old, now] = [toHex(randomBytes(16)), toHex(epoch)];
    const pending = [
      queued({ kind: KIND_POST, post: post(alice, s, 0) }, old, fates, 'old0'),
      queued({ kind: KIND_PRESENCE, identity: 'carol', joined: true }, undefined, fates, 'p'),
      queued({ kind: KIND_POST, post: post(alice, s, 1) }, old, fates, 'old1'),
      queued({ kind: KIND_POST, post: post(alice, s, 2) }, now, fates, 'now'),
    ];
    refuseStale(pending, epoch);
    expect(pending.map((p) => p.epoch ?? 'none')).toEqual(['none', now]);
    expect(fates).toEqual(['old0:ERR_STALE_EPOCH', 'old1:ERR_STALE_EPOCH']);
  });
});
