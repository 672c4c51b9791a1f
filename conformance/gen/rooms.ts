// Room-stream vectors (spec/rooms.md): the member's (room-member.ts); bundles under one signed root
// and Merkle batch proofs, built with the generator's own RFC 9162 tree; the server's checks of a
// Post. Frames are built from the spec (room-frames.ts), never with src/.
import { createHash } from 'node:crypto';
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { arr, bstr, tstr, uint, type Bytes } from './cbor.js';
import type { Signer } from './envelope.js';
import { cat, enc, hex, seed } from './ref.js';
import {
  ALICE,
  EPOCH,
  EPOCH2,
  OTHER,
  ROOM_CT,
  SERVER,
  TS,
  aad,
  add,
  deliver,
  event as ev,
  announceBody,
  fail,
  frame,
  ok,
  position,
  post,
  refused,
  reset,
  sealWith,
  statement,
  type B,
} from './room-frames.js';
import { member } from './room-member.js';

// The other room generators (transcripts, recovery) build their frames with these.
export { ALICE, EPOCH, OTHER, SERVER, announceBody, event, postBody, sealPost, statement } from './room-frames.js';

const sha256 = (b: Bytes): Bytes => new Uint8Array(createHash('sha256').update(b).digest());
const BATCH_CT = 'application/vnd.sealwire.batch+cbor';
const BATCH_STREAM = seed('rooms batch stream').subarray(0, 16);

// --- RFC 9162 §2.1 ------------------------------------------------------------------------------
const leaf = (b: Bytes): Bytes => sha256(cat(Uint8Array.of(0), b));
const node = (l: Bytes, r: Bytes): Bytes => sha256(cat(Uint8Array.of(1), l, r));
const split = (n: number): number => 2 ** Math.ceil(Math.log2(n)) / 2;
function mth(ls: Bytes[]): Bytes {
  if (ls.length === 1) return ls[0]!;
  const k = split(ls.length);
  return node(mth(ls.slice(0, k)), mth(ls.slice(k)));
}
function path(m: number, ls: Bytes[]): Bytes[] {
  if (ls.length === 1) return [];
  const k = split(ls.length);
  return m < k ? [...path(m, ls.slice(0, k)), mth(ls.slice(k))] : [...path(m - k, ls.slice(k)), mth(ls.slice(0, k))];
}

/** A bundle of `events` under one signed root ([ROOM-5.1]); `o` breaks one part. */
function bundle(
  events: ReturnType<typeof ev>[],
  o: { root?: Bytes; count?: number; by?: Signer; ct?: string; order?: number[]; payload?: [number, Bytes] } = {},
): Bytes {
  const ls = events.map((e) => leaf(e.toBeSigned));
  const rootEnv = sealWith(
    o.by ?? SERVER,
    { ct: o.ct ?? BATCH_CT, seq: 0, ts: TS + 2000, stream: BATCH_STREAM },
    arr(bstr(o.root ?? mth(ls)), uint(o.count ?? ls.length)),
    aad(4),
  ).envelope;
  const list = (o.order ?? events.map((_, i) => i)).map((i) => {
    const e = events[i]!;
    const payload = o.payload?.[0] === i ? o.payload[1] : e.payload;
    return arr(bstr(e.protectedBytes), bstr(payload));
  });
  return arr(bstr(rootEnv), arr(...list));
}

function bundles(b: B, g: StepsGroup): void {
  const announces = (n: number) => Array.from({ length: n }, (_, i) => ev(i, announceBody('lobby', `b${i}`)));
  const all = (n: number) => Array.from({ length: n }, (_, i) => deliver(i, `b${i}`, { verified: 'server', identity: 'server', seq: i }));
  for (const n of [2, 3, 5, 8]) {
    add(
      b,
      g,
      `a bundle of ${n}: one signed root, every event delivered in order`,
      ['RoomBatch'],
      ['roomBatchTree', 'roomBatchProof', 'roomBatchCap'],
      [reset(), position(0), frame(bundle(announces(n)), all(n))],
    );
  }
  const five = announces(5);
  const bad = (comment: string, f: Bytes, code = 'ERR_BAD_SIGNATURE', flags = ['RoomBatch', 'RoomForgery']): void =>
    add(b, g, comment, flags, ['roomBatchProof'], [reset(), position(0), frame(f, [refused(code, undefined, null)])]);
  bad('an event of the bundle altered', bundle(five, { payload: [2, announceBody('lobby', 'bX')] }));
  bad('the events of the bundle reordered', bundle(five, { order: [0, 2, 1, 3, 4] }));
  bad('a root envelope naming another count', bundle(five, { count: 4 }));
  // The CDDL bounds the count as the prose bounds a bundle: a signed root naming 1,025 is malformed.
  bad('a root envelope naming a count past 1,024', bundle(five, { count: 1025 }), 'ERR_MESSAGE_MALFORMED', ['RoomBatch']);
  bad('a root envelope naming another root', bundle(five, { root: leaf(five[0]!.toBeSigned) }));
  bad('a root envelope signed by another key', bundle(five, { by: OTHER }), 'ERR_SESSION_KEY');
  // The server's kid, another key's signature: only the signature check can refuse it.
  bad('a root envelope that names the server but is signed by another key', bundle(five, { by: { secretKey: OTHER.secretKey, kid: SERVER.kid } as Signer }));
  bad('a root envelope with the content type of a room event', bundle(five, { ct: ROOM_CT }), 'ERR_HEADER_VALUE');
  bad('a bundle with no events', arr(bstr(statement()), arr()), 'ERR_MESSAGE_MALFORMED', ['RoomBatch']);
  // Signed correctly, one event is no RoomEvent: nothing of the bundle is delivered.
  bad('a bundle whose third event is not a RoomEvent', bundle([...announces(2), ev(2, arr(tstr('lobby'), uint(9)))]), 'ERR_MESSAGE_MALFORMED', ['RoomBatch']);
}

