// Room-stream vectors for the recovery bound (spec/rooms.md [ROOM-6.9]): an offset whose event the
// member refuses at every recovery is skipped after the third, not asked for forever. Frames come
// from the room vectors' own builders (rooms.ts), never from src/.
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { enc, hex } from './ref.js';
import { refs } from './refs.js';
import { EPOCH, SERVER, announceBody, event } from './rooms.js';

type Ev = Record<string, unknown>;
const ok = (s: { op: string; [k: string]: unknown }, events?: Ev[]): OpStep => ({ ...s, ...(events ? { expect: { events } } : {}), result: 'valid' });
const frame = (f: Uint8Array, events: Ev[]): OpStep => ok({ op: 'room.frame', frame: hex(f) }, events);
const position = (next: number, status: number, count: number, events: Ev[]): OpStep =>
  ok({ op: 'room.position', room: 'lobby', epoch: hex(EPOCH), next, status, count }, events);
const said = (next: number, status: string, count: number): Ev => ({ position: { room: 'lobby', status, count, next } });
const announced = (offset: number, text: string): Ev => ({
  deliver: { room: 'lobby', offset, verified: 'server', identity: 'server', seq: offset, payload: hex(enc.encode(text)) },
});
const recover = (next: number): Ev => ({ recover: { room: 'lobby', epoch: hex(EPOCH), next } });
const badSignature: Ev = { refused: 'ERR_BAD_SIGNATURE', room: null };

export function roomRecovery(): VectorFile {
  const b = new FileBuilder<StepsGroup>('sealwire-room-recovery-v1', 'steps_schema.json', [
    'The recovery bound of spec/rooms.md [ROOM-6.9], with the ops and events of room_streams.json.',
  ]);
  const g = b.group({ type: 'Steps' });
  const e0 = event(0, announceBody('lobby', 'zero')).envelope;
  const e2 = event(2, announceBody('lobby', 'two')).envelope;
  const e3 = event(3, announceBody('lobby', 'three')).envelope;
  // Offset 1 as history keeps sending it: its server signature never verifies.
  const bad1 = event(1, announceBody('lobby', 'one')).envelope.map((x, i, a) => (i === a.length - 1 ? x ^ 1 : x));
  // One answer to a recovery from 1: the Position, the refused event, then the intact one after it.
  const round = (then: Ev[]): OpStep[] => [position(3, 1, 2, [said(3, 'recovered', 2)]), frame(bad1, [badSignature]), frame(e2, then)];
  const steps: OpStep[] = [
    ok({ op: 'room.reset', serverKey: hex(SERVER.publicKey), rooms: ['lobby'] }),
    position(0, 0, 0, [said(0, 'current', 0)]),
    frame(e0, [announced(0, 'zero')]),
    frame(bad1, [badSignature]),
    frame(e2, [recover(1)]),
    // Each answer is refused at 1 again and finds the gap at 2: the second and third recoveries.
    ...round([recover(1)]),
    ...round([recover(1)]),
    ...round([said(2, 'lost', 0), announced(2, 'two')]),
    frame(e3, [announced(3, 'three')]),
  ];
  b.add(g, {
    comment: 'an offset refused at every recovery: asked for 3 times in a row, then skipped (notice lost) to the next event accepted',
    flags: ['RoomStream'],
    specRefs: refs('roomRecoveryBound', 'roomOffset'),
    steps,
    result: 'valid',
  });
  return b.build();
}
