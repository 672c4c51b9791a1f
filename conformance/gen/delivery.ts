// Delivery vectors (spec/receipts.md §1, §5, §6): the sender's outbox and the acknowledging side as
// step transcripts. Envelopes and receipt payloads are rebuilt with the reference signer and the
// generator's CBOR writer; each verdict follows the rule its step cites.
import { createHash } from 'node:crypto';
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { Signer } from './envelope.js';
import { enc, hex, seed } from './ref.js';
import { refs, type RefName } from './refs.js';
import { payloadOf, sackOf } from './receipts.js';
import type { Bytes } from './cbor.js';

const sha256 = (b: Bytes): Bytes => new Uint8Array(createHash('sha256').update(b).digest());
const RECEIPT_CT = 'application/vnd.sealwire.receipt+cbor';
const TS = 1_700_000_000_000;
const STARTED = TS - 60_000;

const S = new Signer(seed('delivery sender'));
const R = new Signer(seed('delivery acknowledging side'));
const X = new Signer(seed('delivery other known key'));
const STREAM = seed('delivery sender stream').subarray(0, 16);
const RSTREAM = seed('delivery receipt stream').subarray(0, 16);
const RSTREAM2 = seed('delivery second receipt stream').subarray(0, 16);
const OTHER_STREAM = seed('delivery other sender stream').subarray(0, 16);

const payloadAt = (seq: number): Bytes => enc.encode(`message ${seq}`);
const bind = (label: string, dir: number): Bytes => {
  const b = new Uint8Array(33);
  b.set(seed(label));
  b[32] = dir;
  return b;
};

/** The envelope the sender must produce for `seq` (content type 60, the stream, ts = TS + seq). */
function env(seq: number, binding?: Bytes, ts = TS + seq): Bytes {
  return S.seal({ seq, ts, stream: STREAM, ct: 60 }, payloadAt(seq), undefined, binding).envelope;
}

interface ReceiptOf {
  /** Seqs the receipt acknowledges; next and sack follow from them ([RCP-3.2], [RCP-3.3]). */
  acked: number[];
  /** The receipt envelope's own seq on its receipt stream. */
  rseq: number;
  hash?: Bytes;
  by?: Signer;
  stream?: Bytes;
  rstream?: Bytes;
  binding?: Bytes;
}

function nextOf(acked: number[]): number {
  let n = 0;
  while (acked.includes(n)) n++;
  return n;
}

function receiptPayload(o: { acked: number[]; hash: Bytes; stream?: Bytes; kid?: Bytes }): Bytes {
  const next = nextOf(o.acked);
  return payloadOf({ kid: o.kid ?? S.kid, stream: o.stream ?? STREAM, next, sack: sackOf(next, o.acked.filter((s) => s > next)), hash: o.hash });
}

function receipt(o: ReceiptOf): Bytes {
  const highest = Math.max(...o.acked);
  const payload = receiptPayload({ acked: o.acked, hash: o.hash ?? sha256(env(highest)), ...(o.stream ? { stream: o.stream } : {}) });
  return (o.by ?? R).seal({ seq: o.rseq, ts: TS + 500 + o.rseq, stream: o.rstream ?? RSTREAM, ct: RECEIPT_CT }, payload, undefined, o.binding).envelope;
}

type B = FileBuilder<StepsGroup>;
type StepIn = { op: string; comment?: string; expect?: Record<string, unknown>; [field: string]: unknown };
const ok = (s: StepIn): OpStep => ({ ...s, result: 'valid' });
const fail = (code: string, s: StepIn): OpStep => ({ ...s, result: 'invalid', code });

function add(b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], steps: OpStep[]): void {
  const last = steps[steps.length - 1]!;
  b.add(g, { comment, flags, specRefs: refs(...r), steps, result: last.result, ...(last.code !== undefined ? { code: last.code } : {}) });
}

// --- the sender's outbox ------------------------------------------------------------------------

