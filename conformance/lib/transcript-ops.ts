// `room.transcript`: an offline verifier's verdicts on a room transcript (spec/rooms.md [ROOM-9.1]),
// each record checked as a member checks a frame, each post under the statement the file holds.
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { KeyRing } from '../../src/keys/keyring.js';
import { RoomTranscript } from '../../src/cli/verify-room.js';
import { RequestError, hex, type Answer, type Json, type Request } from './fields.js';

/** `keys` is the auditor's keys file ({publicKey, identity}); `records` the transcript's frames in order. */
export function roomTranscript(req: Request, backend: Ed25519Backend): Answer {
  const keys = req['keys'];
  const records = req['records'];
  if (!Array.isArray(keys) || !keys.every((k) => k !== null && typeof k === 'object' && !Array.isArray(k)))
    throw new RequestError('"keys" expected an array of objects');
  if (!Array.isArray(records) || !records.every((r) => typeof r === 'string')) throw new RequestError('"records" expected an array of hex strings');
  const ring = new KeyRing({ backend });
  for (const k of keys as Request[]) {
    const identity = k['identity'];
    if (typeof identity !== 'string') throw new RequestError('"keys[].identity" expected a string');
    ring.add(hex(k, 'publicKey', 32), { identity, issuedAt: 0 });
  }
  const transcript = new RoomTranscript(ring);
  const out: Json[] = [];
  for (let i = 0; i < records.length; i++) {
    for (const r of transcript.check(hex({ r: records[i]! }, 'r'))) {
      out.push({ verdict: r.verdict, identity: r.identity, room: r.room?.room ?? null, offset: r.room?.offset ?? null });
    }
  }
  const missing = transcript.spans().map((s) => ({ room: s.room, epoch: s.epoch, first: s.first, last: s.last, missing: s.missing }));
  return { ok: true, records: out, spans: missing };
}