/** `merkle.verify` requests for RFC 9162 §2.1.3.2 ([ROOM-5.2]). */
function proofs(b: B, g: StepsGroup): void {
  const ask = (o: { leaf: Bytes; index: number; count: number; path: Bytes[]; root: Bytes }, valid: boolean): OpStep => ({
    ...ok({ op: 'merkle.verify', leaf: hex(o.leaf), index: o.index, count: o.count, path: o.path.map(hex), root: hex(o.root) }),
    expect: { valid },
  });
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]) {
    const raw = Array.from({ length: n }, (_, i) => enc.encode(`leaf ${i}`));
    const ls = raw.map(leaf);
    const root = mth(ls);
    add(
      b,
      g,
      `every inclusion proof of a tree of ${n}`,
      ['RoomBatch'],
      ['roomBatchProof', 'roomBatchTree'],
      raw.map((r, i) => ask({ leaf: r, index: i, count: n, path: path(i, ls), root }, true)),
    );
  }
  const raw = Array.from({ length: 7 }, (_, i) => enc.encode(`leaf ${i}`));
  const ls = raw.map(leaf);
  const root = mth(ls);
  const p3 = path(3, ls);
  add(
    b,
    g,
    'broken inclusion proofs: wrong sibling, truncated, one hash too many, index out of range, a short hash, another count',
    ['RoomBatch', 'RoomForgery'],
    ['roomBatchProof'],
    [
      ask({ leaf: raw[3]!, index: 3, count: 7, path: [ls[0]!, ...p3.slice(1)], root }, false),
      ask({ leaf: raw[3]!, index: 3, count: 7, path: p3.slice(0, -1), root }, false),
      ask({ leaf: raw[3]!, index: 3, count: 7, path: [...p3, ls[0]!], root }, false),
      ask({ leaf: raw[3]!, index: 7, count: 7, path: p3, root }, false),
      ask({ leaf: raw[3]!, index: 3, count: 7, path: [p3[0]!.subarray(0, 31), ...p3.slice(1)], root }, false),
      ask({ leaf: raw[3]!, index: 3, count: 15, path: p3, root }, false),
      ask({ leaf: raw[3]!, index: 3, count: 7, path: p3, root }, true),
    ],
  );
}

function server(b: B, g: StepsGroup): void {
  const r = ok({ op: 'room.server', room: 'lobby', epoch: hex(EPOCH), authorKey: hex(ALICE.publicKey) });
  const send = (p: Bytes, expect: Record<string, unknown>, epoch = EPOCH): OpStep => ({ ...ok({ op: 'room.post', epoch: hex(epoch), post: hex(p) }), expect });
  const refuse = (code: string, p: Bytes, epoch = EPOCH): OpStep => fail(code, { op: 'room.post', epoch: hex(epoch), post: hex(p) });
  add(
    b,
    g,
    'posts accepted in order; a resent one is a quiet duplicate; a skip is allowed',
    ['RoomStream'],
    ['roomPostChecks', 'roomAuthorStream'],
    [
      r,
      send(post({ seq: 0, text: 'a' }), { accepted: true, seq: 0 }),
      send(post({ seq: 0, text: 'a' }), { duplicate: true }),
      send(post({ seq: 4, text: 'b' }), { accepted: true, seq: 4 }),
      send(post({ seq: 2, text: 'c' }), { duplicate: true }),
    ],
  );
  add(b, g, 'a post for a replaced epoch', ['RoomStream'], ['roomPostChecks'], [r, refuse('ERR_STALE_EPOCH', post({ seq: 0, text: 'a' }), EPOCH2)]);
  add(
    b,
    g,
    "a post sealed with another key than the session's",
    ['RoomStream', 'RoomForgery'],
    ['roomPostChecks'],
    [r, refuse('ERR_SESSION_KEY', post({ seq: 0, text: 'a', by: OTHER }))],
  );
  add(
    b,
    g,
    'a post bound to another room, or with a broken signature',
    ['RoomStream', 'RoomForgery'],
    ['roomPostChecks'],
    [
      r,
      refuse('ERR_BAD_SIGNATURE', post({ seq: 0, text: 'a', room: 'other' })),
      refuse(
        'ERR_BAD_SIGNATURE',
        post({ seq: 0, text: 'a' }).map((x, i, a) => (i === a.length - 1 ? x ^ 1 : x)),
      ),
    ],
  );
}

export function rooms(): VectorFile {
  const b = new FileBuilder<StepsGroup>('sealwire-rooms-v1', 'steps_schema.json', [
    'Room streams (spec/rooms.md). "room.reset" makes a member of `rooms` that trusts `serverKey` and has',
    'sent their Joins; "room.frame" and "room.position" answer {"ok":true,"events":[...]}, each event one',
    'of {"deliver":{room,offset,verified,identity,seq,payload}}, {"refused":code,"room",["offset"]},',
    '{"recover":{room,epoch,next}}, {"gap":{room,keyId,missing}}, {"position":{room,status,count,next}}.',
    '"room.server" and "room.post" run the server\'s checks of a Post ([ROOM-3.3]) for one author key;',
    '"merkle.verify" checks one RFC 9162 inclusion proof of a raw leaf: {"ok":true,"valid":bool}.',
  ]);
  member(b, b.group({ type: 'Steps' }));
  bundles(b, b.group({ type: 'Steps' }));
  proofs(b, b.group({ type: 'Steps' }));
  server(b, b.group({ type: 'Steps' }));
  return b.build();
}