const outboxReset = (o: { capacity?: number; maxBytes?: number; binding?: Bytes } = {}): OpStep =>
  ok({
    op: 'outbox.reset',
    secretKey: hex(S.secretKey),
    stream: hex(STREAM),
    keys: [hex(R.publicKey), hex(X.publicKey)],
    receiverKey: hex(R.publicKey),
    startedAt: STARTED,
    ...(o.capacity !== undefined ? { capacity: o.capacity } : {}),
    ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}),
    ...(o.binding !== undefined ? { binding: hex(o.binding) } : {}),
  });
const send = (seq: number, binding?: Bytes): OpStep => ok({ op: 'outbox.send', payload: hex(payloadAt(seq)), ts: TS + seq, expect: { seq, envelope: hex(env(seq, binding)) } });
const sendBare = (seq: number): OpStep => ok({ op: 'outbox.send', payload: hex(payloadAt(seq)), ts: TS + seq, expect: { seq } });
const full = (seq: number): OpStep => fail('ERR_OUTBOX_FULL', { op: 'outbox.send', payload: hex(payloadAt(seq)), ts: TS + seq });
const ack = (r: Bytes, delivered: number[], stale = false, comment?: string): OpStep =>
  ok({ op: 'outbox.ack', envelope: hex(r), now: TS + 1000, expect: { delivered, stale }, ...(comment ? { comment } : {}) });
const ackFails = (code: string, r: Bytes, comment?: string): OpStep => fail(code, { op: 'outbox.ack', envelope: hex(r), now: TS + 1000, ...(comment ? { comment } : {}) });
const state = (nextSeq: number, pending: number[]): OpStep => ok({ op: 'outbox.state', expect: { nextSeq, pending } });

