// `sealwire verify`: offline checks of envelopes and receipts against public keys only — the
// auditor's side of non-repudiation (spec/receipts.md §7, appendix A).
import { sha256 } from '../crypto/sha256.js';
import { isProtocolError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import { highestAcked, acknowledges, sackedSeqs, RECEIPT_CONTENT_TYPE, type Receipt } from '../delivery/receipt.js';
import { receiptFromOpened } from '../delivery/verify.js';
import { open, type Opened } from '../envelope/open.js';
import type { KeyRing } from '../keys/keyring.js';
import type { NodeKeys } from '../nodes/node-keys.js';
import { decodeEnvelope, type EnvelopeHeader } from '../wire/envelope.js';
import type { EvidenceRecord } from './input.js';
import { MESSAGE_CONTENT_TYPE, OP_ROOM_ACK, decodeClientMessage, type RoomAckOp } from '../session/messages.js';
import { isRoomRecord, RoomTranscript, type RoomFacts, type RoomSpan } from './verify-room.js';

/** How a receipt's hash relates to the envelopes in the same file. */
export type HashMatch =
  | { readonly status: 'matched'; readonly line: number }
  | { readonly status: 'mismatch'; readonly line: number }
  | { readonly status: 'unverified'; readonly line: number }
  | { readonly status: 'not-in-file' };

export interface ReceiptReport {
  readonly identity: string | null;
  readonly kid: string;
  readonly stream: string;
  readonly next: number;
  readonly sack: number[];
  readonly highest: number;
  readonly hash: string;
  readonly match: HashMatch;
  /** Lines of verified envelopes in the file that this receipt acknowledges. */
  readonly covers: number[];
}

export interface RecordReport {
  readonly line: number;
  /** `ok`, a ProtocolError code, or `ERR_INPUT` for a line that is not an envelope record. */
  readonly verdict: string;
  readonly type: 'envelope' | 'receipt' | 'room-event' | 'statement' | 'unknown';
  readonly identity: string | null;
  readonly kid: string | null;
  readonly stream: string | null;
  readonly seq: number | null;
  readonly ts: number | null;
  readonly time: string | null;
  readonly contentType: string | number | null;
  readonly sha256: string | null;
  readonly message?: string;
  readonly receipt?: ReceiptReport;
  /** A room frame's facts (spec/rooms.md §9); a bundle gives one record per event, on one line. */
  readonly room?: RoomFacts;
  /** A member's RoomAck ([ROOM-6.8]) carried by this envelope, and the frame it names if the file holds it. */
  readonly roomAck?: RoomAckReport;
}

export interface RoomAckReport {
  readonly room: string;
  readonly epoch: string;
  readonly next: number;
  readonly hash: string;
  /** The line of the room frame whose SHA-256 the RoomAck names, if the file holds it. */
  readonly frameLine: number | null;
}

export interface VerifyReport {
  readonly records: RecordReport[];
  /** The offsets of each room and epoch the file holds, and those it does not (not a failure). */
  readonly rooms: RoomSpan[];
  /** True when every record verified and no receipt hash contradicts a verified envelope. */
  readonly ok: boolean;
}

interface Work {
  report: RecordReport;
  header?: EnvelopeHeader;
  hash?: Uint8Array;
  receipt?: Receipt;
  ack?: RoomAckOp;
}

// Date covers ±8.64e15 ms; a later (hostile but valid) ts is shown as a number only.
function iso(ts: number): string | null {
  return ts <= 8.64e15 ? new Date(ts).toISOString() : null;
}

function checkOne(rec: EvidenceRecord, ring: KeyRing): Work {
  const blank = { identity: null, kid: null, stream: null, seq: null, ts: null, time: null, contentType: null, sha256: null };
  if (rec.envelope === undefined) {
    return { report: { line: rec.line, verdict: 'ERR_INPUT', type: 'unknown', ...blank, message: rec.unreadable ?? 'unreadable' } };
  }
  const bytes = rec.envelope;
  let header: EnvelopeHeader | undefined;
  try {
    header = decodeEnvelope(bytes).header;
  } catch {
    // open() below reports the same decoding error as the verdict.
  }
  let verdict = 'ok';
  let message: string | undefined;
  let opened: Opened | undefined;
  try {
    opened = open(bytes, { keys: ring, ...(rec.aad ? { aad: rec.aad } : {}), ...(rec.binding ? { binding: rec.binding } : {}) });
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    verdict = err.code;
    message = err.message;
  }
  let receipt: Receipt | undefined;
  const isReceipt = header?.contentType === RECEIPT_CONTENT_TYPE;
  if (opened !== undefined && isReceipt) {
    try {
      receipt = receiptFromOpened(opened).receipt;
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      verdict = err.code;
      message = err.message;
    }
  }
  const hash = sha256(bytes);
  const ack = opened !== undefined && !isReceipt && header?.contentType === MESSAGE_CONTENT_TYPE ? roomAckIn(opened.payload) : undefined;
  const report: RecordReport = {
    line: rec.line,
    verdict,
    type: header === undefined ? 'unknown' : isReceipt ? 'receipt' : 'envelope',
    identity: header === undefined ? null : (ring.get(header.kid)?.identity ?? null),
    kid: header ? toHex(header.kid) : null,
    stream: header ? toHex(header.stream) : null,
    seq: header?.seq ?? null,
    ts: header?.ts ?? null,
    time: header ? iso(header.ts) : null,
    contentType: header?.contentType ?? null,
    sha256: toHex(hash),
    ...(message !== undefined ? { message } : {}),
  };
  return { report, hash, ...(header ? { header } : {}), ...(receipt ? { receipt } : {}), ...(ack ? { ack } : {}) };
}

/** A session payload that is a RoomAck: a member's signed receipt of a room's stream. */
function roomAckIn(payload: Uint8Array): RoomAckOp | undefined {
  try {
    const m = decodeClientMessage(payload);
    return m.op === OP_ROOM_ACK ? m : undefined;
  } catch {
    return undefined; // another message, or not one of ours
  }
}

function matchHash(r: Receipt, works: Work[]): HashMatch {
  const highest = highestAcked(r);
  let unverified: number | undefined;
  let mismatch: number | undefined;
  for (const w of works) {
    if (w.hash === undefined) continue;
    const same = equalBytes(w.hash, r.hash);
    if (same && w.report.verdict === 'ok') return { status: 'matched', line: w.report.line };
    if (same) unverified ??= w.report.line;
    const h = w.header;
    if (!same && w.report.verdict === 'ok' && h && h.seq === highest && equalBytes(h.kid, r.kid) && equalBytes(h.stream, r.stream)) {
      mismatch ??= w.report.line;
    }
  }
  // A verified envelope with the acknowledged (kid, stream, seq) but other bytes outweighs a copy
  // that did not verify: it is the evidence an auditor must see.
  if (mismatch !== undefined) return { status: 'mismatch', line: mismatch };
  if (unverified !== undefined) return { status: 'unverified', line: unverified };
  return { status: 'not-in-file' };
}

/**
 * Verifies every record against `ring`, statelessly (no replay state: an auditor checks evidence,
 * not freshness), then relates each receipt to the envelopes of the same file.
 */
export function verifyEvidence(records: EvidenceRecord[], ring: KeyRing, nodes?: NodeKeys): VerifyReport {
  const transcript = new RoomTranscript(ring, nodes);
  const works = records.flatMap((rec) =>
    rec.envelope !== undefined && isRoomRecord(rec.envelope, rec.binding) ? checkRoom(rec.line, rec.envelope, transcript) : [checkOne(rec, ring)],
  );
  let ok = true;
  for (const w of works) {
    if (w.report.verdict !== 'ok') ok = false;
    const r = w.receipt;
    if (r === undefined) continue;
    const match = matchHash(r, works);
    if (match.status === 'mismatch') ok = false;
    const covers = works
      .filter((x) => x.report.verdict === 'ok' && x.receipt === undefined && x.header)
      .filter((x) => equalBytes(x.header!.kid, r.kid) && equalBytes(x.header!.stream, r.stream) && acknowledges(r, x.header!.seq))
      .map((x) => x.report.line);
    const receipt: ReceiptReport = {
      identity: ring.get(r.kid)?.identity ?? null,
      kid: toHex(r.kid),
      stream: toHex(r.stream),
      next: r.next,
      sack: sackedSeqs(r),
      highest: highestAcked(r),
      hash: toHex(r.hash),
      match,
      covers,
    };
    w.report = { ...w.report, receipt };
  }
  for (const w of works) {
    const a = w.ack;
    if (a === undefined) continue;
    const frame = works.find((x) => x.report.room !== undefined && x.report.verdict === 'ok' && x.report.sha256 === toHex(a.hash));
    w.report = { ...w.report, roomAck: { room: a.room, epoch: toHex(a.epoch), next: a.next, hash: toHex(a.hash), frameLine: frame?.report.line ?? null } };
  }
  return { records: works.map((w) => w.report), rooms: transcript.spans(), ok };
}

function checkRoom(line: number, bytes: Uint8Array, transcript: RoomTranscript): Work[] {
  const hash = toHex(sha256(bytes));
  return transcript.check(bytes).map((r) => {
    const { verdict, message, identity, kid, stream, seq, ts, room } = r;
    const type = room === null ? 'unknown' : room.kind === 'statement' ? 'statement' : 'room-event';
    const report: RecordReport = {
      line,
      verdict,
      type,
      identity,
      kid,
      stream,
      seq,
      ts,
      time: ts === null ? null : iso(ts),
      contentType: null,
      sha256: hash,
      ...(message !== undefined && verdict !== 'ok' ? { message } : {}),
      ...(room !== null ? { room } : {}),
    };
    return { report };
  });
}

/** One line per record, `key=value` fields, then a summary line. */
export function formatText(report: VerifyReport): string {
  const lines: string[] = [];
  for (const r of report.records) {
    const f = [`line ${r.line}: ${r.verdict}`, r.type];
    f.push(`from=${r.identity ?? '-'}`);
    const room = r.room;
    if (room !== undefined) {
      f.push(`room=${room.room}`);
      if (room.epoch !== null) f.push(`epoch=${room.epoch}`, `offset=${room.offset}`, `kind=${room.kind}`, `signed-by=${room.signedBy}`);
    }
    if (r.kid !== null) f.push(`kid=${r.kid}`);
    if (r.stream !== null) f.push(`stream=${r.stream}`, `seq=${r.seq}`);
    if (r.ts !== null) f.push(`ts=${r.time ?? r.ts}`);
    if (room?.text != null) f.push(`text=${JSON.stringify(room.text.length > 200 ? room.text.slice(0, 200) + '…' : room.text)}`);
    if (r.message !== undefined && r.verdict !== 'ok') f.push(`(${r.message})`);
    const k = r.roomAck;
    if (k !== undefined) {
      f.push(`acks-room=${k.room}`, `epoch=${k.epoch}`, `next=${k.next}`, `frame=${k.frameLine === null ? 'not-in-file' : `line-${k.frameLine}`}`);
    }
    const a = r.receipt;
    if (a !== undefined) {
      f.push(
        `acks=${a.identity ?? '-'}`,
        `acks.kid=${a.kid}`,
        `acks.stream=${a.stream}`,
        `next=${a.next}`,
        `sack=${a.sack.length ? a.sack.join(',') : '-'}`,
        `highest=${a.highest}`,
        `hash=${a.match.status === 'not-in-file' ? 'not-in-file' : `${a.match.status}:line-${a.match.line}`}`,
        `covers=${a.covers.length ? a.covers.join(',') : '-'}`,
      );
    }
    lines.push(f.join(' '));
  }
  const failed = report.records.filter((r) => r.verdict !== 'ok').length;
  const mism = report.records.filter((r) => r.receipt?.match.status === 'mismatch').length;
  for (const s of report.rooms) {
    lines.push(`room ${s.room} epoch=${s.epoch}: offsets ${s.first}–${s.last}, not in the file: ${s.missing.length ? s.missing.join(',') : '-'}`);
  }
  lines.push(`${report.records.length} records: ${report.records.length - failed} ok, ${failed} failed, ${mism} receipt hash mismatches`);
  return lines.join('\n') + '\n';
}
