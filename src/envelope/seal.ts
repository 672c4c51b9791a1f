// Signing side of the pipeline: header → Sig_structure → signature → envelope bytes.
import { assertBytes, assertSafeUint, payloadBytes } from '../bytes.js';
import { isAsyncSigningKey, signAsyncChecked, type AsyncSigningKey, type SigningKey } from '../keys/keys.js';
import {
  ALG_ED25519,
  ALG_EDDSA,
  DEFAULT_CONTENT_TYPE,
  STREAM_ID_LENGTH,
  encodeEnvelope,
  encodeProtectedHeader,
  externalAad,
  isMediaType,
  sigStructure,
  type ContentType,
} from '../wire/envelope.js';

export interface SealOptions {
  /** Per-stream sequence number, below 2^53; the caller (or a `Sender`) keeps it monotonic. */
  seq: number;
  /** 16-byte stream id, random per sender stream. */
  stream: Uint8Array;
  /** Milliseconds since the Unix epoch. Default: `Date.now()`. */
  ts?: number;
  /** CoAP content-format number or media type. Default: 42 (application/octet-stream). */
  contentType?: ContentType;
  /** Application context both sides know and never send (spec/envelope.md §6). */
  aad?: Uint8Array;
  /** Session binding from the handshake: session id (32 bytes) || direction (1 byte). */
  binding?: Uint8Array;
  /** Emit the fully specified `Ed25519` (-19) instead of `EdDSA` (-8). Default: -8. */
  alg?: typeof ALG_EDDSA | typeof ALG_ED25519;
}

/**
 * Seals `payload` (bytes, or a string sealed as its UTF-8 bytes) into a signed sealwire v1 envelope.
 *
 * @throws {TypeError|RangeError} on developer misuse (the argument is named).
 * @example
 * ```ts
 * const key = importSigningKey(secretKey)
 * const envelope = seal(key, new TextEncoder().encode('hi'), { seq: 0, stream })
 * ```
 */
export function seal(key: SigningKey, payload: Uint8Array | string, options: SealOptions): Uint8Array {
  if (key === null || typeof key !== 'object' || typeof key.sign !== 'function') {
    throw new TypeError('"key" expected a SigningKey from importSigningKey()');
  }
  const bytes = payloadBytes(payload);
  const { protectedBytes, toBeSigned } = prepare(key.kid, bytes, options);
  return encodeEnvelope(protectedBytes, bytes, key.sign(toBeSigned));
}

/**
 * {@link seal} with a key that signs asynchronously. Everything but the signature is checked and
 * encoded before this returns, so a bad argument throws at the call.
 *
 * @throws {TypeError|RangeError} on developer misuse (the argument is named).
 * Rejects with whatever the key's `signAsync` rejects with, or a TypeError for a signature that is
 * not 64 bytes.
 * @example
 * ```ts
 * const envelope = await sealAsync(await importCryptoKeyPair(pair), payload, { seq: 0, stream })
 * ```
 */
export function sealAsync(key: AsyncSigningKey, payload: Uint8Array | string, options: SealOptions): Promise<Uint8Array> {
  if (!isAsyncSigningKey(key)) throw new TypeError('"key" expected an AsyncSigningKey');
  const bytes = payloadBytes(payload);
  const { protectedBytes, toBeSigned } = prepare(key.kid, bytes, options);
  const body = bytes.slice(); // the caller may reuse its buffer before the signature arrives
  return signAsyncChecked(key, toBeSigned).then((signature) => encodeEnvelope(protectedBytes, body, signature));
}

function prepare(kid: Uint8Array, payload: Uint8Array, options: SealOptions): { protectedBytes: Uint8Array; toBeSigned: Uint8Array } {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
  const { seq, stream, aad, binding } = options;
  assertSafeUint(seq, 'seq');
  assertBytes(stream, 'stream', STREAM_ID_LENGTH);
  const ts = options.ts ?? Date.now();
  assertSafeUint(ts, 'ts');
  const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
  if (typeof contentType === 'number' ? !(Number.isInteger(contentType) && contentType >= 0 && contentType <= 0xffff) : !isMediaType(contentType)) {
    throw new RangeError('"contentType" expected a uint16 content format or a media type');
  }
  if (aad !== undefined) assertBytes(aad, 'aad');
  if (binding !== undefined) assertBytes(binding, 'binding');
  const alg = options.alg ?? ALG_EDDSA;
  if (alg !== ALG_EDDSA && alg !== ALG_ED25519) throw new RangeError('"alg" expected -8 or -19');
  const protectedBytes = encodeProtectedHeader({ alg, contentType, kid, seq, ts, stream });
  return { protectedBytes, toBeSigned: sigStructure(protectedBytes, externalAad(aad, binding), payload) };
}
