// The driver's receipt ops (conformance/README.md): the payload codec, and receipt envelopes
// verified as spec/receipts.md §4 orders it, with the auditor's check of §7.
import { sha256 } from '@noble/hashes/sha2.js';
import { ProtocolError } from '../../src/errors.js';
import { equalBytes, toHex } from '../../src/bytes.js';
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { importPublicKey } from '../../src/keys/keys.js';
import { open, type OpenOptions } from '../../src/envelope/open.js';
import { acknowledges, decodeReceipt, encodeReceipt, highestAcked, type Receipt } from '../../src/delivery/receipt.js';
import { verifyReceipt } from '../../src/delivery/verify.js';
import { hex, optHex, optObject, uint, type Answer, type Request } from './fields.js';

function fieldsOf(r: Receipt): Answer {
  return { kid: toHex(r.kid), stream: toHex(r.stream), next: r.next, sack: toHex(r.sack), hash: toHex(r.hash) };
}

/** `receipt.encode`: the payload for the given fields. Fields the CDDL refuses are misuse (`error`). */
export function receiptEncode(req: Request): Answer {
  const payload = encodeReceipt({ kid: hex(req, 'kid'), stream: hex(req, 'stream'), next: uint(req, 'next'), sack: hex(req, 'sack'), hash: hex(req, 'hash') });
  return { ok: true, payload: toHex(payload) };
}

/** `receipt.decode`: the fields of a payload, or `ERR_RECEIPT_MALFORMED`. */
export function receiptDecode(req: Request): Answer {
  return { ok: true, ...fieldsOf(decodeReceipt(hex(req, 'payload'))) };
}

function options(key: ReturnType<typeof importPublicKey>, binding: Uint8Array | undefined): OpenOptions {
  return { keys: key, ...(binding ? { binding } : {}) };
}

/**
 * `receipt.verify`: the receipt envelope under the acknowledging side's key. With `acked`, also
 * the auditor's check ([RCP-7.1]): the acknowledged envelope verifies under its sender's key, the
 * receipt acknowledges its (kid, stream, seq) — else `ERR_RECEIPT_UNSENT` — and, when its seq is
 * the highest acknowledged, its SHA-256 is the receipt's hash — else `ERR_RECEIPT_HASH`.
 */
export function receiptVerify(req: Request, backend: Ed25519Backend): Answer {
  const key = importPublicKey(hex(req, 'publicKey', 32), { backend });
  const v = verifyReceipt(hex(req, 'envelope'), options(key, optHex(req, 'binding')));
  const acked = optObject(req, 'acked');
  if (acked !== undefined) {
    const sender = importPublicKey(hex(acked, 'publicKey', 32), { backend });
    const bytes = hex(acked, 'envelope');
    const e = open(bytes, options(sender, optHex(acked, 'binding')));
    const r = v.receipt;
    if (!equalBytes(e.kid, r.kid) || !equalBytes(e.stream, r.stream) || !acknowledges(r, e.seq)) {
      throw new ProtocolError('ERR_RECEIPT_UNSENT', 'the receipt does not acknowledge this envelope');
    }
    if (e.seq === highestAcked(r) && !equalBytes(sha256(bytes), r.hash)) {
      throw new ProtocolError('ERR_RECEIPT_HASH', 'the receipt names another envelope under this seq');
    }
  }
  return { ok: true, receipt: fieldsOf(v.receipt), stream: toHex(v.stream), seq: v.seq, ts: v.ts };
}
