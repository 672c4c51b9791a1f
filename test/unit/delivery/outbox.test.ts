// spec/receipts.md §6: the sender's outbox, delivery state, and the rules a receipt must pass.
import { describe, expect, it } from 'vitest';
import {
  KeyRing,
  Receiver,
  Sender,
  generateKeyPair,
  importSigningKey,
  seal,
  verifyReceipt,
  type ErrorCode,
} from '../../../src/index.js';
import { Outbox, ReceiptBuilder, receiptFromOpened } from '../../../src/protocol.js';

const code = (c: ErrorCode) => expect.objectContaining({ name: 'ProtocolError', code: c });
const enc = new TextEncoder();

const aliceKey = importSigningKey(generateKeyPair().secretKey);
const serverPair = generateKeyPair();
const serverKey = importSigningKey(serverPair.secretKey);
const otherKey = importSigningKey(generateKeyPair().secretKey);
const ring = new KeyRing();
ring.add(aliceKey.publicKey, { identity: 'alice' });
ring.add(serverPair.publicKey, { identity: 'server' });
ring.add(otherKey.publicKey, { identity: 'other' });

/** Alice's stream with an outbox, and a server that acknowledges on its own receipt stream. */
function setup(options: { capacity?: number; maxBytes?: number } = {}) {
  const sender = new Sender(aliceKey);
  const events: { delivered: number[][]; drains: number } = { delivered: [], drains: 0 };
  const outbox = new Outbox({
    kid: aliceKey.kid,
    stream: sender.stream,
    receiver: serverKey.kid,
    ...options,
    onDelivered: (seqs) => events.delivered.push([...seqs]),
    onDrain: () => events.drains++,
  });
  const sent: Uint8Array[] = [];
  const send = (n: number) => {
    for (let i = 0; i < n; i++) {
      const env = sender.seal(enc.encode(`message ${sender.nextSeq}`));
      outbox.push(env);
      sent.push(env);
    }
  };
  const receiptSender = new Sender(serverKey);
  const builder = new ReceiptBuilder({ seal: (p, ct) => receiptSender.seal(p, { contentType: ct }) });
  const accept = (...seqs: number[]) => {
    for (const s of seqs) builder.record({ kid: aliceKey.kid, stream: sender.stream, seq: s }, sent[s]!);
  };
  const receipt = () => verifyReceipt(builder.receipt(aliceKey.kid, sender.stream), { keys: ring });
  return { sender, outbox, events, sent, send, builder, accept, receipt, receiptSender };
}

describe('Outbox: bounded buffer and overflow policy (spec/receipts.md §6.2)', () => {
  it('refuses the envelope past capacity with ERR_OUTBOX_FULL (close code 4095), then drains on a receipt', () => {
    const t = setup({ capacity: 4 });
    t.send(4);
    expect(t.outbox.writable()).toBe(false);
    const fifth = t.sender.seal(enc.encode('x'));
    expect(() => t.outbox.push(fifth)).toThrow(expect.objectContaining({ code: 'ERR_OUTBOX_FULL', closeCode: 4095 }));
    expect(t.outbox.size).toBe(4);
    t.accept(0, 1);
    expect(t.outbox.ack(t.receipt()).delivered).toEqual([0, 1]);
    expect(t.events.drains).toBe(1);
    expect(t.outbox.writable()).toBe(true);
  });

  it('bounds bytes too', () => {
    const t = setup({ maxBytes: 400 });
    t.send(2);
    const big = t.sender.seal(new Uint8Array(400 - t.outbox.bytes));
    expect(t.outbox.writable(big.length)).toBe(false);
    expect(() => t.outbox.push(big)).toThrow(code('ERR_OUTBOX_FULL'));
  });

  it('takes only this stream’s next envelope, and validates its limits', () => {
    const t = setup();
    t.send(1);
    const s = new Sender(aliceKey, { stream: t.sender.stream, seq: 2 });
    expect(() => t.outbox.push(s.seal(new Uint8Array(0)))).toThrow(/expected 1/);
    expect(() => t.outbox.push(new Sender(aliceKey).seal(new Uint8Array(0)))).toThrow(RangeError);
    expect(() => t.outbox.push(new Sender(otherKey, { stream: t.sender.stream, seq: 1 }).seal(new Uint8Array(0)))).toThrow(RangeError);
    for (const capacity of [0, 1025, 1.5, Number.NaN]) {
      expect(() => new Outbox({ kid: aliceKey.kid, stream: t.sender.stream, capacity })).toThrow(RangeError);
    }
    expect(() => new Outbox({ kid: aliceKey.kid, stream: new Uint8Array(15) })).toThrow(RangeError);
  });
});

