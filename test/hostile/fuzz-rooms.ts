// The room-frame half of the hostile suite's mutation fuzzer (spec/rooms.md §2–§5, §8). Seed
// frames come from the library's own server side: a RoomHub sealing an announcement, a key
// statement and the post it vouches for (the Post checked and committed as a session does), and a
// bundle of four events from one tick. Each mutant goes through RoomMember.frame (a client's path)
// to a fresh member standing where the honest stream would have it.
// - raw: a seed frame's bytes mutated, no key. Every byte of a room frame is signed, hashed into a
//   signed Merkle root, or decoded with one encoding per value, so a raw mutant that delivers any
//   message or installs a statement is accepted (a forgery, or a malleability).
// - resigned: the attacker holds the server's key (a compromised server, or a way past the
//   signature to the decoders). One part is mutated and the frame signed again: an envelope's
//   header or payload, the author envelope in a post, one event of a bundle, the bundle's shape
//   (events dropped, repeated, swapped, or the post of offset 1 replayed), its BatchRoot or root
//   header; the Merkle root is recomputed unless the BatchRoot is the target. The server may sign
//   what it likes, so accepted means breaking a rule its key cannot lift:
//   A. a message delivered as `verified: 'author'` is one the author signed, (room, kid, seq, ts,
//      payload) among the honest posts, and is delivered at most once (no replay);
//   B. a frame with a malformed part delivers nothing and installs nothing: a header that is no
//      v1 protected header naming the server's kid and the frame's content type, a payload that is
//      not the deterministic CBOR of its type, a statement whose kid is not its key's thumbprint
//      or whose key fails the strict import ([ROOM-4.1], [ROOM-5.2]).
//   A well-formed re-signed mutant that delivers server-verified events is the server's word. The
//   oracle decodes with the library's envelope and CBOR decoders (fuzzed on their own) and checks
//   the room rules on top.
// Crashed: anything thrown out of RoomMember.frame, or a refusal it reports as ERR_INTERNAL (its
// code for an unexpected exception). Keys, epoch and streams derive from the seed: a seed names
// the same frames and mutants on every run.
import { equalBytes, toHex, utf8Encoder } from '../../src/bytes.js';
import { sha256 } from '../../src/crypto/sha256.js';
import { importPublicKey, importSigningKey, keyId, type PublicKey, type SigningKey } from '../../src/keys/keys.js';
import { RoomHub } from '../../src/rooms/hub.js';
import { RoomMember, type RoomMessage, type RoomNotice } from '../../src/rooms/member.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { leafHash, merkleTree } from '../../src/rooms/merkle.js';
import { relayBody } from '../../src/rooms/relay.js';
import type { RoomMember as ServerMember } from '../../src/rooms/room.js';
import { sealWithKey } from '../../src/rooms/seal.js';
import * as W from '../../src/rooms/wire.js';
import { ClientRooms } from '../../src/session/client-rooms.js';
import { OP_POSITION, OP_POST, decodeClientMessage } from '../../src/session/messages.js';
import { checkMemberPost, type RoomLink } from '../../src/session/room-link.js';
import { decodeEnvelope, encodeEnvelope, encodeProtectedHeader, sigStructure } from '../../src/wire/envelope.js';
import { mutate, rng, type FuzzResult } from './fuzz.js';

const MAX = 65_536;
const ROOM = 'lobby';
const TS = 1_700_000_000_000;
const AAD = { event: W.roomAad(W.ROLE.event), statement: W.roomAad(W.ROLE.statement), batch: W.roomAad(W.ROLE.batch) };
const NO_SIGNATURE = new Uint8Array(64);

export interface RoomFuzzResult extends FuzzResult {
  /** The first accepted or crashed mutant: what, why, and its hex (to rerun by hand). */
  readonly finding?: string;
}

/** The honest stream: the statement, then events at offsets 0 (announce), 1 (post), 2–5 (bundle). */
export interface RoomSeeds {
  readonly server: SigningKey;
  readonly serverPublic: PublicKey;
  readonly epoch: Uint8Array;
  readonly statement: Uint8Array;
  readonly events: readonly { readonly frame: Uint8Array; readonly offset: number; readonly count: number }[];
  /** What the author signed: `room kid seq ts payload` (hex), one per post. */
  readonly honest: ReadonlySet<string>;
}

const tuple = (room: string, kid: string, seq: number, ts: number, payload: Uint8Array): string => `${room} ${kid} ${seq} ${ts} ${toHex(payload)}`;

/**
 * Runs `fn` with getRandomValues seeded: the hub's epoch and streams and the author's stream are
 * drawn at construction or sealing, and the fuzzer must be deterministic for a seed.
 */
