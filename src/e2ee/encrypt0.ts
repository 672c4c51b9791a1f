// The encrypted message (spec/e2ee.md §4.2): one COSE_Encrypt0 (RFC 9052 §5.2) with
// ChaCha20/Poly1305, its chain id and index in the protected header, and an external AAD that
// binds the room, epoch, author and the author envelope's stream and seq.
import { chachaOpen, chachaSeal } from '../crypto/symmetric.js';
import { ProtocolError } from '../errors.js';
import { assertBytes, concatBytes, equalBytes } from '../bytes.js';
import { CborReader, CborTag, encodeCbor, type CborMap } from '../wire/cbor.js';
import type { MessageKey } from './chain.js';
import { ALG_CHACHA20_POLY1305, CHAIN_ID_LENGTH, LABEL, MAX_INDEX, NONCE_LENGTH, TAG_LENGTH } from './suite.js';

const TAG_ENCRYPT0 = 16;
const H_ALG = 1;
const H_IV = 5;
const H_CHAIN = -65601;
const H_INDEX = -65602;

/** Where a message sits: what its external AAD binds. @see [E2E-4.2] */
export interface MessageContext {
  readonly room: string;
  readonly epoch: Uint8Array;
  /** The author's kid. */
  readonly author: Uint8Array;
  /** The author envelope's stream and seq. */
  readonly stream: Uint8Array;
  readonly seq: number;
}

export interface DecodedMessage {
  readonly chain: Uint8Array;
  readonly index: number;
  readonly protectedBytes: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** `"sealwire/e2ee/1" || CBOR([room, epoch, author, stream, seq])`. @see [E2E-4.2] */
export function messageAad(c: MessageContext): Uint8Array {
  return concatBytes(LABEL.aad, encodeCbor([c.room, c.epoch, c.author, c.stream, c.seq]));
}

/** The Enc_structure RFC 9052 §5.3 authenticates. */
function encStructure(protectedBytes: Uint8Array, c: MessageContext): Uint8Array {
  return encodeCbor(['Encrypt0', protectedBytes, messageAad(c)]);
}

export function encodeProtected(chain: Uint8Array, index: number): Uint8Array {
  const m: CborMap = new Map();
  m.set(H_ALG, ALG_CHACHA20_POLY1305);
  m.set(H_CHAIN, chain);
  m.set(H_INDEX, index);
  return encodeCbor(m);
}

/** Encrypts `plaintext` as message `index` of `chain`. @see [E2E-4.2] */
export function encryptMessage(chain: Uint8Array, index: number, key: MessageKey, c: MessageContext, plaintext: Uint8Array): Uint8Array {
  const protectedBytes = encodeProtected(chain, index);
  const ct = chachaSeal(key.key, key.nonce, encStructure(protectedBytes, c), plaintext);
  const unprotected: CborMap = new Map([[H_IV, key.nonce]]);
  return encodeCbor(new CborTag(TAG_ENCRYPT0, [protectedBytes, unprotected, ct]));
}

const malformed = (): ProtocolError => new ProtocolError('ERR_E2EE_MALFORMED', 'malformed encrypted message');

/** A map holding exactly `labels`. */
function exactMap(v: unknown, labels: readonly number[]): CborMap {
  if (!(v instanceof Map) || v.size !== labels.length || !labels.every((l) => v.has(l))) throw malformed();
  return v as CborMap;
}

/**
 * The message's parts, checked for shape only (deterministic CBOR, tag 16, exact headers).
 * @throws {ProtocolError} `ERR_E2EE_MALFORMED` @see [E2E-4.3]
 */
export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  assertBytes(bytes, 'bytes');
  let parts: readonly unknown[];
  let header: unknown;
  try {
    const r = new CborReader(bytes);
    const outer = r.readValue();
    if (r.pos !== r.end) throw malformed();
    if (!(outer instanceof CborTag) || outer.tag !== TAG_ENCRYPT0 || !Array.isArray(outer.value) || outer.value.length !== 3) throw malformed();
    parts = outer.value;
    const p = parts[0];
    if (!(p instanceof Uint8Array)) throw malformed();
    const pr = new CborReader(p);
    header = pr.readValue();
    if (pr.pos !== pr.end) throw malformed();
  } catch {
    throw malformed();
  }
  const [protectedBytes, unprotected, ciphertext] = parts as [Uint8Array, unknown, unknown];
  const h = exactMap(header, [H_ALG, H_CHAIN, H_INDEX]);
  const u = exactMap(unprotected, [H_IV]);
  const chain = h.get(H_CHAIN);
  const index = h.get(H_INDEX);
  const nonce = u.get(H_IV);
  if (h.get(H_ALG) !== ALG_CHACHA20_POLY1305) throw malformed();
  if (!(chain instanceof Uint8Array) || chain.length !== CHAIN_ID_LENGTH) throw malformed();
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index > MAX_INDEX) throw malformed();
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) throw malformed();
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < TAG_LENGTH) throw malformed();
  return { chain, index, protectedBytes, nonce, ciphertext };
}

/**
 * The plaintext of a decoded message under its message key; one code for every failure.
 * @throws {ProtocolError} `ERR_E2EE_DECRYPT` @see [E2E-4.3]
 */
export function decryptMessage(m: DecodedMessage, key: MessageKey, c: MessageContext): Uint8Array {
  try {
    if (!equalBytes(m.nonce, key.nonce)) throw new Error('nonce');
    return chachaOpen(key.key, key.nonce, encStructure(m.protectedBytes, c), m.ciphertext);
  } catch {
    throw new ProtocolError('ERR_E2EE_DECRYPT', 'decryption failed');
  }
}
