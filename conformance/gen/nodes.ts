// Node-set vectors (spec/nodes.md): a holder of one operator key fed sets in order, the key it
// resolves for a kid or a hello, and a member checking room frames of several nodes under the set
// it holds. Sets and frames are built from the spec with the generator's own CBOR and signer.
import { createHash } from 'node:crypto';
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { arr, bstr, mapRaw, tstr, uint, type Bytes } from './cbor.js';
import { Signer, entries, envelope, sigStructure } from './envelope.js';
import { cat, enc, hex, seed, signRef } from './ref.js';
import { refs, type RefName } from './refs.js';

const NODES_CT = 'application/vnd.sealwire.nodes+cbor';
const ROOM_CT = 'application/vnd.sealwire.room+cbor';
const BATCH_CT = 'application/vnd.sealwire.batch+cbor';
const TS = 1_700_000_000_000;
const HOUR = 3_600_000;
const END = TS + 24 * HOUR;

const OPERATOR = new Signer(seed('nodes operator'));
const A = new Signer(seed('nodes node a'));
const B = new Signer(seed('nodes node b'));
const C = new Signer(seed('nodes node c'));
const STRANGER = new Signer(seed('nodes stranger'));
const SET_STREAM = seed('nodes set stream').subarray(0, 16);
const EPOCH = seed('nodes room epoch').subarray(0, 16);

/** "sealwire/1" || marker [|| role] ([NODE-1.1], [ROOM-2.1]). */
const aadOf = (...bytes: number[]): Bytes => cat(enc.encode('sealwire/1'), Uint8Array.of(...bytes));
const NODES_AAD = aadOf(3);

function sealWith(s: Signer, h: { ct: string; seq: number; ts: number; stream: Bytes; kid?: Bytes }, payload: Bytes, externalAad: Bytes) {
  const protectedBytes = mapRaw(entries({ ...h, kid: h.kid ?? s.kid }));
  const toBeSigned = sigStructure(protectedBytes, externalAad, payload);
  return { protectedBytes, payload, toBeSigned, envelope: envelope({ protectedBytes, payload, signature: signRef(s.secretKey, toBeSigned) }) };
}

type Entry = [Signer | Bytes, number?, number?];
const entry = ([k, nb, na]: Entry): Bytes => arr(bstr(k instanceof Uint8Array ? k : k.publicKey), uint(nb ?? 0), uint(na ?? END));

/** NodeSet = [service, version, not_after, [+ [key, not_before, not_after]]] ([NODE-1.2]). */
const payloadOf = (version: number, nodes: Entry[], o: { service?: string; notAfter?: number } = {}): Bytes =>
  arr(tstr(o.service ?? 'chat'), uint(version), uint(o.notAfter ?? END), arr(...nodes.map(entry)));

function set(
  version: number,
  nodes: Entry[],
  o: { service?: string; notAfter?: number; by?: Signer; kid?: Bytes; ct?: string; aad?: Bytes; payload?: Bytes } = {},
): Bytes {
  const payload = o.payload ?? payloadOf(version, nodes, o);
  const h = { ct: o.ct ?? NODES_CT, seq: version, ts: TS, stream: SET_STREAM, ...(o.kid ? { kid: o.kid } : {}) };
  return sealWith(o.by ?? OPERATOR, h, payload, o.aad ?? NODES_AAD).envelope;
}

// --- steps --------------------------------------------------------------------------------------
type B = FileBuilder<StepsGroup>;
const ok = (s: { op: string; [k: string]: unknown }, expect?: Record<string, unknown>): OpStep => ({ ...s, ...(expect ? { expect } : {}), result: 'valid' });
const fail = (code: string, s: { op: string; [k: string]: unknown }): OpStep => ({ ...s, result: 'invalid', code });
const reset = ok({ op: 'nodes.reset', operator: hex(OPERATOR.publicKey), service: 'chat' });
const accept = (s: Bytes, version: number, changed = true, now = TS): OpStep => ok({ op: 'nodes.accept', set: hex(s), now }, { changed, version });
const refuse = (code: string, s: Bytes, now = TS): OpStep => fail(code, { op: 'nodes.accept', set: hex(s), now });
const resolve = (n: Signer, ts = TS): OpStep => ok({ op: 'nodes.resolve', kid: hex(n.kid), ts }, { key: hex(n.publicKey) });
const unresolved = (code: string, n: Signer, ts = TS): OpStep => fail(code, { op: 'nodes.resolve', kid: hex(n.kid), ts });
const hello = (n: Signer, code?: string, now = TS): OpStep =>
  code === undefined
    ? ok({ op: 'nodes.hello', key: hex(n.publicKey), now }, { key: hex(n.publicKey) })
    : fail(code, { op: 'nodes.hello', key: hex(n.publicKey), now });

