// The room vectors' frame builders (spec/rooms.md): author posts, server-signed events and key
// statements sealed with the generator's own CBOR and signer, never with src/; and the step helpers
// the room-stream files share. Other room generators build their frames from here too.
import type { OpStep, StepsGroup } from '../lib/format.js';
import type { FileBuilder } from './build.js';
import { arr, bstr, mapRaw, tstr, uint, type Bytes } from './cbor.js';
import { Signer, entries, envelope, sigStructure } from './envelope.js';
import { cat, enc, hex, seed, signRef } from './ref.js';
import { refs, type RefName } from './refs.js';

export const ROOM_CT = 'application/vnd.sealwire.room+cbor';
const KEY_CT = 'application/vnd.sealwire.key+cbor';
export const TS = 1_700_000_000_000;

export const SERVER = new Signer(seed('rooms server'));
export const ALICE = new Signer(seed('rooms alice'));
export const OTHER = new Signer(seed('rooms other key'));
export const EPOCH = seed('rooms epoch lobby').subarray(0, 16);
export const EPOCH2 = seed('rooms second epoch').subarray(0, 16);
const AUTHOR_STREAM = seed('rooms alice author stream').subarray(0, 16);
const STATEMENT_STREAM = seed('rooms statement stream').subarray(0, 16);

/** "sealwire/1" || 02 || role [|| epoch || room] ([ROOM-2.1], [ROOM-3.1]). */
export const aad = (role: number, epoch?: Bytes, room?: string): Bytes =>
  cat(enc.encode('sealwire/1'), Uint8Array.of(2, role), ...(epoch === undefined ? [] : [epoch, enc.encode(room ?? '')]));

/** A v1 envelope whose external_aad is a room role's: the header and signature rules are the envelope's. */
export function sealWith(s: Signer, h: { ct: string | number; seq: number; ts: number; stream: Bytes }, payload: Bytes, externalAad: Bytes) {
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

// --- steps --------------------------------------------------------------------------------------
export type B = FileBuilder<StepsGroup>;
export type Ev = Record<string, unknown>;
export const ok = (s: { op: string; [k: string]: unknown }, events?: Ev[]): OpStep => ({ ...s, ...(events ? { expect: { events } } : {}), result: 'valid' });
export const fail = (code: string, s: { op: string; [k: string]: unknown }): OpStep => ({ ...s, result: 'invalid', code });
export const reset = (rooms: string[] = ['lobby']): OpStep => ok({ op: 'room.reset', serverKey: hex(SERVER.publicKey), rooms });
export const position = (next: number, status = 0, count = 0, room = 'lobby', epoch = EPOCH): OpStep =>
  ok(
    { op: 'room.position', room, epoch: hex(epoch), next, status, count },
    status < 3 ? [{ position: { room, status: ['current', 'recovered', 'lost'][status], count, next } }] : undefined,
  );
export const frame = (f: Bytes, events: Ev[]): OpStep => ok({ op: 'room.frame', frame: hex(f) }, events);
export const deliver = (offset: number, text: string, o: { seq?: number; verified?: string; identity?: string } = {}): Ev => ({
  deliver: { room: 'lobby', offset, verified: o.verified ?? 'author', identity: o.identity ?? 'alice', seq: o.seq ?? offset, payload: hex(enc.encode(text)) },
});
export const refused = (code: string, offset?: number, room: string | null = 'lobby'): Ev => ({
  refused: code,
  room,
  ...(offset !== undefined ? { offset } : {}),
});

export function add(b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], steps: OpStep[]): void {
  const last = steps[steps.length - 1]!;
  b.add(g, { comment, flags, specRefs: refs(...r), steps, result: last.result, ...(last.code !== undefined ? { code: last.code } : {}) });
}