export function outbox(): VectorFile {
  const b = new FileBuilder<StepsGroup>('sealwire-outbox-v1', 'steps_schema.json', [
    'The sender of a receipted stream (spec/receipts.md §1, §6): every step is one driver request;',
    'outbox.reset starts a sender with its own key and stream and a replay-protected receiver for',
    'receipts over `keys` (receiverKey must sign them); outbox.send seals the next envelope (ts given)',
    'or refuses ERR_OUTBOX_FULL; outbox.ack opens a receipt envelope at `now` and applies it;',
    'outbox.state answers the next seq and the pending seqs. Each step must answer its result, its',
    'code, and every member of `expect`.',
  ]);
  const g = b.group({ type: 'Steps' });
  const r0 = (acked: number[], extra: Partial<ReceiptOf> = {}) => receipt({ acked, rseq: 0, ...extra });

  add(b, g, 'seqs start at 0 and grow by one; every envelope pending until acknowledged', ['Delivery'], ['rcpGapFree', 'rcpDeliveryState'], [
    outboxReset(), send(0), send(1), send(2), state(3, [0, 1, 2]),
  ]);
  add(b, g, 'a cumulative receipt, then a later one: pending becomes delivered, in seq order', ['Delivery'], ['rcpDeliveryState', 'rcpApply'], [
    outboxReset(), send(0), send(1), send(2),
    ack(r0([0, 1]), [0, 1]), state(3, [2]),
    ack(receipt({ acked: [0, 1, 2], rseq: 1 }), [2]), state(3, []),
  ]);
  add(b, g, 'a selective receipt delivers exactly the seqs it names', ['Delivery'], ['rcpDeliveryState', 'rcpApply'], [
    outboxReset(), send(0), send(1), send(2), send(3),
    ack(r0([0, 2]), [0, 2]), state(4, [1, 3]),
  ]);
  add(b, g, 'a reordered older receipt is stale: it changes nothing, delivered stays delivered', ['Delivery', 'Reorder'], ['rcpStale', 'rcpDeliveryState'], [
    outboxReset(), send(0), send(1), send(2),
    ack(receipt({ acked: [0, 1], rseq: 1 }), [0, 1]),
    ack(r0([0]), [], true), state(3, [2]),
  ]);
  add(b, g, 'a stale receipt acknowledging a seq still pending: ERR_RECEIPT_REGRESSED', ['Delivery', 'Reorder'], ['rcpStale'], [
    outboxReset(), send(0), send(1), send(2),
    ack(receipt({ acked: [0], rseq: 1 }), [0]),
    ackFails('ERR_RECEIPT_REGRESSED', r0([0, 2])),
  ]);
  add(b, g, 'nothing changed by the refused stale receipt', ['Delivery', 'Reorder'], ['rcpStale', 'rcpDeliveryState'], [
    outboxReset(), send(0), send(1), send(2),
    ack(receipt({ acked: [0], rseq: 1 }), [0]),
    ackFails('ERR_RECEIPT_REGRESSED', r0([0, 2])), state(3, [1, 2]),
  ]);
  add(b, g, 'a replayed receipt fails at the replay-protected receiver', ['Delivery', 'Duplicate'], ['rcpLiveReplay'], [
    outboxReset(), send(0), send(1), ack(r0([0]), [0]), ackFails('ERR_REPLAY', r0([0])),
  ]);
  add(b, g, 'capacity 2: the third send is refused, nothing is dropped, a receipt makes room', ['Delivery', 'Boundary'], ['rcpOverflow'], [
    outboxReset({ capacity: 2 }), send(0), send(1), full(2), state(2, [0, 1]),
    ack(r0([0]), [0]), send(2), state(3, [1, 2]),
  ]);
  const len = env(0).length;
  add(b, g, 'the byte bound: two envelopes fit, the third is refused and keeps its seq', ['Delivery', 'Boundary'], ['rcpOverflow'], [
    outboxReset({ maxBytes: 2 * len + 10 }), send(0), send(1), full(2), state(2, [0, 1]),
  ]);
  add(b, g, 'at most 1,024 unacknowledged: the 1,025th send is refused', ['Delivery', 'Boundary'], ['rcpInFlight', 'rcpOverflow'], [
    outboxReset({ capacity: 1024 }),
    ...Array.from({ length: 1024 }, (_, s) => sendBare(s)),
    full(1024),
  ]);
  add(b, g, 'step 1: a receipt for another stream of the sender', ['Delivery'], ['rcpApply'], [
    outboxReset(), send(0), ackFails('ERR_RECEIPT_UNSENT', r0([0], { stream: OTHER_STREAM })),
  ]);
  add(b, g, 'step 2: a receipt signed by a known key that is not the acknowledging side', ['Delivery'], ['rcpApply'], [
    outboxReset(), send(0), ackFails('ERR_UNKNOWN_KEY', r0([0], { by: X })),
  ]);
  add(b, g, 'step 3: a receipt acknowledging a seq never sent', ['Delivery'], ['rcpApply'], [
    outboxReset(), send(0), send(1), ackFails('ERR_RECEIPT_UNSENT', r0([0, 1, 2], { hash: sha256(enc.encode('never sent')) })),
  ]);
  add(b, g, 'step 4: a newer receipt that un-acknowledges a delivered seq', ['Delivery'], ['rcpApply'], [
    outboxReset(), send(0), send(1), send(2), ack(r0([0, 1]), [0, 1]),
    ackFails('ERR_RECEIPT_REGRESSED', receipt({ acked: [0, 2], rseq: 1 })),
  ]);
  add(b, g, 'step 5: a receipt whose hash is not of the envelope sent with its highest seq', ['Delivery'], ['rcpApply'], [
    outboxReset(), send(0), send(1), ackFails('ERR_RECEIPT_HASH', r0([0, 1], { hash: sha256(env(0)) })),
  ]);
  // [RCP-6.5]: resent after a reconnect, re-sealed with the same seq for the new session.
  const b1 = bind('delivery first session', 0x01);
  const b2 = bind('delivery second session', 0x01);
  const reseal = ok({ op: 'outbox.reseal', binding: hex(b2), ts: TS + 100, expect: { envelopes: [0, 1].map((s) => hex(env(s, b2, TS + 100))) } });
  add(b, g, 'reseal after reconnect: same seqs in order, new binding, fresh ts', ['Delivery', 'Resume'], ['rcpResend'], [
    outboxReset({ binding: b1 }), send(0, b1), send(1, b1), reseal, state(2, [0, 1]),
  ]);
  add(b, g, 'after reseal, a receipt naming the version sent before is accepted', ['Delivery', 'Resume'], ['rcpResend'], [
    outboxReset({ binding: b1 }), send(0, b1), send(1, b1), reseal, ack(r0([0, 1], { hash: sha256(env(1, b1)) }), [0, 1]),
  ]);
  add(b, g, 'after reseal, a receipt naming the new version is accepted', ['Delivery', 'Resume'], ['rcpResend'], [
    outboxReset({ binding: b1 }), send(0, b1), send(1, b1), reseal, ack(r0([0, 1], { hash: sha256(env(1, b2, TS + 100)) }), [0, 1]),
  ]);
  add(b, g, 'after reseal, once a receipt named one version, a later receipt naming the other is refused', ['Delivery', 'Resume'], ['rcpResend', 'rcpApply'], [
    outboxReset({ binding: b1 }), send(0, b1), send(1, b1), reseal, ack(r0([0, 1], { hash: sha256(env(1, b1)) }), [0, 1]),
    ackFails('ERR_RECEIPT_HASH', receipt({ acked: [0, 1], rseq: 1, hash: sha256(env(1, b2, TS + 100)) })),
  ]);
  add(b, g, 'after reseal, a hash of neither version is refused', ['Delivery', 'Resume'], ['rcpResend', 'rcpApply'], [
    outboxReset({ binding: b1 }), send(0, b1), send(1, b1), reseal, ackFails('ERR_RECEIPT_HASH', r0([0, 1], { hash: sha256(env(1)) })),
  ]);
  // [HS-7.9], [HS-7.11]: either end refuses to resume a state it re-sealed 8 times with no receipt
  // applied since; a receipt starts the count again, and an empty outbox re-seals nothing.
  const resume = (k: number): OpStep => ok({ op: 'outbox.resume', binding: hex(bind(`delivery resume ${k}`, 0x01)), ts: TS + 100 + k });
  const refused = (k: number): OpStep => fail('ERR_RESUME_REFUSED', { op: 'outbox.resume', binding: hex(bind(`delivery resume ${k}`, 0x01)), ts: TS + 100 + k });
  const resumes = (from: number, n: number): OpStep[] => Array.from({ length: n }, (_, i) => resume(from + i));
  add(b, g, 'a state re-sealed 8 times without a receipt is not resumed a ninth time', ['Delivery', 'Resume', 'Boundary'], ['hsResumeBound', 'hsClientResumeBound'], [
    outboxReset({ binding: b1 }), send(0, b1), ...resumes(1, 8), refused(9),
  ]);
  add(b, g, 'a receipt applied between resumes starts the count of re-seals again', ['Delivery', 'Resume', 'Boundary'], ['hsResumeBound', 'hsClientResumeBound'], [
    outboxReset({ binding: b1 }), send(0, b1), send(1, b1), ...resumes(1, 7), ack(r0([0], { hash: sha256(env(0, b1)) }), [0]), ...resumes(8, 8), refused(16),
  ]);
  add(b, g, 'a state with nothing unacknowledged re-seals nothing, and resumes any number of times', ['Delivery', 'Resume'], ['hsResumeBound', 'hsClientResumeBound'], [
    outboxReset({ binding: b1 }), ...resumes(1, 12),
  ]);
  return b.build();
}

