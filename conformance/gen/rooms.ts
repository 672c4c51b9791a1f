// Room-stream vectors (spec/rooms.md): what a member accepts, delivers, refuses or recovers, frame
// by frame; the server's checks of a Post; Merkle batch proofs. Frames are built from the spec
// with the generator's own CBOR, signer and RFC 9162 tree, never with src/.
import { createHash } from 'node:crypto';
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { arr, bstr, mapRaw, tstr, uint, type Bytes } from './cbor.js';
import { Signer, entries, envelope, sigStructure } from './envelope.js';
import { cat, enc, hex, seed, signRef } from './ref.js';
import { refs, type RefName } from './refs.js';

const sha256 = (b: Bytes): Bytes => new Uint8Array(createHash('sha256').update(b).digest());
const ROOM_CT = 'application/vnd.sealwire.room+cbor';
const KEY_CT = 'application/vnd.sealwire.key+cbor';
const BATCH_CT = 'application/vnd.sealwire.batch+cbor';
const TS = 1_700_000_000_000;

export const SERVER = new Signer(seed('rooms server'));
export const ALICE = new Signer(seed('rooms alice'));
export const OTHER = new Signer(seed('rooms other key'));
export const EPOCH = seed('rooms epoch lobby').subarray(0, 16);
const EPOCH2 = seed('rooms second epoch').subarray(0, 16);
const AUTHOR_STREAM = seed('rooms alice author stream').subarray(0, 16);
const STATEMENT_STREAM = seed('rooms statement stream').subarray(0, 16);
const BATCH_STREAM = seed('rooms batch stream').subarray(0, 16);

/** "sealwire/1" || 02 || role [|| epoch || room] ([ROOM-2.1], [ROOM-3.1]). */
const aad = (role: number, epoch?: Bytes, room?: string): Bytes =>
  cat(enc.encode('sealwire/1'), Uint8Array.of(2, role), ...(epoch === undefined ? [] : [epoch, enc.encode(room ?? '')]));

/** A v1 envelope whose external_aad is a room role's: the header and signature rules are the envelope's. */
function sealWith(s: Signer, h: { ct: string | number; seq: number; ts: number; stream: Bytes }, payload: Bytes, externalAad: Bytes) {
  const protectedBytes = mapRaw(entries({ ...h, kid: s.kid }));
  const toBeSigned = sigStructure(protectedBytes, externalAad, payload);
  const signature = signRef(s.secretKey, toBeSigned);
  return { protectedBytes, payload, signature, toBeSigned, envelope: envelope({ protectedBytes, payload, signature }) };
}

export const sealPost = (o: { seq: number; text: string; ts?: number; room?: string; epoch?: Bytes; by?: Signer }) =>
  sealWith(
    o.by ?? ALICE,
    { ct: 42, seq: o.seq, ts: o.ts ?? TS + o.seq, stream: AUTHOR_STREAM },
    enc.encode(o.text),
    aad(1, o.epoch ?? EPOCH, o.room ?? 'lobby'),
  );
export const post = (o: Parameters<typeof sealPost>[0]): Bytes => sealPost(o).envelope;

type Body = Bytes;
export const postBody = (room: string, p: Bytes): Body => arr(tstr(room), uint(1), bstr(p));
export const announceBody = (room: string, text: string): Body => arr(tstr(room), uint(4), tstr('send'), tstr('server'), bstr(enc.encode(text)));

export function event(offset: number, body: Body, o: { epoch?: Bytes; by?: Signer } = {}) {
  return sealWith(o.by ?? SERVER, { ct: ROOM_CT, seq: offset, ts: TS + 1000 + offset, stream: o.epoch ?? EPOCH }, body, aad(2));
}

export function statement(o: { room?: string; key?: Bytes; kid?: Bytes; notBefore?: number; notAfter?: number } = {}): Bytes {
  const payload = arr(
    tstr(o.room ?? 'lobby'),
    tstr('alice'),
    arr(tstr('user')),
    bstr(o.kid ?? ALICE.kid),
    bstr(o.key ?? ALICE.publicKey),
    uint(o.notBefore ?? 0),
    uint(o.notAfter ?? TS + 1_000_000),
  );
  return sealWith(SERVER, { ct: KEY_CT, seq: 0, ts: TS, stream: STATEMENT_STREAM }, payload, aad(3)).envelope;
}

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
  events: ReturnType<typeof event>[],
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
const ev = event;

// --- steps --------------------------------------------------------------------------------------
type B = FileBuilder<StepsGroup>;
type Ev = Record<string, unknown>;
const ok = (s: { op: string; [k: string]: unknown }, events?: Ev[]): OpStep => ({ ...s, ...(events ? { expect: { events } } : {}), result: 'valid' });
const fail = (code: string, s: { op: string; [k: string]: unknown }): OpStep => ({ ...s, result: 'invalid', code });
const reset = (rooms: string[] = ['lobby']): OpStep => ok({ op: 'room.reset', serverKey: hex(SERVER.publicKey), rooms });
const position = (next: number, status = 0, count = 0, room = 'lobby', epoch = EPOCH): OpStep =>
  ok(
    { op: 'room.position', room, epoch: hex(epoch), next, status, count },
    status < 3 ? [{ position: { room, status: ['current', 'recovered', 'lost'][status], count, next } }] : undefined,
  );