function add(b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], steps: OpStep[]): void {
  const last = steps[steps.length - 1]!;
  b.add(g, { comment, flags, specRefs: refs(...r), steps, result: last.result, ...(last.code !== undefined ? { code: last.code } : {}) });
}

/** A set padded (with a fifth payload member, so malformed) to exactly `size` bytes. */
function padded(size: number): Bytes {
  for (let n = Math.max(0, size - 400); n < size; n++) {
    const s = set(1, [], { payload: arr(tstr('chat'), uint(1), uint(END), arr(entry([A])), bstr(new Uint8Array(n))) });
    if (s.length === size) return s;
    if (s.length > size) break;
  }
  throw new Error(`cannot pad a node set to ${size} bytes`);
}

function checks(b: B, g: StepsGroup): void {
  const v1 = set(1, [[A], [B]]);
  const v2 = set(2, [[B], [C]]);
  add(
    b,
    g,
    'a set is held; the same bytes again change nothing',
    ['NodeSet'],
    ['nodeChecks', 'nodeHeld', 'nodePayload'],
    [reset, accept(v1, 1), accept(v1, 1, false)],
  );
  add(
    b,
    g,
    'a newer set replaces the held one; the older one is then refused',
    ['NodeSet', 'NodeRollback'],
    ['nodeChecks', 'nodeHeld'],
    [reset, accept(v1, 1), accept(v2, 2), refuse('ERR_REPLAY', v1)],
  );
  add(
    b,
    g,
    'a second set with the held version: the operator signed two',
    ['NodeSet', 'NodeRollback'],
    ['nodeChecks'],
    [reset, accept(v1, 1), refuse('ERR_REPLAY', set(1, [[A]]))],
  );
  add(
    b,
    g,
    'a set at its not_after is in force; one ms later it has expired',
    ['NodeSet', 'NodeRollback', 'Boundary'],
    ['nodeChecks'],
    [reset, accept(v1, 1, true, END), refuse('ERR_KEY_EXPIRED', v2, END + 1)],
  );
  add(
    b,
    g,
    'a set signed by another key than the operator’s',
    ['NodeForgery'],
    ['nodeChecks'],
    [reset, refuse('ERR_SERVER_IDENTITY', set(1, [[A]], { by: STRANGER }))],
  );
  add(
    b,
    g,
    'the operator’s kid over another key’s signature',
    ['NodeForgery'],
    ['nodeChecks'],
    [reset, refuse('ERR_BAD_SIGNATURE', set(1, [[A]], { by: STRANGER, kid: OPERATOR.kid }))],
  );
  add(
    b,
    g,
    'the operator’s signature under a session envelope’s external_aad',
    ['NodeForgery'],
    ['nodeAad', 'nodeChecks'],
    [reset, refuse('ERR_BAD_SIGNATURE', set(1, [[A]], { aad: aadOf(0) }))],
  );
  add(
    b,
    g,
    'the operator’s signature under a room event’s external_aad',
    ['NodeForgery'],
    ['nodeAad', 'nodeChecks'],
    [reset, refuse('ERR_BAD_SIGNATURE', set(1, [[A]], { aad: aadOf(2, 2) }))],
  );
  add(b, g, 'a room event’s content type', ['NodeForgery'], ['nodeChecks'], [reset, refuse('ERR_HEADER_VALUE', set(1, [[A]], { ct: ROOM_CT }))]);
  add(
    b,
    g,
    'a set for another service of the same operator',
    ['NodeForgery'],
    ['nodeChecks'],
    [reset, refuse('ERR_SERVER_IDENTITY', set(1, [[A]], { service: 'mail' }))],
  );
  add(
    b,
    g,
    'order: a wrong content type is reported before a foreign kid',
    ['NodeForgery', 'CheckOrder'],
    ['nodeChecks'],
    [reset, refuse('ERR_HEADER_VALUE', set(1, [[A]], { ct: ROOM_CT, by: STRANGER }))],
  );
  add(
    b,
    g,
    'order: a bad signature is reported before another service',
    ['NodeForgery', 'CheckOrder'],
    ['nodeChecks'],
    [reset, refuse('ERR_BAD_SIGNATURE', set(1, [[A]], { service: 'mail', by: STRANGER, kid: OPERATOR.kid }))],
  );
  add(
    b,
    g,
    'order: an older set that has also expired is reported as older',
    ['NodeRollback', 'CheckOrder'],
    ['nodeChecks'],
    [reset, accept(v2, 2), refuse('ERR_REPLAY', v1, END + 1)],
  );
  const malformed = (comment: string, payload: Bytes) =>
    add(b, g, comment, ['NodeSet', 'WrongStructure'], ['nodePayload'], [reset, refuse('ERR_MESSAGE_MALFORMED', set(1, [], { payload }))]);
  malformed('a payload of 3 members', arr(tstr('chat'), uint(1), uint(END)));
  malformed('no node', payloadOf(1, []));
  malformed(
    '65 nodes',
    payloadOf(
      1,
      Array.from({ length: 65 }, (_, i): Entry => [new Signer(seed(`nodes many ${i}`))]),
    ),
  );
  malformed('a key listed twice', payloadOf(1, [[A], [B], [A, 5]]));
  malformed('an entry whose not_after is before its not_before', payloadOf(1, [[A, TS + 1, TS]]));
  malformed('an empty service name', payloadOf(1, [[A]], { service: '' }));
  malformed('a key of 31 bytes', arr(tstr('chat'), uint(1), uint(END), arr(arr(bstr(A.publicKey.subarray(1)), uint(0), uint(END)))));
  malformed('trailing bytes after the payload', cat(payloadOf(1, [[A]]), Uint8Array.of(0)));
  // The identity point: 01 then zeros, small order (spec/verification.md §2).
  const identity = new Uint8Array(32);
  identity[0] = 1;
  add(b, g, 'a node key of small order', ['NodeSet', 'NodeForgery'], ['nodePayload'], [reset, refuse('ERR_BAD_KEY', set(1, [[A], [identity]]))]);
  add(
    b,
    g,
    'a set of exactly 4,096 bytes is decoded (and refused for its shape)',
    ['NodeSet', 'TooLarge', 'Boundary'],
    ['nodeSize', 'nodeChecks'],
    [reset, refuse('ERR_MESSAGE_MALFORMED', padded(4096))],
  );
  add(
    b,
    g,
    'a set of 4,097 bytes is refused before decoding',
    ['NodeSet', 'TooLarge', 'Boundary'],
    ['nodeSize', 'nodeChecks'],
    [reset, refuse('ERR_TOO_LARGE', padded(4097))],
  );
}