function seeded<T>(label: Uint8Array, fn: () => T): T {
  const c = globalThis.crypto;
  const real = c.getRandomValues;
  let block = sha256(label);
  let at = 0;
  c.getRandomValues = (<A extends ArrayBufferView | null>(out: A): A => {
    const b = new Uint8Array(out!.buffer, out!.byteOffset, out!.byteLength);
    for (let i = 0; i < b.length; i++) {
      if (at === block.length) [block, at] = [sha256(block), 0];
      b[i] = block[at++]!;
    }
    return out;
  }) as typeof c.getRandomValues;
  try {
    return fn();
  } finally {
    c.getRandomValues = real;
  }
}

export async function roomSeeds(seed: number): Promise<RoomSeeds> {
  const derive = (what: string): Uint8Array => sha256(utf8Encoder.encode(`sealwire room fuzz ${what} ${seed >>> 0}`));
  const server = importSigningKey(derive('server'));
  const serverPublic = importPublicKey(server.publicKey);
  const alice = importSigningKey(derive('alice'));
  const frames: Uint8Array[] = [];
  const sink: ServerMember = { sendFrame: (f) => void frames.push(f.slice()), buffered: () => 0, position: () => {} };
  let signError: unknown;
  const options = { key: server, kid: server.kid, clock: () => TS, historyCount: 100, historyMs: 1e9, positionMs: 0, maxBufferedAmount: 1 << 24 };
  const hub = seeded(derive('hub'), () => {
    const h = new RoomHub<ServerMember>({ ...options, maxFrameSize: MAX, presence: false, onSignError: (e) => void (signError = e) });
    h.join(sink, ROOM, undefined);
    return h;
  });
  const epoch = hub.room(ROOM)!.epoch;
  const client = new ClientRooms({ serverKey: serverPublic }, serverPublic, MAX, { message: () => {}, notice: () => {}, recover: () => {} });
  client.member.joining(ROOM);
  client.positioned({ op: OP_POSITION, room: ROOM, epoch, next: 0, status: 0, count: 0 });
  const honest = new Set<string>();
  // A Post as the client seals it and the server checks and commits it (src/session/room-link.ts).
  const post = (text: string): void => {
    const m = decodeClientMessage(seeded(derive('author'), () => client.post(alice, ROOM, text, TS) as Uint8Array));
    if (m.op !== OP_POST) throw new Error('room fuzzer: the client sealed no Post');
    const author = { identity: 'alice', roles: ['user'], key: importPublicKey(alice.publicKey), expiresAt: undefined };
    const r = checkMemberPost(hub as unknown as RoomHub<RoomLink>, m, author, MAX);
    if (typeof r === 'string') throw new Error(`room fuzzer: the server refused the seed Post (${r})`);
    honest.add(tuple(ROOM, toHex(alice.kid), r.seq, r.ts, r.payload));
    r.commit(() => {});
  };
  const tick = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };
  const announce = (text: string): W.RoomEventBody => ({ kind: W.KIND_ANNOUNCE, action: 'send', from: 'server', data: utf8Encoder.encode(text) });
  hub.publish(ROOM, announce('welcome'));
  await tick();
  post('hello from alice');
  await tick();
  hub.publish(ROOM, { kind: W.KIND_PRESENCE, identity: 'bob', joined: true });
  const relayed = { identity: 'bob', roles: ['user'], keyId: toHex(server.kid), seq: 3, ts: TS, payload: utf8Encoder.encode('hi'), action: 'send' };
  hub.publish(ROOM, relayBody(relayed));
  post('second, in a bundle');
  hub.publish(ROOM, announce('closing soon'));
  await tick();
  hub.close();
  if (signError !== undefined) throw signError;
  const [e0, statement, p1, bundle] = frames;
  if (frames.length !== 4 || !(bundle instanceof Uint8Array) || bundle[0] !== W.BUNDLE_FIRST_BYTE) {
    throw new Error(`room fuzzer: expected announce, statement, post, bundle; got ${frames.length} frames`);
  }
  const events = [
    { frame: e0!, offset: 0, count: 1 },
    { frame: p1!, offset: 1, count: 1 },
    { frame: bundle, offset: 2, count: 4 },
  ];
  return { server, serverPublic, epoch, statement: statement!, events, honest };
}

/** A seed to mutate: the statement, or the event frame starting at `offset`. */
type Target = { readonly kind: 'statement' } | { readonly kind: 'events'; readonly offset: number };