describe('Outbox: receipts with gaps, delivery state, resend (spec/receipts.md §6.3–§6.5)', () => {
  it('applies a cumulative ack plus selective acks and reports delivery per message', () => {
    const t = setup();
    t.send(10);
    t.accept(0, 1, 2, 5, 7);
    const result = t.outbox.ack(t.receipt());
    expect(result).toEqual({ delivered: [0, 1, 2, 5, 7], stale: false });
    expect(t.events.delivered).toEqual([[0, 1, 2, 5, 7]]);
    expect([0, 3, 5, 9, 10].map((s) => t.outbox.state(s))).toEqual(['delivered', 'pending', 'delivered', 'pending', 'unsent']);
    expect(t.outbox.pendingSeqs()).toEqual([3, 4, 6, 8, 9]);
    t.accept(3, 4, 6);
    expect(t.outbox.ack(t.receipt()).delivered).toEqual([3, 4, 6]);
    expect(t.outbox.pendingSeqs()).toEqual([8, 9]);
  });

  it('after a disconnect, unacked() is exactly the unacknowledged envelopes in order; resending them delivers each once', () => {
    const t = setup();
    const server = new Receiver({ keys: ring, startedAt: 0 });
    const delivered: number[] = [];
    const deliver = (env: Uint8Array) => {
      try {
        const o = server.openSync(env);
        t.builder.record(o, env);
        delivered.push(o.seq);
      } catch (err) {
        expect(err).toMatchObject({ code: 'ERR_REPLAY' });
      }
    };
    t.send(12);
    // The connection drops mid-stream: 0–4 and 7 arrive, 5, 6, 8… are lost; the only receipt
    // that reaches alice covers 0–2, the next one (covering 3, 4, 7) is lost with the connection.
    for (const s of [0, 1, 2]) deliver(t.sent[s]!);
    t.outbox.ack(t.receipt());
    for (const s of [3, 4, 7]) deliver(t.sent[s]!);
    t.builder.receipt(aliceKey.kid, t.sender.stream); // lost

    const resend = t.outbox.unacked();
    expect(resend).toEqual(t.sent.slice(3));
    for (const env of resend) deliver(env);
    expect(delivered).toEqual([0, 1, 2, 3, 4, 7, 5, 6, 8, 9, 10, 11]);
    expect(t.outbox.ack(t.receipt()).delivered).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(t.outbox.unacked()).toEqual([]);
    expect(t.outbox.size).toBe(0);
    expect(t.outbox.bytes).toBe(0);
  });

  it('accepts a receipt naming an earlier version of a resealed envelope, and the new one', () => {
    const t = setup();
    t.send(3);
    t.accept(0, 1); // the server accepted the first versions of 0 and 1
    const binding = new Uint8Array(33).fill(9);
    const resealed = new Map<number, Uint8Array>();
    t.outbox.reseal((_old, seq) => {
      const env = seal(aliceKey, enc.encode(`message ${seq}`), { seq, stream: t.sender.stream, binding });
      resealed.set(seq, env);
      return env;
    });
    expect(t.outbox.unacked()).toEqual([resealed.get(0), resealed.get(1), resealed.get(2)]);
    expect(t.outbox.ack(t.receipt()).delivered).toEqual([0, 1]);
    t.builder.record({ kid: aliceKey.kid, stream: t.sender.stream, seq: 2 }, resealed.get(2)!);
    expect(t.outbox.ack(t.receipt()).delivered).toEqual([2]);
    expect(() => t.outbox.reseal(() => t.sent[0]!)).not.toThrow(); // nothing pending: fn not called
  });

  it('counts re-sealings since the last applied receipt ([HS-7.9]); an empty outbox adds nothing', () => {
    const t = setup();
    const binding = new Uint8Array(33).fill(9);
    const again = (): void =>
      t.outbox.reseal((_old, seq) => seal(aliceKey, enc.encode(`message ${seq}`), { seq, stream: t.sender.stream, binding }));
    t.outbox.reseal(() => t.sent[0]!);
    expect(t.outbox.resealsSinceReceipt).toBe(0);
    t.send(2);
    again();
    again();
    expect(t.outbox.resealsSinceReceipt).toBe(2);
    t.accept(0);
    t.outbox.ack(t.receipt()); // seq 1 still pending, but the peer has spoken
    expect(t.outbox.resealsSinceReceipt).toBe(0);
    again();
    expect(t.outbox.resealsSinceReceipt).toBe(1);
  });
});

