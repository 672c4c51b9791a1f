// The driver's delivery ops (conformance/README.md): the sender's outbox (spec/receipts.md §1, §6)
// and the acknowledging side (§5), each one stateful object per `*.reset`, driven step by step.
import { resealBoundReached } from '../../src/session/delivery.js';
import { toHex } from '../../src/bytes.js';
import { ProtocolError } from '../../src/errors.js';
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { importSigningKey, keyId, type SigningKey } from '../../src/keys/keys.js';
import { KeyRing } from '../../src/keys/keyring.js';
import { seal } from '../../src/envelope/seal.js';
import { Receiver } from '../../src/envelope/receiver.js';
import { decodeEnvelope } from '../../src/wire/envelope.js';
import { Outbox } from '../../src/delivery/outbox.js';
import { ReceiptBuilder } from '../../src/delivery/builder.js';
import { RECEIPT_CONTENT_TYPE } from '../../src/delivery/receipt.js';
import { receiptFromOpened } from '../../src/delivery/verify.js';
import { RequestError, hex, optHex, optUint, uint, type Answer, type Request } from './fields.js';

const APPLICATION_CBOR = 60;

function ringOf(req: Request, backend: Ed25519Backend): KeyRing {
  const ring = new KeyRing({ backend });
  const keys = req['keys'];
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new RequestError('"keys" expected an array of hex public keys');
  for (const [i, k] of keys.entries()) ring.add(hex({ k }, 'k', 32), { issuedAt: 0, identity: `key${i}` });
  return ring;
}

/** A receiver with replay on and the given start; every open passes its own `now`. */
function receiverOf(req: Request, ring: KeyRing): Receiver {
  const window = optUint(req, 'window');
  return new Receiver({ keys: ring, startedAt: uint(req, 'startedAt'), ...(window !== undefined ? { window } : {}) });
}

interface SenderState {
  key: SigningKey;
  outbox: Outbox;
  receiver: Receiver;
  binding: Uint8Array | undefined;
}

interface AckState {
  key: SigningKey;
  receiver: Receiver;
  builder: ReceiptBuilder;
  binding: Uint8Array | undefined;
  /** Receipt stream id (hex) → its next seq: receipts travel on streams of their own, seqs from 0. */
  receiptSeqs: Map<string, number>;
}

export class DeliveryOps {
  #sender: SenderState | undefined;
  #acks: AckState | undefined;

  constructor(readonly backend: Ed25519Backend) {}

  #needSender(): SenderState {
    if (this.#sender === undefined) throw new RequestError('no outbox: send {"op":"outbox.reset"} first');
    return this.#sender;
  }

  #needAcks(): AckState {
    if (this.#acks === undefined) throw new RequestError('no acknowledging side: send {"op":"acks.reset"} first');
    return this.#acks;
  }