interface Outcome {
  /** Every message of the run, the honest ones before and after the mutant included. */
  readonly messages: RoomMessage[];
  /** Messages and refusals of the mutant itself. */
  readonly delivered: number;
  readonly refused: number;
  readonly crash?: string;
}

/**
 * A fresh member in ROOM at the target's offset, holding the honest statement; when the statement
 * is the target, the honest post follows as a probe (a statement is installed exactly when no
 * refusal of it is reported). A bundle meets a member that delivered the post of offset 1, so a
 * post replayed in it is a replay. `warm`: the member saw the honest bundle before it joined, so a
 * mutant that keeps that root envelope skips its signature and the Merkle root alone must refuse it.
 */
function feed(s: RoomSeeds, target: Target, mutant: Uint8Array, warm = false): Outcome {
  const messages: RoomMessage[] = [];
  const notices: RoomNotice[] = [];
  const member = new RoomMember(s.serverPublic, MAX, { message: (m) => void messages.push(m), notice: (n) => void notices.push(n), recover: () => {} });
  if (warm) member.frame(s.events[2]!.frame); // refused as ERR_NOT_JOINED, its root cached
  member.joining(ROOM);
  const next = target.kind === 'statement' ? 1 : Math.min(1, target.offset);
  member.positioned({ room: ROOM, epoch: s.epoch, next, status: 0, count: 0 });
  let crash: string | undefined;
  let refused = 0;
  let delivered = 0;
  try {
    if (target.kind === 'events') member.frame(s.statement);
    if (target.kind === 'events' && target.offset === 2) member.frame(s.events[1]!.frame);
    const [n, m] = [notices.length, messages.length];
    // A client routes by isRoomFrame; the member gets every mutant here (stricter: more checks).
    isRoomFrame(mutant);
    member.frame(mutant);
    refused = notices.slice(n).filter((x) => x.type === 'refused').length;
    delivered = messages.length - m;
    if (target.kind === 'statement') member.frame(s.events[1]!.frame);
  } catch (err) {
    crash = err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  const internal = notices.find((n) => n.type === 'refused' && n.code === 'ERR_INTERNAL');
  if (internal !== undefined) crash ??= `ERR_INTERNAL refusal: ${JSON.stringify(internal)}`;
  return { messages, delivered, refused, ...(crash !== undefined ? { crash } : {}) };
}

/** Rule A: author-verified messages are honest posts, each delivered once. Returns a reason or ''. */
function authorRule(s: RoomSeeds, messages: readonly RoomMessage[]): string {
  const seen = new Set<string>();
  for (const m of messages) {
    if (m.verified !== 'author') continue;
    const t = tuple(m.room, m.keyId, m.seq, m.ts, m.payload);
    if (!s.honest.has(t)) return `forged author message ${t}`;
    if (seen.has(t)) return `author message delivered twice ${t}`;
    seen.add(t);
  }
  return '';
}

/** Rule B's oracle for one envelope's parts: header, then payload of its type, then statement rules. */
function partOk(s: RoomSeeds, protectedBytes: Uint8Array, payload: Uint8Array, contentType: string): boolean {
  try {
    const h = decodeEnvelope(encodeEnvelope(protectedBytes, payload, NO_SIGNATURE)).header;
    if (!equalBytes(h.kid, s.server.kid) || h.contentType !== contentType) return false;
    if (contentType === W.ROOM_CONTENT_TYPE) return equalBytes(W.encodeRoomEvent(W.decodeRoomEvent(payload)), payload);
    if (contentType === W.BATCH_CONTENT_TYPE) {
      const r = W.decodeBatchRoot(payload);
      return equalBytes(W.encodeBatchRoot(r.root, r.count), payload);
    }
    const st = W.decodeStatement(payload);
    importPublicKey(st.key);
    return st.room === ROOM && equalBytes(keyId(st.key), st.kid) && equalBytes(W.encodeStatement(st), payload);
  } catch {
    return false;
  }
}

type Parts = { readonly protectedBytes: Uint8Array; readonly payload: Uint8Array };

/** Signs an envelope's parts again with the server's key. */
function resign(s: RoomSeeds, p: Parts, aad: Uint8Array): Uint8Array {
  return sealWithKey(s.server, { ...p, toBeSigned: sigStructure(p.protectedBytes, aad, p.payload) }) as Uint8Array;
}

/** A bundle of `events` under a root signed again: its BatchRoot recomputed unless `batchRoot` is given. */
function rebundle(s: RoomSeeds, rootHeader: Uint8Array, events: readonly Parts[], batchRoot?: Uint8Array): { bytes: Uint8Array; rootPayload: Uint8Array } {
  const leaves = events.map((e) => leafHash(sigStructure(e.protectedBytes, AAD.event, e.payload)));
  const rootPayload = batchRoot ?? W.encodeBatchRoot(merkleTree(leaves).root, events.length);
  return { bytes: W.encodeBundle({ root: resign(s, { protectedBytes: rootHeader, payload: rootPayload }, AAD.batch), events }), rootPayload };
}

interface Mutant {
  readonly target: Target;
  readonly bytes: Uint8Array;
  /** Rule B: false when a part of the frame is malformed, so nothing may come of it. */
  readonly wellFormed: boolean;
  readonly what: string;
}

/** One structured mutant, signed again with the server's key. */
function resignedMutant(s: RoomSeeds, next: () => number): Mutant {
  const pick = next() % 4;
  if (pick === 0) {
    // The statement: its header or its payload.
    const d = decodeEnvelope(s.statement);
    const p =
      next() % 2 === 0
        ? { protectedBytes: mutate(d.protectedBytes, next), payload: d.payload }
        : { protectedBytes: d.protectedBytes, payload: mutate(d.payload, next) };
    const wellFormed = partOk(s, p.protectedBytes, p.payload, W.KEY_CONTENT_TYPE);
    return { target: { kind: 'statement' }, bytes: resign(s, p, AAD.statement), wellFormed, what: 'statement' };
  }
  if (pick === 1 || pick === 2) {
    // A single event (the announcement or the post): its header, its payload, or the author envelope.
    const seed = s.events[pick - 1]!;
    const d = decodeEnvelope(seed.frame);
    const how = next() % 3;
    const post = how === 2 && pick === 2;
    let p: Parts;
    if (how === 0) p = { protectedBytes: mutate(d.protectedBytes, next), payload: d.payload };
    else if (!post) p = { protectedBytes: d.protectedBytes, payload: mutate(d.payload, next) };
    else p = { protectedBytes: d.protectedBytes, payload: withPost(d.payload, next) };
    const wellFormed = partOk(s, p.protectedBytes, p.payload, W.ROOM_CONTENT_TYPE);
    const what = `event ${seed.offset} ${how === 0 ? 'header' : post ? 'author envelope' : 'payload'}`;
    return { target: { kind: 'events', offset: seed.offset }, bytes: resign(s, p, AAD.event), wellFormed, what };
  }
  return bundleMutant(s, next);
}

/** A post event's payload whose author envelope is mutated, then encoded again (a valid RoomEvent). */
function withPost(payload: Uint8Array, next: () => number): Uint8Array {
  const e = W.decodeRoomEvent(payload);
  if (e.body.kind !== W.KIND_POST) return payload;
  return W.encodeRoomEvent({ room: e.room, body: { kind: W.KIND_POST, post: mutate(e.body.post, next) } });
}

function bundleMutant(s: RoomSeeds, next: () => number): Mutant {
  const seed = s.events[2]!;
  const b = W.decodeBundle(seed.frame);
  const root = decodeEnvelope(b.root);
  const events: Parts[] = b.events.map((e) => ({ protectedBytes: e.protectedBytes, payload: e.payload }));
  const i = next() % events.length;
  const e = events[i]!;
  const how = next() % 6;
  let batchRoot: Uint8Array | undefined;
  let rootHeader = root.protectedBytes;
  if (how === 0) events[i] = { protectedBytes: mutate(e.protectedBytes, next), payload: e.payload };
  else if (how === 1) events[i] = { protectedBytes: e.protectedBytes, payload: mutate(e.payload, next) };
  else if (how === 2) events[i] = { protectedBytes: e.protectedBytes, payload: withPost(e.payload, next) };
  else if (how === 3) {
    // The bundle's shape, under a root that matches it: drop, repeat or swap events, or replay the
    // post of offset 1 in place of event i, renumbered to its offset.
    const j = next() % events.length;
    const op = next() % 4;
    if (op === 0 && events.length > 1) events.splice(i, 1);
    else if (op === 1) events.splice(j, 0, e);
    else if (op === 2) [events[i], events[j]] = [events[j]!, e];
    else {
      const p1 = decodeEnvelope(s.events[1]!.frame);
      events[i] = { protectedBytes: encodeProtectedHeader({ ...p1.header, seq: seed.offset + i }), payload: p1.payload };
    }
  } else if (how === 4) batchRoot = mutate(root.payload, next);
  else rootHeader = mutate(root.protectedBytes, next);
  const { bytes, rootPayload } = rebundle(s, rootHeader, events, batchRoot);
  // With the BatchRoot as the target, the events are the honest ones: the root must still name
  // them (count and hash, one encoding), under a well-formed header.
  const rootOk = partOk(s, rootHeader, rootPayload, W.BATCH_CONTENT_TYPE) && (batchRoot === undefined || equalBytes(batchRoot, root.payload));
  const wellFormed = rootOk && events.every((p) => partOk(s, p.protectedBytes, p.payload, W.ROOM_CONTENT_TYPE));
  const what = `bundle ${['event header', 'event payload', 'author envelope', 'shape', 'BatchRoot', 'root header'][how]} (event ${i})`;
  return { target: { kind: 'events', offset: seed.offset }, bytes, wellFormed, what };
}

/** Rule B, given the member's outcome: a malformed frame delivers nothing, installs nothing. */
function malformedTookEffect(m: Mutant, o: Outcome): boolean {
  if (m.wellFormed) return false;
  return m.target.kind === 'statement' ? o.refused === 0 : o.delivered > 0;
}

/** Control: each honest frame does what it should, so "0 accepted" means something. */
function control(s: RoomSeeds): void {
  const want: [Target, Uint8Array, number][] = [
    [{ kind: 'statement' }, s.statement, 1],
    ...s.events.map((e): [Target, Uint8Array, number] => [{ kind: 'events', offset: e.offset }, e.frame, e.count]),
  ];
  for (const [target, frame, count] of want) {
    for (const warm of [false, true]) {
      const o = feed(s, target, frame, warm);
      const delivered = target.kind === 'statement' ? o.messages.length : o.delivered;
      if (o.crash !== undefined || o.refused > 0 || delivered !== count || authorRule(s, o.messages) !== '') {
        throw new Error(`room fuzzer: an honest frame (${JSON.stringify(target)}) did not deliver ${count} message(s): ${o.crash ?? delivered}`);
      }
    }
  }
  // Signing a seed's parts again gives its very bytes (Ed25519 is deterministic): the re-signed
  // mutants differ from honest frames only where they were mutated.
  const d = decodeEnvelope(s.statement);
  const b = W.decodeBundle(s.events[2]!.frame);
  if (
    !equalBytes(resign(s, d, AAD.statement), s.statement) ||
    !equalBytes(rebundle(s, decodeEnvelope(b.root).protectedBytes, b.events).bytes, s.events[2]!.frame)
  ) {
    throw new Error('room fuzzer: re-signing an honest frame changed its bytes');
  }
}

/**
 * `count` mutants of room frames fed to fresh members, raw (no key) or re-signed with the server's
 * key; deterministic for a seed. Accepted and crashed as in the header comment.
 */
export async function fuzzRoomFrames(count: number, seed: number, mode: 'raw' | 'resigned'): Promise<RoomFuzzResult> {
  const s = await roomSeeds(seed);
  const next = rng(seed ^ (mode === 'raw' ? 0x0f00 : 0x5161));
  const t0 = performance.now();
  control(s);
  const originals: { target: Target; frame: Uint8Array }[] = [
    { target: { kind: 'statement' }, frame: s.statement },
    ...s.events.map((e) => ({ target: { kind: 'events', offset: e.offset } as Target, frame: e.frame })),
  ];
  const honestFrames = new Set(originals.map((o) => toHex(o.frame)));
  let tried = 0;
  let accepted = 0;
  let crashed = 0;
  let finding: string | undefined;
  while (tried < count) {
    let m: Mutant;
    if (mode === 'raw') {
      const o = originals[next() % originals.length]!;
      m = { target: o.target, bytes: mutate(o.frame, next), wellFormed: false, what: `raw ${JSON.stringify(o.target)}` };
    } else {
      m = resignedMutant(s, next);
    }
    if (honestFrames.has(toHex(m.bytes))) continue;
    tried++;
    // Half the bundle mutants meet a checker that verified the honest root before (warm).
    const o = feed(s, m.target, m.bytes, m.target.kind === 'events' && m.target.offset === 2 && tried % 2 === 0);
    const reason = o.crash !== undefined ? '' : authorRule(s, o.messages) || (malformedTookEffect(m, o) ? 'a malformed frame took effect' : '');
    if (o.crash !== undefined) crashed++;
    else if (reason !== '') accepted++;
    if ((o.crash !== undefined || reason !== '') && finding === undefined) {
      finding = `${mode} seed ${seed} mutant #${tried} (${m.what}): ${o.crash ?? reason}\n  hex ${toHex(m.bytes)}`;
    }
  }
  return { tried, accepted, crashed, ms: performance.now() - t0, ...(finding !== undefined ? { finding } : {}) };
}