function keys(b: B, g: StepsGroup): void {
  const v1 = set(1, [[A, TS, TS + HOUR], [B]], { notAfter: TS + 2 * HOUR });
  add(
    b,
    g,
    'a listed node resolves inside its window',
    ['NodeSet'],
    ['nodeResolve'],
    [reset, accept(v1, 1), resolve(A), resolve(A, TS + HOUR), resolve(B, TS + 2 * HOUR)],
  );
  add(
    b,
    g,
    'before any set, and for a kid the set does not list',
    ['NodeSet'],
    ['nodeResolve'],
    [reset, unresolved('ERR_UNKNOWN_KEY', A), accept(v1, 1), unresolved('ERR_UNKNOWN_KEY', C)],
  );
  add(
    b,
    g,
    'outside the entry’s window',
    ['NodeSet', 'Boundary'],
    ['nodeResolve'],
    [reset, accept(v1, 1), unresolved('ERR_KEY_NOT_YET_VALID', A, TS - 1), unresolved('ERR_KEY_EXPIRED', A, TS + HOUR + 1)],
  );
  add(
    b,
    g,
    'no node key outlives its set: after the set’s not_after',
    ['NodeSet', 'NodeRollback', 'Boundary'],
    ['nodeResolve'],
    [reset, accept(v1, 1), unresolved('ERR_KEY_EXPIRED', B, TS + 2 * HOUR + 1)],
  );
  const v2 = set(2, [[B], [C]]);
  add(
    b,
    g,
    'a node a newer set drops is revoked, and stays revoked when a later set lists it again',
    ['NodeSet', 'NodeRollback'],
    ['nodeRevoked', 'nodeResolve'],
    [reset, accept(v1, 1), accept(v2, 2), unresolved('ERR_KEY_REVOKED', A), resolve(C), accept(set(3, [[A], [B], [C]]), 3), unresolved('ERR_KEY_REVOKED', A)],
  );
  add(
    b,
    g,
    'a hello’s key: listed, never listed, revoked, not yet valid',
    ['NodeSet', 'NodeRollback'],
    ['nodeHello', 'nodeResolve'],
    [
      reset,
      hello(A, 'ERR_SERVER_IDENTITY'),
      accept(v1, 1),
      hello(A),
      hello(C, 'ERR_SERVER_IDENTITY'),
      hello(A, 'ERR_KEY_NOT_YET_VALID', TS - 1),
      accept(v2, 2),
      hello(A, 'ERR_KEY_REVOKED'),
    ],
  );
}

