// Room transcripts checked offline (spec/rooms.md [ROOM-9.1]): frames built as in room_streams.json,
// the verdict of each record from the rule: a frame as a member checks it under the keys file's
// server key, a post under the statement the file held earlier, two events at one offset an
// equivocation, a statement contradicting the keys file a mismatch, missing offsets no failure.
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { envelope } from './envelope.js';
import { enc, hex } from './ref.js';
import { refs, type RefName } from './refs.js';
import { ALICE, EPOCH, OTHER, SERVER, announceBody, event, postBody, sealPost, statement } from './rooms.js';

type B = FileBuilder<StepsGroup>;
type Key = { publicKey: string; identity: string };
type Row = { verdict: string; identity: string | null; room: string | null; offset: number | null };

const SERVER_KEY: Key = { publicKey: hex(SERVER.publicKey), identity: 'server' };
const ALICE_KEY: Key = { publicKey: hex(ALICE.publicKey), identity: 'alice' };
const row = (verdict: string, identity: string | null, offset: number | null, room: string | null = 'lobby'): Row => ({ verdict, identity, room, offset });
const span = (first: number, last: number, missing: number[] = []) => ({ room: 'lobby', epoch: hex(EPOCH), first, last, missing });

function add(
  b: B,
  g: StepsGroup,
  comment: string,
  keys: Key[],
  records: Uint8Array[],
  rows: Row[],
  spans: ReturnType<typeof span>[],
  r: RefName[] = ['roomTranscript'],
): void {
  const step: OpStep = { op: 'room.transcript', keys, records: records.map(hex), expect: { records: rows, spans }, result: 'valid' };
  b.add(g, { comment, flags: ['RoomTranscript'], specRefs: refs(...r), steps: [step], result: 'valid' });
}

export function roomTranscripts(): VectorFile {
  const b = new FileBuilder<StepsGroup>('sealwire-rooms-v1', 'steps_schema.json', [
    'Room transcripts (spec/rooms.md [ROOM-9.1]): "room.transcript" checks `records` (room frames, in',
    'file order) with the keys file `keys` ({publicKey, identity}) as the offline verifier does, and',
    'answers {"ok":true,"records":[{verdict,identity,room,offset}],"spans":[{room,epoch,first,last,missing}]}:',
    'one row per event (per statement), `verdict` "ok" or the code; `identity` who the verified words are',
    'from (null when not verified), `offset` null for a statement; spans list the offsets a room and epoch',
    'cover and those the file does not hold (not a failure).',
  ]);
  const g = b.group({ type: 'Steps' });
  const st = statement();
  const hi = event(0, postBody('lobby', sealPost({ seq: 0, text: 'hi' }).envelope)).envelope;
  const welcome = event(1, announceBody('lobby', 'welcome')).envelope;
  const otherHi = event(0, postBody('lobby', sealPost({ seq: 1, text: 'not what was said' }).envelope)).envelope;
  const s = sealPost({ seq: 0, text: 'hi' });
  const rewritten = event(
    0,
    postBody('lobby', envelope({ protectedBytes: s.protectedBytes, payload: enc.encode('words alice never wrote'), signature: s.signature })),
  ).envelope;

  add(
    b,
    g,
    'a statement, a post and an announcement: each verified, the post from the identity the statement names',
    [SERVER_KEY],
    [st, hi, welcome],
    [row('ok', 'alice', null), row('ok', 'alice', 0), row('ok', 'server', 1)],
    [span(0, 1)],
  );
  add(
    b,
    g,
    'the same frame twice (a resend) is the same event, not two histories',
    [SERVER_KEY],
    [st, hi, hi],
    [row('ok', 'alice', null), row('ok', 'alice', 0), row('ok', 'alice', 0)],
    [span(0, 0)],
  );
  add(
    b,
    g,
    'two different verified events at one offset of one room and epoch are ERR_EQUIVOCATION',
    [SERVER_KEY],
    [st, hi, otherHi],
    [row('ok', 'alice', null), row('ok', 'alice', 0), row('ERR_EQUIVOCATION', 'alice', 0)],
    [span(0, 0)],
  );
  add(
    b,
    g,
    'a post whose statement the file does not hold earlier is ERR_UNKNOWN_KEY',
    [SERVER_KEY],
    [hi, st],
    [row('ERR_UNKNOWN_KEY', null, 0), row('ok', 'alice', null)],
    [span(0, 0)],
  );
  add(
    b,
    g,
    "an author's words rewritten under a valid server signature are ERR_BAD_SIGNATURE",
    [SERVER_KEY],
    [st, rewritten],
    [row('ok', 'alice', null), row('ERR_BAD_SIGNATURE', null, 0)],
    [span(0, 0)],
  );
  add(
    b,
    g,
    'a statement the keys file contradicts (alice is another key there) is ERR_KEY_MISMATCH, and its posts are unknown',
    [SERVER_KEY, { publicKey: hex(OTHER.publicKey), identity: 'alice' }],
    [st, hi],
    [row('ERR_KEY_MISMATCH', 'alice', null), row('ERR_UNKNOWN_KEY', null, 0)],
    [span(0, 0)],
  );
  add(
    b,
    g,
    'a statement the keys file confirms is verified',
    [SERVER_KEY, ALICE_KEY],
    [st, hi],
    [row('ok', 'alice', null), row('ok', 'alice', 0)],
    [span(0, 0)],
  );
  add(
    b,
    g,
    'a partial transcript: the offset it does not hold is listed, and is not a failure',
    [SERVER_KEY],
    [st, hi, event(2, announceBody('lobby', 'later')).envelope],
    [row('ok', 'alice', null), row('ok', 'alice', 0), row('ok', 'server', 2)],
    [span(0, 2, [1])],
  );
  add(
    b,
    g,
    'frames of a server the keys file does not hold are ERR_UNKNOWN_KEY',
    [ALICE_KEY],
    [st, hi],
    [row('ERR_UNKNOWN_KEY', null, null, null), row('ERR_UNKNOWN_KEY', null, null, null)],
    [],
  );
  return b.build();
}