describe('Outbox: receipts it must refuse (spec/receipts.md §6.3–§6.4)', () => {
  it('a receipt acknowledging a seq never sent: ERR_RECEIPT_UNSENT, nothing changes', () => {
    const t = setup();
    t.send(3);
    // The server "accepted" seq 3, which this outbox never sent (sealed but never pushed).
    const extra = t.sender.seal(enc.encode('never pushed'));
    t.accept(0, 1, 2);
    t.builder.record({ kid: aliceKey.kid, stream: t.sender.stream, seq: 3 }, extra);
    expect(() => t.outbox.ack(t.receipt())).toThrow(code('ERR_RECEIPT_UNSENT'));
    expect(t.outbox.pendingSeqs()).toEqual([0, 1, 2]);
  });

  it('a receipt for another stream: ERR_RECEIPT_UNSENT; signed by another key than the receiver: ERR_UNKNOWN_KEY', () => {
    const t = setup();
    t.send(2);
    const u = setup();
    u.send(2);
    u.accept(0);
    expect(() => t.outbox.ack(u.receipt())).toThrow(code('ERR_RECEIPT_UNSENT'));
    t.accept(0);
    const payload = t.builder.payload(aliceKey.kid, t.sender.stream)!;
    const byOther = new Sender(otherKey).seal(payload, { contentType: 'application/vnd.sealwire.receipt+cbor' });
    expect(() => t.outbox.ack(verifyReceipt(byOther, { keys: ring }))).toThrow(code('ERR_UNKNOWN_KEY'));
    expect(t.outbox.pendingSeqs()).toEqual([0, 1]);
  });

  it('a receipt that un-acknowledges: ERR_RECEIPT_REGRESSED', () => {
    const t = setup();
    t.send(6);
    t.accept(0, 1, 2, 3, 5);
    t.outbox.ack(t.receipt());
    // A later receipt on the same receipt stream from a builder that forgot 5 (and 3).
    const liar = new ReceiptBuilder({ seal: (p, ct) => t.receiptSender.seal(p, { contentType: ct }) });
    for (const s of [0, 1, 2]) liar.record({ kid: aliceKey.kid, stream: t.sender.stream, seq: s }, t.sent[s]!);
    const regressed = verifyReceipt(liar.receipt(aliceKey.kid, t.sender.stream), { keys: ring });
    expect(() => t.outbox.ack(regressed)).toThrow(code('ERR_RECEIPT_REGRESSED'));
    liar.record({ kid: aliceKey.kid, stream: t.sender.stream, seq: 4 }, t.sent[4]!);
    liar.record({ kid: aliceKey.kid, stream: t.sender.stream, seq: 3 }, t.sent[3]!);
    // next = 5 but 5 (delivered) is no longer acknowledged: still a regression.
    expect(() => t.outbox.ack(verifyReceipt(liar.receipt(aliceKey.kid, t.sender.stream), { keys: ring }))).toThrow(
      code('ERR_RECEIPT_REGRESSED'),
    );
    expect(t.outbox.pendingSeqs()).toEqual([4]);
  });

  it('a replayed (stale) receipt changes nothing; an older one that says more is a regression', () => {
    const t = setup();
    t.send(6);
    t.accept(0, 1);
    const first = t.receipt();
    t.accept(2, 3);
    const second = t.receipt();
    expect(t.outbox.ack(second).delivered).toEqual([0, 1, 2, 3]);
    expect(t.outbox.ack(first)).toEqual({ delivered: [], stale: true });
    expect(t.outbox.ack(second)).toEqual({ delivered: [], stale: true });

    const u = setup();
    u.send(4);
    u.accept(0, 1, 2);
    const older = u.receipt(); // receipt seq 0 acknowledges 0–2
    const liar = new ReceiptBuilder({ seal: (p, ct) => u.receiptSender.seal(p, { contentType: ct }) });
    liar.record({ kid: aliceKey.kid, stream: u.sender.stream, seq: 0 }, u.sent[0]!);
    u.outbox.ack(verifyReceipt(liar.receipt(aliceKey.kid, u.sender.stream), { keys: ring })); // seq 1: only 0
    expect(() => u.outbox.ack(older)).toThrow(code('ERR_RECEIPT_REGRESSED'));
    expect(u.outbox.pendingSeqs()).toEqual([1, 2, 3]);
  });

  it('a receipt whose hash is not of the envelope sent: ERR_RECEIPT_HASH', () => {
    const t = setup();
    t.send(3);
    t.accept(0, 1);
    // The server claims it accepted other bytes under seq 2 (an equivocation it cannot prove).
    const other = seal(aliceKey, enc.encode('other'), { seq: 2, stream: t.sender.stream });
    t.builder.record({ kid: aliceKey.kid, stream: t.sender.stream, seq: 2 }, other);
    expect(() => t.outbox.ack(t.receipt())).toThrow(code('ERR_RECEIPT_HASH'));
    expect(t.outbox.pendingSeqs()).toEqual([0, 1, 2]);
  });

  it('a receipt replayed through the receipt stream’s Receiver never reaches the outbox', () => {
    const t = setup();
    t.send(2);
    t.accept(0, 1);
    const bytes = t.builder.receipt(aliceKey.kid, t.sender.stream);
    const alicesReceiver = new Receiver({ keys: ring, startedAt: 0 });
    expect(t.outbox.ack(receiptFromOpened(alicesReceiver.openSync(bytes))).delivered).toEqual([0, 1]);
    expect(() => alicesReceiver.openSync(bytes)).toThrow(code('ERR_REPLAY'));
  });

  it('hostile values given as a receipt are TypeErrors', () => {
    const t = setup();
    for (const v of [null, undefined, 1, 'x', {}, []]) expect(() => t.outbox.ack(v as never)).toThrow(TypeError);
  });
});