// --- room frames of several nodes (spec/nodes.md §5) ---------------------------------------------
const sha256 = (x: Bytes): Bytes => new Uint8Array(createHash('sha256').update(x).digest());
const announce = (text: string): Bytes => arr(tstr('lobby'), uint(4), tstr('send'), tstr('server'), bstr(enc.encode(text)));
const event = (by: Signer, offset: number, text: string) =>
  sealWith(by, { ct: ROOM_CT, seq: offset, ts: TS + 1000 + offset, stream: EPOCH }, announce(text), aadOf(2, 2));

/** Two events under one root signed by `root` ([ROOM-5.1]: leaves 00 || Sig_structure, one interior node). */
function bundle(root: Signer, events: ReturnType<typeof event>[]): Bytes {
  const [l0, l1] = events.map((e) => sha256(cat(Uint8Array.of(0), e.toBeSigned)));
  const mth = sha256(cat(Uint8Array.of(1), l0!, l1!));
  const rootEnv = sealWith(root, { ct: BATCH_CT, seq: 0, ts: TS + 2000, stream: SET_STREAM }, arr(bstr(mth), uint(2)), aadOf(2, 4)).envelope;
  return arr(bstr(rootEnv), arr(...events.map((e) => arr(bstr(e.protectedBytes), bstr(e.payload)))));
}

function rooms(b: B, g: StepsGroup): void {
  const deliver = (offset: number, text: string): Record<string, unknown> => ({
    deliver: { room: 'lobby', offset, verified: 'server', identity: 'server', seq: offset, payload: hex(enc.encode(text)) },
  });
  const frame = (f: Bytes, events: Record<string, unknown>[]): OpStep => ok({ op: 'room.frame', frame: hex(f) }, { events });
  const open = [
    reset,
    accept(set(1, [[A], [B]]), 1),
    ok({ op: 'room.reset', nodes: true, rooms: ['lobby'] }),
    ok({ op: 'room.position', room: 'lobby', epoch: hex(EPOCH), next: 0, status: 0, count: 0 }),
  ];
  add(
    b,
    g,
    'a member accepts the frames of every node of the set, in one stream',
    ['NodeSet', 'RoomStream'],
    ['nodeRoomKid'],
    [
      ...open,
      frame(event(A, 0, 'from a').envelope, [deliver(0, 'from a')]),
      frame(event(B, 1, 'from b').envelope, [deliver(1, 'from b')]),
      frame(bundle(A, [event(A, 2, 'two'), event(A, 3, 'three')]), [deliver(2, 'two'), deliver(3, 'three')]),
    ],
  );
  add(
    b,
    g,
    'a frame of a node the set does not list',
    ['NodeSet', 'RoomForgery'],
    ['nodeRoomKid'],
    [...open, frame(event(C, 0, 'from c').envelope, [{ refused: 'ERR_UNKNOWN_KEY', room: null }])],
  );
  add(
    b,
    g,
    'a bundle whose root is node A’s and whose event names node B',
    ['NodeSet', 'RoomForgery', 'RoomBatch'],
    ['nodeRoomKid'],
    [...open, frame(bundle(A, [event(A, 0, 'zero'), event(B, 1, 'one')]), [{ refused: 'ERR_SESSION_KEY', room: null }])],
  );
  add(
    b,
    g,
    'after a newer set drops node A, its frames are refused and B’s still accepted',
    ['NodeSet', 'NodeRollback'],
    ['nodeRoomHeld', 'nodeRevoked'],
    [
      ...open,
      frame(event(A, 0, 'before').envelope, [deliver(0, 'before')]),
      accept(set(2, [[B]]), 2),
      frame(event(A, 1, 'after').envelope, [{ refused: 'ERR_KEY_REVOKED', room: null }]),
      frame(event(B, 1, 'from b').envelope, [deliver(1, 'from b')]),
    ],
  );
}

export function nodes(): VectorFile {
  const b = new FileBuilder<StepsGroup>('sealwire-nodes-v1', 'steps_schema.json', [
    'Node sets (spec/nodes.md). "nodes.reset" makes a holder of `operator` for `service`, holding no set;',
    '"nodes.accept" checks `set` at the holder clock `now` and answers {"ok":true,"changed","version"};',
    '"nodes.resolve" answers the held set\'s {"key"} for `kid` at `ts`; "nodes.hello" the same for a hello\'s',
    '`key` at `now` ([NODE-3.2]). "room.reset" with "nodes":true makes a member that checks room frames',
    'under the holder (then as in room_streams.json).',
  ]);
  checks(b, b.group({ type: 'Steps' }));
  keys(b, b.group({ type: 'Steps' }));
  rooms(b, b.group({ type: 'Steps' }));
  return b.build();
}