const frame = (f: Bytes, events: Ev[]): OpStep => ok({ op: 'room.frame', frame: hex(f) }, events);
const deliver = (offset: number, text: string, o: { seq?: number; verified?: string; identity?: string } = {}): Ev => ({
  deliver: { room: 'lobby', offset, verified: o.verified ?? 'author', identity: o.identity ?? 'alice', seq: o.seq ?? offset, payload: hex(enc.encode(text)) },
});
const gapOf = (missing: number): Ev => ({ gap: { room: 'lobby', keyId: hex(ALICE.kid), missing } });
const refused = (code: string, offset?: number, room: string | null = 'lobby'): Ev => ({ refused: code, room, ...(offset !== undefined ? { offset } : {}) });

function add(b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], steps: OpStep[]): void {
  const last = steps[steps.length - 1]!;
  b.add(g, { comment, flags, specRefs: refs(...r), steps, result: last.result, ...(last.code !== undefined ? { code: last.code } : {}) });
}

function member(b: B, g: StepsGroup): void {
  const st = statement();
  const e0 = ev(0, postBody('lobby', post({ seq: 0, text: 'hello' })));
  const e1 = ev(1, postBody('lobby', post({ seq: 1, text: 'again' })));
  const a2 = ev(2, announceBody('lobby', 'maintenance at noon'));
  const open = [reset(), position(0)];
  add(
    b,
    g,
    'a statement, then posts and an announcement: authors verified, offsets in order',
    ['RoomStream'],
    ['roomOneSeal', 'roomAuthor', 'roomStatementBefore', 'roomMemberOrder', 'roomAttested'],
    [
      ...open,
      frame(st, []),
      frame(e0.envelope, [deliver(0, 'hello')]),
      frame(e1.envelope, [deliver(1, 'again')]),
      frame(a2.envelope, [deliver(2, 'maintenance at noon', { verified: 'server', identity: 'server', seq: 2 })]),
    ],
  );
  add(
    b,
    g,
    'events before the Position are held, then delivered from next − count',
    ['RoomStream'],
    ['roomJoinOrder'],
    [
      reset(),
      frame(st, []),
      frame(e0.envelope, []),
      frame(e1.envelope, []),
      ok({ op: 'room.position', room: 'lobby', epoch: hex(EPOCH), next: 2, status: 1, count: 2 }, [
        deliver(0, 'hello'),
        deliver(1, 'again'),
        { position: { room: 'lobby', status: 'recovered', count: 2, next: 2 } },
      ]),
    ],
  );
  add(
    b,
    g,
    'a duplicate offset is dropped quietly; a gap is dropped and recovered',
    ['RoomStream'],
    ['roomOffset'],
    [
      ...open,
      frame(st, []),
      frame(e0.envelope, [deliver(0, 'hello')]),
      frame(e0.envelope, []),
      frame(a2.envelope, [{ recover: { room: 'lobby', epoch: hex(EPOCH), next: 1 } }]),
    ],
  );
  add(
    b,
    g,
    'an event of another epoch is refused',
    ['RoomStream'],
    ['roomOffset'],
    [...open, frame(ev(0, announceBody('lobby', 'x'), { epoch: EPOCH2 }).envelope, [refused('ERR_WRONG_STREAM', 0)])],
  );
  add(
    b,
    g,
    'an event of a room not joined is refused',
    ['RoomStream'],
    ['roomAad', 'roomMemberOrder'],
    [...open, frame(ev(0, announceBody('other', 'x')).envelope, [refused('ERR_NOT_JOINED', undefined, 'other')])],
  );
  add(
    b,
    g,
    'an event signed by another key than the server’s is refused',
    ['RoomStream'],
    ['roomMemberOrder'],
    [...open, frame(ev(0, announceBody('lobby', 'x'), { by: OTHER }).envelope, [refused('ERR_SESSION_KEY', undefined, null)])],
  );
  const broken = a2.envelope.slice();
  broken[broken.length - 1]! ^= 1;
  add(
    b,
    g,
    'a broken server signature is refused and leaves the expected offset; the intact event is then delivered',
    ['RoomStream', 'RoomForgery'],
    ['roomRefusal', 'roomMemberOrder'],
    [
      ...open,
      frame(
        ev(0, announceBody('lobby', 'hi')).envelope.map((x, i, a) => (i === a.length - 1 ? x ^ 1 : x)),
        [refused('ERR_BAD_SIGNATURE', undefined, null)],
      ),
      frame(ev(0, announceBody('lobby', 'hi')).envelope, [deliver(0, 'hi', { verified: 'server', identity: 'server', seq: 0 })]),
    ],
  );
  add(
    b,
    g,
    'a room event whose payload is not a RoomEvent is refused',
    ['RoomStream'],
    ['roomPayload'],
    [...open, frame(ev(0, arr(tstr('lobby'), uint(9))).envelope, [refused('ERR_MESSAGE_MALFORMED', undefined, null)])],
  );
  // The server re-signs a rewritten post: its own signature holds, the author's does not.
  const p0 = sealPost({ seq: 0, text: 'pay bob 10' });
  const forged = envelope({ protectedBytes: p0.protectedBytes, payload: enc.encode('pay mallory 10000'), signature: p0.signature });
  add(
    b,
    g,
    "an author's words rewritten by the server: refused, the offset moves on",
    ['RoomStream', 'RoomForgery'],
    ['roomRefusal', 'roomAuthor'],
    [
      ...open,
      frame(st, []),
      frame(ev(0, postBody('lobby', forged)).envelope, [refused('ERR_BAD_SIGNATURE', 0)]),
      // The refused post was never alice's, so her stream shows seq 0 missing.
      frame(ev(1, postBody('lobby', post({ seq: 1, text: 'again' }))).envelope, [gapOf(1), deliver(1, 'again')]),
    ],
  );
  add(
    b,
    g,
    'a post whose author has no statement is refused',
    ['RoomStream'],
    ['roomStatementHeld'],
    [...open, frame(e0.envelope, [refused('ERR_UNKNOWN_KEY', 0)])],
  );
  add(
    b,
    g,
    'a statement whose kid is not its key’s thumbprint is refused; its posts with it',
    ['RoomStream', 'RoomForgery'],
    ['roomStatementKey', 'roomStatementHeld'],
    [...open, frame(statement({ key: OTHER.publicKey }), [refused('ERR_BAD_KEY')]), frame(e0.envelope, [refused('ERR_UNKNOWN_KEY', 0)])],
  );
  const badSt = st.slice();
  badSt[badSt.length - 70]! ^= 1;
  add(
    b,
    g,
    'a statement altered in transit is refused',
    ['RoomStream', 'RoomForgery'],
    ['roomStatementKey'],
    [...open, frame(badSt, [refused('ERR_BAD_SIGNATURE', undefined, null)])],
  );
  add(
    b,
    g,
    'an author envelope outside its statement’s validity is refused',
    ['RoomStream'],
    ['roomStatementHeld'],
    [
      ...open,
      frame(statement({ notBefore: TS + 10, notAfter: TS + 20 }), []),
      frame(ev(0, postBody('lobby', post({ seq: 0, text: 'early', ts: TS + 9 }))).envelope, [refused('ERR_KEY_NOT_YET_VALID', 0)]),
      frame(ev(1, postBody('lobby', post({ seq: 1, text: 'late', ts: TS + 21 }))).envelope, [refused('ERR_KEY_EXPIRED', 1)]),
      frame(ev(2, postBody('lobby', post({ seq: 2, text: 'in time', ts: TS + 20 }))).envelope, [gapOf(2), deliver(2, 'in time', { seq: 2 })]),
    ],
  );
  add(
    b,
    g,
    'an author stream that goes back is refused; one that skips is delivered with the gap reported',
    ['RoomStream'],
    ['roomMemberOrder', 'roomAuthorStream'],
    [
      ...open,
      frame(st, []),
      frame(ev(0, postBody('lobby', post({ seq: 3, text: 'three' }))).envelope, [gapOf(3), deliver(0, 'three', { seq: 3 })]),
      frame(ev(1, postBody('lobby', post({ seq: 3, text: 'three' }))).envelope, [refused('ERR_REPLAY', 1)]),
    ],
  );
  add(
    b,
    g,
    'a member that joined mid-epoch reports no gap for an author stream it first sees there; later skips it does',
    ['RoomStream'],
    ['roomMemberOrder', 'roomAuthorStream'],
    [
      reset(),
      position(5),
      frame(st, []),
      frame(ev(5, postBody('lobby', post({ seq: 3, text: 'three' }))).envelope, [deliver(5, 'three', { seq: 3 })]),
      frame(ev(6, postBody('lobby', post({ seq: 5, text: 'five' }))).envelope, [gapOf(1), deliver(6, 'five', { seq: 5 })]),
    ],
  );
  add(
    b,
    g,
    'an author envelope sealed for another room or epoch is refused',
    ['RoomStream', 'RoomForgery'],
    ['roomAuthor'],
    [
      ...open,
      frame(st, []),
      frame(ev(0, postBody('lobby', post({ seq: 0, text: 'x', room: 'other' }))).envelope, [refused('ERR_BAD_SIGNATURE', 0)]),
      frame(ev(1, postBody('lobby', post({ seq: 1, text: 'x', epoch: EPOCH2 }))).envelope, [refused('ERR_BAD_SIGNATURE', 1)]),
    ],
  );
  add(
    b,
    g,
    'a position check ahead of the member, or a behind, starts a recovery',
    ['RoomStream'],
    ['roomCheck', 'roomSlow'],
    [
      ...open,
      ok({ op: 'room.position', room: 'lobby', epoch: hex(EPOCH), next: 0, status: 3, count: 0 }, []),
      ok({ op: 'room.position', room: 'lobby', epoch: hex(EPOCH), next: 4, status: 3, count: 0 }, [{ recover: { room: 'lobby', epoch: hex(EPOCH), next: 0 } }]),
    ],
  );
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