// --- the acknowledging side -----------------------------------------------------------------------

const acksReset = (): OpStep => ok({ op: 'acks.reset', secretKey: hex(R.secretKey), keys: [hex(S.publicKey)], startedAt: STARTED });
const accept = (seq: number, bytes = env(seq)): OpStep => ok({ op: 'acks.open', envelope: hex(bytes), now: TS + 1000, expect: { seq } });
const refuse = (code: string, bytes: Bytes, comment?: string): OpStep => fail(code, { op: 'acks.open', envelope: hex(bytes), now: TS + 1000, ...(comment ? { comment } : {}) });

/** The receipt the acknowledging side must sign now for the sender stream, as payload and envelope. */
function receiptNow(acked: number[], highestBytes: Bytes, rseq: number, rstream = RSTREAM): OpStep {
  const payload = receiptPayload({ acked, hash: sha256(highestBytes) });
  const envelope = R.seal({ seq: rseq, ts: TS + 2000, stream: rstream, ct: RECEIPT_CT }, payload).envelope;
  return ok({ op: 'acks.receipt', kid: hex(S.kid), stream: hex(STREAM), receiptStream: hex(rstream), ts: TS + 2000, expect: { payload: hex(payload), envelope: hex(envelope) } });
}
const noReceipt = (): OpStep => ok({ op: 'acks.receipt', kid: hex(S.kid), stream: hex(STREAM), receiptStream: hex(RSTREAM), ts: TS + 2000, expect: { payload: null } });

