// Receipt vectors (spec/receipts.md): the payload codec byte for byte and every rule of [RCP-3.6],
// receipt envelopes verified as §4 orders it, and the auditor's check of §7. Payloads are rebuilt
// from the CDDL with the generator's own CBOR writer; hashes with node:crypto.
import { createHash } from 'node:crypto';
import type { ReceiptCodecGroup, ReceiptVerifyGroup, ReceiptVerifyTest, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { arr, bstr, head, headLong, nint, tstr, uint, type Bytes } from './cbor.js';
import { Signer } from './envelope.js';
import { cat, enc, hex, seed } from './ref.js';
import { refs, type RefName } from './refs.js';

const sha256 = (b: Bytes): Bytes => new Uint8Array(createHash('sha256').update(b).digest());
const RECEIPT_CT = 'application/vnd.sealwire.receipt+cbor';
const MAX = Number.MAX_SAFE_INTEGER;
const TS = 1_700_000_000_000;

interface Fields {
  kid: Bytes;
  stream: Bytes;
  next: number;
  sack: Bytes;
  hash: Bytes;
}

/** receipt = [1, kid, stream, next, sack, hash] ([RCP-3.1]). */
export const payloadOf = (f: Fields, version: Bytes = uint(1)): Bytes => arr(version, bstr(f.kid), bstr(f.stream), uint(f.next), bstr(f.sack), bstr(f.hash));

/** The sack bitmap for seqs above next ([RCP-3.3]): bit i set ⇔ next + 1 + i accepted. */
export function sackOf(next: number, seqs: number[]): Bytes {
  if (seqs.length === 0) return new Uint8Array(0);
  const top = Math.max(...seqs) - next - 1;
  const out = new Uint8Array((top >> 3) + 1);
  for (const s of seqs) {
    const i = s - next - 1;
    out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

const fieldsJson = (f: Fields) => ({ kid: hex(f.kid), stream: hex(f.stream), next: f.next, sack: hex(f.sack), hash: hex(f.hash) });

export function codec(): VectorFile {
  const b = new FileBuilder<ReceiptCodecGroup>('sealwire-receipt-v1', 'receipt_codec_schema.json', [
    'Receipt payloads (spec/receipts.md §3). Valid: {"op":"receipt.encode",kid,stream,next,sack,hash}',
    'must answer exactly `payload`, and {"op":"receipt.decode","payload"} must answer the fields.',
    'Invalid: receipt.decode must answer ERR_RECEIPT_MALFORMED.',
  ]);
  const g = b.group({ type: 'ReceiptCodec' });
  const kid = sha256(enc.encode('receipt codec sender'));
  const stream = seed('receipt codec stream').subarray(0, 16);
  const hash = sha256(enc.encode('the highest accepted envelope'));
  const base: Fields = { kid, stream, next: 10, sack: new Uint8Array(0), hash };
  const valid = (comment: string, flags: string[], r: RefName[], f: Fields) =>
    b.add(g, { comment, flags: ['Receipt', ...flags], specRefs: refs('rcpPayload', ...r), ...fieldsJson(f), payload: hex(payloadOf(f)), result: 'valid' });
  const invalid = (comment: string, flags: string[], r: RefName[], payload: Bytes) =>
    b.add(g, { comment, flags, specRefs: refs('rcpDecode', ...r), payload: hex(payload), result: 'invalid', code: 'ERR_RECEIPT_MALFORMED' });

  valid('seqs 0..9 accepted: next 10, no sack', [], ['rcpNext', 'rcpHighest'], base);
  valid('only seq 1 accepted: next 0, sack bit 0', ['Boundary'], ['rcpNext', 'rcpSack'], { ...base, next: 0, sack: sackOf(0, [1]) });
  valid('0..4, 6 and 8: next 5, sack 0x05', [], ['rcpSack'], { ...base, next: 5, sack: sackOf(5, [6, 8]) });
  valid('bit 8 is the low bit of the second byte: next 5, seq 14', [], ['rcpSack'], { ...base, next: 5, sack: sackOf(5, [14]) });
  valid('seq 0 only: next 1', ['Boundary'], ['rcpNext'], { ...base, next: 1 });
  valid('the largest payload: 64-byte kid, next 2^53 - 1025, 128-byte sack up to 2^53 - 1', ['Boundary'], ['rcpSack'], {
    kid: new Uint8Array(64).fill(0x6b),
    stream,
    next: MAX - 1024,
    sack: sackOf(MAX - 1024, [MAX - 1023, MAX]),
    hash,
  });
  valid('next 2^53 - 1 with no sack', ['Boundary'], ['rcpNext'], { ...base, next: MAX });
  valid('a 1-byte kid', ['Boundary'], [], { ...base, kid: Uint8Array.of(7) });

  const largest = payloadOf({ kid: new Uint8Array(64).fill(0x6b), stream, next: MAX - 1024, sack: sackOf(MAX - 1024, [MAX - 1023, MAX]), hash });
  if (largest.length !== 258) throw new Error(`the largest receipt payload is ${largest.length} bytes, spec/receipts.md says 258`);
  invalid('259 bytes: over the cap, refused before decoding', ['TooLarge'], [], cat(largest, Uint8Array.of(0)));
  invalid('version 2', ['Version'], [], payloadOf(base, uint(2)));
  invalid('version 0', ['Version'], [], payloadOf(base, uint(0)));
  invalid('an array of 5', ['WrongStructure'], [], arr(uint(1), bstr(kid), bstr(stream), uint(10), bstr(new Uint8Array(0))));
  invalid('an array of 7', ['WrongStructure'], [], arr(uint(1), bstr(kid), bstr(stream), uint(10), bstr(new Uint8Array(0)), bstr(hash), uint(0)));
  invalid('a map instead of an array', ['WrongStructure'], [], cat(head(5, 0)));
  invalid('empty kid', ['HeaderValue'], [], payloadOf({ ...base, kid: new Uint8Array(0) }));
  invalid('65-byte kid', ['HeaderValue'], [], payloadOf({ ...base, kid: new Uint8Array(65).fill(1) }));
  invalid('kid as a text string', ['HeaderValue'], [], arr(uint(1), tstr('kid'), bstr(stream), uint(10), bstr(new Uint8Array(0)), bstr(hash)));
  invalid('15-byte stream', ['HeaderValue'], [], payloadOf({ ...base, stream: stream.subarray(0, 15) }));
  invalid('next negative', ['HeaderValue'], [], arr(uint(1), bstr(kid), bstr(stream), nint(-1), bstr(new Uint8Array(0)), bstr(hash)));
  invalid('next as a byte string', ['HeaderValue'], [], arr(uint(1), bstr(kid), bstr(stream), bstr(Uint8Array.of(10)), bstr(new Uint8Array(0)), bstr(hash)));
  invalid('31-byte hash', ['HeaderValue'], [], payloadOf({ ...base, hash: hash.subarray(0, 31) }));
  invalid('sack ending in a zero byte', ['NonPreferred'], ['rcpSack'], payloadOf({ ...base, sack: Uint8Array.of(0x01, 0x00) }));
  invalid('sack of one zero byte', ['NonPreferred'], ['rcpSack'], payloadOf({ ...base, sack: Uint8Array.of(0x00) }));
  invalid('sack of 129 bytes', ['HeaderValue'], ['rcpSack'], payloadOf({ ...base, sack: cat(new Uint8Array(128), Uint8Array.of(1)) }));
  invalid('next 0 and no sack: acknowledges nothing', ['Boundary'], ['rcpNonEmpty'], payloadOf({ ...base, next: 0 }));
  invalid('acknowledges seq 2^53', ['Boundary'], ['rcpSack'], payloadOf({ ...base, next: MAX - 1023, sack: sackOf(MAX - 1023, [MAX + 1]) }));
  invalid('next in a non-preferred 2-byte head', ['NonPreferred'], [], arr(uint(1), bstr(kid), bstr(stream), headLong(0, 10, 1), bstr(new Uint8Array(0)), bstr(hash)));
  invalid('an indefinite-length array', ['IndefiniteLength'], [], cat(Uint8Array.of(0x9f), payloadOf(base).subarray(1), Uint8Array.of(0xff)));
  invalid('a trailing byte', ['TrailingBytes'], [], cat(payloadOf(base), Uint8Array.of(0xf6)));
  invalid('cut short', ['Truncated'], [], payloadOf(base).subarray(0, 40));
  // [RCP-3.6]: read from depth 0 like a handshake message; every fault, the nesting limit too, is one code.
  const nested = (k: number): Bytes => (k === 0 ? bstr(kid) : arr(nested(k - 1)));
  invalid('kid nested in 15 arrays (depth 16): a shape fault', ['WrongStructure', 'Boundary'], [], arr(uint(1), nested(15), bstr(stream), uint(10), bstr(new Uint8Array(0)), bstr(hash)));
  invalid('kid nested in 16 arrays (depth 17): too deep, the same code', ['BadCbor', 'Boundary'], [], arr(uint(1), nested(16), bstr(stream), uint(10), bstr(new Uint8Array(0)), bstr(hash)));
  return b.build();
}

// --- receipt envelopes ------------------------------------------------------------------------------

export function verify(): VectorFile {
  const b = new FileBuilder<ReceiptVerifyGroup>('sealwire-receipt-v1', 'receipt_verify_schema.json', [
    'Receipt envelopes verified statelessly (spec/receipts.md §4), optionally with the auditor check of',
    '§7 against one acknowledged envelope. Driver op: {"op":"receipt.verify","publicKey","envelope",',
    '"binding"?,"acked"?:{"publicKey","envelope","binding"?}}; a valid test lists the receipt fields',
    'and the receipt envelope\'s own stream, seq and ts.',
  ]);
  const R = new Signer(seed('receipt acknowledging side'));
  const S = new Signer(seed('receipt sender'));
  const g = b.group({ type: 'ReceiptVerify', publicKey: hex(R.publicKey) });
  const dataStream = seed('receipt data stream').subarray(0, 16);
  const receiptStream = seed('receipt stream').subarray(0, 16);
  const sid = sha256(enc.encode('receipt session'));
  const toR = cat(sid, Uint8Array.of(1)); // sender -> acknowledging side
  const toS = cat(sid, Uint8Array.of(2)); // the receipt travels back
  const data = (seq: number, text = `message ${seq}`, stream = dataStream) => S.seal({ seq, ts: TS + seq, stream, ct: 60 }, enc.encode(text)).envelope;
  const e3 = data(3);
  const receipt = (f: Fields, o: { ct?: number | string; binding?: Bytes; by?: Signer; seq?: number; payload?: Bytes } = {}) =>
    (o.by ?? R).seal({ seq: o.seq ?? 0, ts: TS + 100, stream: receiptStream, ct: o.ct ?? RECEIPT_CT }, o.payload ?? payloadOf(f), undefined, o.binding).envelope;
  const f3: Fields = { kid: S.kid, stream: dataStream, next: 4, sack: new Uint8Array(0), hash: sha256(e3) };
  const add = (comment: string, flags: string[], r: RefName[], env: Bytes, expect: string, o: { binding?: Bytes; acked?: Bytes; ackedBinding?: Bytes; fields?: Fields } = {}) => {
    const t: Omit<ReceiptVerifyTest, 'tcId'> = {
      comment,
      flags: ['Receipt', ...flags],
      specRefs: refs(...r),
      envelope: hex(env),
      ...(o.binding ? { binding: hex(o.binding) } : {}),
      ...(o.acked ? { acked: { publicKey: hex(S.publicKey), envelope: hex(o.acked), ...(o.ackedBinding ? { binding: hex(o.ackedBinding) } : {}) } } : {}),
      result: expect === 'ok' ? 'valid' : 'invalid',
      ...(expect === 'ok' ? { receipt: fieldsJson(o.fields ?? f3), stream: hex(receiptStream), seq: 0, ts: TS + 100 } : { code: expect }),
    };
    b.add(g, t);
  };
  add('a receipt for seqs 0..3, the last one hashed', [], ['rcpEnvelope', 'rcpContentType', 'rcpVerifyOrder', 'rcpHighest'], receipt(f3), 'ok');
  add('the auditor: the acknowledged envelope is the hashed one', ['Evidence'], ['rcpAudit', 'rcpHighest'], receipt(f3), 'ok', { acked: e3 });
  add('the auditor: a lower seq, bound by the sender\'s signature', ['Evidence'], ['rcpAudit'], receipt(f3), 'ok', { acked: data(1) });
  add('the auditor: another envelope under the hashed seq', ['Evidence'], ['rcpAudit'], receipt(f3), 'ERR_RECEIPT_HASH', { acked: data(3, 'equivocated') });
  add('the auditor: a seq the receipt does not acknowledge', ['Evidence'], ['rcpAudit'], receipt(f3), 'ERR_RECEIPT_UNSENT', { acked: data(4) });
  add('the auditor: an envelope of another stream', ['Evidence'], ['rcpAudit'], receipt(f3), 'ERR_RECEIPT_UNSENT', { acked: data(3, 'message 3', seed('another data stream').subarray(0, 16)) });
  const sessionData = S.seal({ seq: 3, ts: TS + 3, stream: dataStream, ct: 60 }, enc.encode('message 3'), undefined, toR).envelope;
  const fs: Fields = { ...f3, hash: sha256(sessionData) };
  add('in a session: the receipt carries the acknowledging side\'s binding', ['SessionBinding'], ['rcpBinding'], receipt(fs, { binding: toS }), 'ok', { binding: toS, fields: fs });
  add('in a session: the auditor with both bindings', ['SessionBinding', 'Evidence'], ['rcpBinding', 'rcpAudit'], receipt(fs, { binding: toS }), 'ok', { binding: toS, fields: fs, acked: sessionData, ackedBinding: toR });
  add('in a session: verified without the binding', ['SessionBinding'], ['rcpBinding'], receipt(fs, { binding: toS }), 'ERR_BAD_SIGNATURE');
  add('in a session: verified with the sender\'s direction', ['SessionBinding'], ['rcpBinding'], receipt(fs, { binding: toS }), 'ERR_BAD_SIGNATURE', { binding: toR });
  add('content type 60 (application/cbor)', ['ContentType'], ['rcpContentType'], receipt(f3, { ct: 60 }), 'ERR_NOT_RECEIPT');
  add('content type with a parameter', ['ContentType'], ['rcpContentType'], receipt(f3, { ct: `${RECEIPT_CT}; v=1` }), 'ERR_NOT_RECEIPT');
  add('content type in upper case', ['ContentType'], ['rcpContentType'], receipt(f3, { ct: RECEIPT_CT.toUpperCase() }), 'ERR_NOT_RECEIPT');
  add('signed by the sender, not the acknowledging side', ['UnknownKey'], ['rcpEnvelope'], receipt(f3, { by: S }), 'ERR_UNKNOWN_KEY');
  const tampered = receipt(f3);
  tampered[tampered.length - 1]! ^= 0x01;
  add('signature changed', ['BadSignature'], ['rcpEnvelope', 'rcpVerifyOrder'], tampered, 'ERR_BAD_SIGNATURE');
  add('a malformed payload in a valid receipt envelope', ['HeaderValue'], ['rcpVerifyOrder', 'rcpDecode'], receipt(f3, { payload: payloadOf(f3, uint(2)) }), 'ERR_RECEIPT_MALFORMED');
  const badBoth = receipt(f3, { ct: 60, payload: Uint8Array.of(0xff) });
  add('order: the content type before the payload', ['CheckOrder'], ['rcpVerifyOrder'], badBoth, 'ERR_NOT_RECEIPT');
  const badSigCt = badBoth.slice();
  badSigCt[badSigCt.length - 1]! ^= 0x01;
  add('order: the signature before the content type', ['CheckOrder'], ['rcpVerifyOrder'], badSigCt, 'ERR_BAD_SIGNATURE');
  return b.build();
}
