// Key distribution (spec/e2ee.md §3): one sender chain key, HPKE-sealed once per device key the
// sender holds, in one post that every member receives byte for byte.
import { ProtocolError } from '../errors.js';
import { assertBytes, concatBytes, equalBytes } from '../bytes.js';
import { decodeWholeArray, encodeCbor } from '../wire/cbor.js';
import { STREAM_ID_LENGTH } from '../wire/envelope.js';
import { CHAIN_ID_LENGTH, CHAIN_KEY_LENGTH, LABEL, MAX_COPIES, SEALED_CHAIN_KEY_LENGTH, X25519_KEY_LENGTH, hpkeSuite } from './suite.js';

export interface Copy {
  readonly recipient: Uint8Array;
  readonly enc: Uint8Array;
  readonly ct: Uint8Array;
}

export interface KeyDistribution {
  readonly room: string;
  readonly epoch: Uint8Array;
  readonly chain: Uint8Array;
  readonly copies: readonly Copy[];
}

export interface Recipient {
  /** The recipient's kid. */
  readonly kid: Uint8Array;
  /** Its X25519 device key. */
  readonly x25519: Uint8Array;
}

/** `"sealwire/e2ee/1 keys" || 00 || CBOR([room, epoch, sender, chain, recipient])`. @see [E2E-3.2] */
export function copyInfo(room: string, epoch: Uint8Array, sender: Uint8Array, chain: Uint8Array, recipient: Uint8Array): Uint8Array {
  return concatBytes(LABEL.keys, Uint8Array.of(0), encodeCbor([room, epoch, sender, chain, recipient]));
}

export function encodeDistribution(d: KeyDistribution): Uint8Array {
  return encodeCbor([d.room, d.epoch, d.chain, d.copies.map((c) => [c.recipient, c.enc, c.ct])]);
}

const malformed = (): ProtocolError => new ProtocolError('ERR_E2EE_MALFORMED', 'malformed key distribution');
const isBytes = (v: unknown, min: number, max = min): v is Uint8Array => v instanceof Uint8Array && v.length >= min && v.length <= max;

/** @throws {ProtocolError} `ERR_E2EE_MALFORMED` @see [E2E-3.3] */
export function decodeDistribution(bytes: Uint8Array): KeyDistribution {
  assertBytes(bytes, 'bytes');
  const v = decodeWholeArray(bytes);
  if (v?.length !== 4) throw malformed();
  const [room, epoch, chain, copies] = v;
  if (typeof room !== 'string' || !isBytes(epoch, STREAM_ID_LENGTH) || !isBytes(chain, CHAIN_ID_LENGTH)) throw malformed();
  if (!Array.isArray(copies) || copies.length < 1 || copies.length > MAX_COPIES) throw malformed();
  const out: Copy[] = [];
  for (const c of copies) {
    if (!Array.isArray(c) || c.length !== 3) throw malformed();
    const [recipient, enc, ct] = c;
    if (!isBytes(recipient, 1, 64) || !isBytes(enc, X25519_KEY_LENGTH) || !isBytes(ct, SEALED_CHAIN_KEY_LENGTH)) throw malformed();
    out.push({ recipient, enc, ct });
  }
  return { room, epoch, chain, copies: out };
}

/**
 * Seals `chainKey` to every recipient: the payload of a key distribution post.
 * @see [E2E-3.2]
 */
export async function sealDistribution(
  d: { room: string; epoch: Uint8Array; sender: Uint8Array; chain: Uint8Array; chainKey: Uint8Array },
  recipients: readonly Recipient[],
): Promise<Uint8Array> {
  if (recipients.length < 1 || recipients.length > MAX_COPIES) throw new RangeError(`"recipients" expected 1–${MAX_COPIES} device keys`);
  if (d.chainKey.length !== CHAIN_KEY_LENGTH || d.chain.length !== CHAIN_ID_LENGTH) throw new TypeError('chain key or id of the wrong length');
  const suite = hpkeSuite();
  const copies = await Promise.all(
    recipients.map(async (r) => {
      const pk = await suite.kem.deserializePublicKey(r.x25519.slice().buffer);
      const sealed = await suite.seal({ recipientPublicKey: pk, info: copyInfo(d.room, d.epoch, d.sender, d.chain, r.kid) }, d.chainKey);
      return { recipient: r.kid, enc: new Uint8Array(sealed.enc), ct: new Uint8Array(sealed.ct) };
    }),
  );
  return encodeDistribution({ room: d.room, epoch: d.epoch, chain: d.chain, copies });
}

export interface OpenContext {
  /** The room and epoch of the post that carried it, and its author's kid. */
  readonly room: string;
  readonly epoch: Uint8Array;
  readonly sender: Uint8Array;
  /** This member's kid and device key. */
  readonly me: Uint8Array;
  readonly privateKey: CryptoKey;
  /** Whether the sender's chain id was accepted before in this room. */
  readonly seen: (chain: Uint8Array) => boolean;
}

/**
 * Checks a distribution in the order of [E2E-3.3]; the chain key when a copy names this member,
 * else undefined (accepted: it was made before the sender held this member's device key).
 * @throws {ProtocolError} `ERR_E2EE_MALFORMED`, `ERR_E2EE_KEY_REPLAY`, `ERR_E2EE_DECRYPT`
 * @see [E2E-3.3]
 */
export async function openDistribution(bytes: Uint8Array, c: OpenContext): Promise<{ chain: Uint8Array; chainKey: Uint8Array | undefined }> {
  const d = decodeDistribution(bytes);
  if (d.room !== c.room || !equalBytes(d.epoch, c.epoch)) throw new ProtocolError('ERR_E2EE_KEY_REPLAY', 'key distribution made for another room or epoch');
  if (c.seen(d.chain)) throw new ProtocolError('ERR_E2EE_KEY_REPLAY', 'key distribution seen before');
  const mine = d.copies.find((x) => equalBytes(x.recipient, c.me));
  if (mine === undefined) return { chain: d.chain, chainKey: undefined };
  try {
    const pt = await hpkeSuite().open({ recipientKey: c.privateKey, enc: mine.enc, info: copyInfo(c.room, c.epoch, c.sender, d.chain, c.me) }, mine.ct);
    if (pt.byteLength !== CHAIN_KEY_LENGTH) throw new Error('length');
    return { chain: d.chain, chainKey: new Uint8Array(pt) };
  } catch {
    throw new ProtocolError('ERR_E2EE_DECRYPT', 'decryption failed');
  }
}

/** A key request's payload: the sender asked, and the chain a message was held for. @see [E2E-6.2] */
export function encodeKeyRequest(sender: Uint8Array, chain: Uint8Array): Uint8Array {
  return encodeCbor([sender, chain]);
}

/** @throws {ProtocolError} `ERR_E2EE_MALFORMED` @see [E2E-6.2] */
export function decodeKeyRequest(bytes: Uint8Array): { sender: Uint8Array; chain: Uint8Array } {
  assertBytes(bytes, 'bytes');
  const v = decodeWholeArray(bytes);
  const [sender, chain] = v ?? [];
  if (v?.length !== 2 || !isBytes(sender, 1, 64) || !isBytes(chain, CHAIN_ID_LENGTH)) throw new ProtocolError('ERR_E2EE_MALFORMED', 'malformed key request');
  return { sender, chain };
}