export function acks(): VectorFile {
  const b = new FileBuilder<StepsGroup>('sealwire-acks-v1', 'steps_schema.json', [
    'The acknowledging side (spec/receipts.md §3, §5): acks.reset starts it with its key and a',
    'replay-protected receiver over `keys`; acks.open presents a sender envelope at `now` and answers',
    'its seq or the code; acks.receipt answers the receipt payload for the sender stream (kid, stream)',
    'as it stands and the envelope sealing it at `ts` on `receiptStream` with that stream\'s next seq',
    '(or payload null when nothing was accepted). Receipts are content type',
    `${RECEIPT_CT}, unbound here (no session).`,
  ]);
  const g = b.group({ type: 'Steps' });
  const forged = env(0).slice();
  forged[forged.length - 1]! ^= 0x01;

  add(b, g, 'seqs 0..2 accepted: next 3, hash of envelope 2; receipts from seq 0 on their stream', ['Delivery'], ['rcpRecordAfterCommit', 'rcpNext', 'rcpHighest'], [
    acksReset(), accept(0), accept(1), accept(2), receiptNow([0, 1, 2], env(2), 0),
  ]);
  add(b, g, 'gaps: 0, 2, 5 accepted: next 1, sack bits for 2 and 5, hash of envelope 5', ['Delivery', 'Reorder'], ['rcpRecordAfterCommit', 'rcpSack', 'rcpHighest'], [
    acksReset(), accept(5), accept(0), accept(2), receiptNow([0, 2, 5], env(5), 0),
  ]);
  add(b, g, 'a forged envelope is not recorded: no receipt', ['Delivery', 'Forged'], ['rcpRecordAfterCommit'], [
    acksReset(), refuse('ERR_BAD_SIGNATURE', forged), noReceipt(),
  ]);
  add(b, g, 'a forged envelope, then the real one: the receipt hashes the bytes verified', ['Delivery', 'Forged'], ['rcpRecordAfterCommit', 'rcpHighest'], [
    acksReset(), refuse('ERR_BAD_SIGNATURE', forged), accept(0), receiptNow([0], env(0), 0),
  ]);
  add(b, g, 'a replayed envelope is refused and the record is unchanged', ['Delivery', 'Duplicate'], ['rcpRecordAfterCommit'], [
    acksReset(), accept(0), accept(1), refuse('ERR_REPLAY', env(0)), receiptNow([0, 1], env(1), 0),
  ]);
  add(b, g, 'seq next + 1024 is within the range', ['Delivery', 'Boundary'], ['rcpAckRange'], [
    acksReset(), accept(1024), receiptNow([1024], env(1024), 0),
  ]);
  add(b, g, 'seq next + 1025: ERR_ACK_RANGE', ['Delivery', 'Boundary'], ['rcpAckRange'], [acksReset(), refuse('ERR_ACK_RANGE', env(1025))]);
  add(b, g, 'the refused envelope was not committed: accepted once next moved, 128-byte sack', ['Delivery', 'Boundary'], ['rcpAckRange', 'rcpSack'], [
    acksReset(), refuse('ERR_ACK_RANGE', env(1025)), noReceipt(), accept(0), accept(1025), receiptNow([0, 1025], env(1025), 0),
  ]);
  add(b, g, 'monotonic across receipt streams: each receipt acknowledges all an earlier one did', ['Delivery'], ['rcpMonotonic'], [
    acksReset(), accept(0), accept(1), receiptNow([0, 1], env(1), 0, RSTREAM),
    accept(3), receiptNow([0, 1, 3], env(3), 0, RSTREAM2), receiptNow([0, 1, 3], env(3), 1, RSTREAM),
  ]);
  return b.build();
}
