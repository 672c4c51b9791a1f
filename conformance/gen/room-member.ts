// Room-stream vectors of a member (spec/rooms.md): what it accepts, delivers, refuses or recovers,
// frame by frame, with frames from room-frames.ts.
import type { StepsGroup } from '../lib/format.js';
import { arr, tstr, uint } from './cbor.js';
import { envelope } from './envelope.js';
import { enc, hex } from './ref.js';
import {
  ALICE,
  EPOCH,
  EPOCH2,
  OTHER,
  TS,
  add,
  announceBody,
  deliver,
  event as ev,
  frame,
  ok,
  position,
  post,
  postBody,
  refused,
  reset,
  sealPost,
  statement,
  type B,
  type Ev,
} from './room-frames.js';

const gapOf = (missing: number): Ev => ({ gap: { room: 'lobby', keyId: hex(ALICE.kid), missing } });

export function member(b: B, g: StepsGroup): void {
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