  /**
   * `outbox.reset`: a sender with `secretKey` on `stream`, an outbox of `capacity`/`maxBytes`, and a
   * replay-protected receiver for receipts ([RCP-4.2]) over the `keys` ring; `receiverKey` (one of
   * them), when given, is the key that must sign receipts ([RCP-6.3] step 2).
   */
  outboxReset(req: Request): Answer {
    const key = importSigningKey(hex(req, 'secretKey', 32), { backend: this.backend });
    const ring = ringOf(req, this.backend);
    const receiverKey = optHex(req, 'receiverKey');
    const capacity = optUint(req, 'capacity');
    const maxBytes = optUint(req, 'maxBytes');
    const outbox = new Outbox({
      kid: key.kid,
      stream: hex(req, 'stream', 16),
      ...(receiverKey !== undefined ? { receiver: keyId(receiverKey) } : {}),
      ...(capacity !== undefined ? { capacity } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
    });
    this.#sender = { key, outbox, receiver: receiverOf(req, ring), binding: optHex(req, 'binding') };
    return { ok: true };
  }

  /**
   * `outbox.send`: seals `payload` at `ts` with the stream's next seq and holds it, or refuses with
   * `ERR_OUTBOX_FULL` before sealing when the outbox has no room ([RCP-6.2]).
   */
  outboxSend(req: Request): Answer {
    const s = this.#needSender();
    const payload = hex(req, 'payload');
    const ts = uint(req, 'ts');
    if (!s.outbox.writable()) throw new ProtocolError('ERR_OUTBOX_FULL', 'outbox full');
    const envelope = seal(s.key, payload, {
      seq: s.outbox.nextSeq,
      ts,
      stream: s.outbox.stream,
      contentType: APPLICATION_CBOR,
      ...(s.binding ? { binding: s.binding } : {}),
    });
    const seq = s.outbox.push(envelope);
    return { ok: true, seq, envelope: toHex(envelope) };
  }

  /** `outbox.ack`: a receipt envelope through the receiver at `now`, then applied to the outbox. */
  outboxAck(req: Request): Answer {
    const s = this.#needSender();
    const envelope = hex(req, 'envelope');
    // The receipt's binding is the acknowledging side's direction, not this sender's.
    const binding = optHex(req, 'binding');
    const opened = s.receiver.openSync(envelope, { now: uint(req, 'now'), ...(binding ? { binding } : {}) });
    const r = s.outbox.ack(receiptFromOpened(opened));
    return { ok: true, delivered: [...r.delivered], stale: r.stale };
  }

  /** `outbox.state`: the next seq and the pending seqs, ascending. */
  outboxState(): Answer {
    const s = this.#needSender();
    return { ok: true, nextSeq: s.outbox.nextSeq, pending: s.outbox.pendingSeqs() };
  }

  /**
   * `outbox.reseal`: after a reconnect, every pending envelope re-sealed with the same seq for the
   * new `binding` at `ts` ([RCP-6.5]); answers them in the order they are resent.
   */
  outboxReseal(req: Request): Answer {
    const s = this.#needSender();
    const binding = hex(req, 'binding', 33);
    const ts = uint(req, 'ts');
    s.outbox.reseal((old, seq) => {
      const e = decodeEnvelope(old);
      return seal(s.key, e.payload, { seq, ts, stream: s.outbox.stream, contentType: APPLICATION_CBOR, binding });
    });
    s.binding = binding;
    return { ok: true, envelopes: s.outbox.unacked().map(toHex) };
  }

  /**
   * `outbox.resume`: the side asks to resume this state on `binding`: refused with
   * `ERR_RESUME_REFUSED` once it was re-sealed 8 times with no receipt applied since ([HS-7.9],
   * [HS-7.11]); otherwise re-sealed as `outbox.reseal`.
   */
  outboxResume(req: Request): Answer {
    const s = this.#needSender();
    if (resealBoundReached(s.outbox)) return { ok: false, code: 'ERR_RESUME_REFUSED' };
    return this.outboxReseal(req);
  }

  /**
   * `acks.reset`: the acknowledging side with `secretKey`, a replay-protected receiver over the
   * `keys` ring (`startedAt`, optional `window`), and an empty acknowledgement record.
   */
  acksReset(req: Request): Answer {
    const key = importSigningKey(hex(req, 'secretKey', 32), { backend: this.backend });
    const receiver = receiverOf(req, ringOf(req, this.backend));
    this.#acks = { key, receiver, builder: new ReceiptBuilder(), binding: optHex(req, 'binding'), receiptSeqs: new Map() };
    return { ok: true };
  }

  /**
   * `acks.open`: an envelope of a sender at `now`. The acknowledgement range is checked before the
   * replay commit ([RCP-5.2]); an accepted envelope is recorded after it, with its exact bytes
   * ([RCP-5.1]). Answers the accepted seq or the code.
   */
  acksOpen(req: Request): Answer {
    const a = this.#needAcks();
    const envelope = hex(req, 'envelope');
    const opened = a.receiver.openSync(envelope, {
      now: uint(req, 'now'),
      ...(a.binding ? { binding: a.binding } : {}),
      beforeSignature: ({ header }) => a.builder.check({ kid: header.kid, stream: header.stream, seq: header.seq }),
    });
    a.builder.record(opened, envelope);
    return { ok: true, seq: opened.seq };
  }

  /**
   * `acks.receipt`: the receipt for sender stream (`kid`, `stream`) as it stands, sealed at `ts` on
   * `receiptStream` with that stream's next seq; `{"ok":true,"payload":null}` when nothing was
   * recorded for it.
   */
  acksReceipt(req: Request): Answer {
    const a = this.#needAcks();
    const kid = hex(req, 'kid');
    const stream = hex(req, 'stream', 16);
    const receiptStream = hex(req, 'receiptStream', 16);
    const payload = a.builder.payload(kid, stream);
    if (payload === undefined) return { ok: true, payload: null };
    const rs = toHex(receiptStream);
    const seq = a.receiptSeqs.get(rs) ?? 0;
    a.receiptSeqs.set(rs, seq + 1);
    const envelope = seal(a.key, payload, {
      seq,
      ts: uint(req, 'ts'),
      stream: receiptStream,
      contentType: RECEIPT_CONTENT_TYPE,
      ...(a.binding ? { binding: a.binding } : {}),
    });
    return { ok: true, payload: toHex(payload), envelope: toHex(envelope) };
  }
}
