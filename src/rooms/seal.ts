// Sealing and opening with a room role's external_aad (spec/rooms.md §2–§4). The envelope is the
// v1 envelope of spec/envelope.md; only the external_aad differs from a session's.
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { verifyStrict } from '../crypto/ed25519.js';
import { isAsyncSigningKey, signAsyncChecked, type AsyncSigningKey, type PublicKey, type SigningKey } from '../keys/keys.js';
import { resolveEnvelope, type Resolved } from '../envelope/open.js';
import { ALG_EDDSA, encodeEnvelope, encodeProtectedHeader, sigStructure, type ContentType } from '../wire/envelope.js';
import { sigStructureScratch } from '../wire/sig-structure.js';
import type { Preverified, SignatureCheck } from './preverify.js';

export interface RoomHeader {
  readonly contentType: ContentType;
  readonly stream: Uint8Array;
  readonly seq: number;
  readonly ts: number;
}

/** The parts of an envelope before its signature: what a batch leaf is made of ([ROOM-5.1]). */
export interface Unsigned {
  readonly protectedBytes: Uint8Array;
  readonly payload: Uint8Array;
  readonly toBeSigned: Uint8Array;
}

export function prepareRoom(kid: Uint8Array, h: RoomHeader, payload: Uint8Array, aad: Uint8Array): Unsigned {
  const protectedBytes = encodeProtectedHeader({ alg: ALG_EDDSA, contentType: h.contentType, kid, seq: h.seq, ts: h.ts, stream: h.stream });
  return { protectedBytes, payload, toBeSigned: sigStructure(protectedBytes, aad, payload) };
}

/** Signs with either kind of key: a promise only for an asynchronous one. */
function signWith(key: SigningKey | AsyncSigningKey, message: Uint8Array): Uint8Array | Promise<Uint8Array> {
  return isAsyncSigningKey(key) ? signAsyncChecked(key, message) : key.sign(message);
}

function finish(u: Unsigned, signature: Uint8Array): Uint8Array {
  return encodeEnvelope(u.protectedBytes, u.payload, signature);
}

/** Signs and encodes one envelope with either kind of key: a promise only for an asynchronous one. */
export function sealWithKey(key: SigningKey | AsyncSigningKey, u: Unsigned): Uint8Array | Promise<Uint8Array> {
  const sig = signWith(key, u.toBeSigned);
  return sig instanceof Promise ? sig.then((s) => finish(u, s)) : finish(u, sig);
}

/** Seals with a synchronous key, at once (tests build forged frames with it). */
export function sealRoom(key: SigningKey, h: RoomHeader, payload: Uint8Array, aad: Uint8Array): Uint8Array {
  const u = prepareRoom(key.kid, h, payload, aad);
  return finish(u, key.sign(u.toBeSigned));
}

/**
 * Decodes and checks an envelope up to its signature against one key (size, decoding, kid):
 * `ERR_SESSION_KEY` when it names another kid than `key`'s.
 */
export function resolveFor(bytes: Uint8Array, key: PublicKey, maxEnvelopeSize: number): Resolved {
  try {
    return resolveEnvelope(bytes, { keys: key, maxEnvelopeSize });
  } catch (err) {
    if (err instanceof ProtocolError && err.code === 'ERR_UNKNOWN_KEY') throw new ProtocolError('ERR_SESSION_KEY', 'not the expected key');
    throw err;
  }
}

/**
 * Signatures verified ahead (checked against), or a list to fill with the signatures a frame's
 * checks need (then nothing is verified: the caller verifies them and checks again).
 */
export type SignatureSink = Preverified | SignatureCheck[];

/**
 * The signature of a resolved envelope under `aad`, unless `pre` holds it verified already.
 * @throws ERR_BAD_SIGNATURE
 */
export function verifyResolvedWith(resolved: Resolved, aad: Uint8Array, pre?: SignatureSink): void {
  const { decoded, entry } = resolved;
  if (Array.isArray(pre)) {
    // Listing what a frame's checks will verify, to verify it ahead: nothing is decided here.
    pre.push({ key: entry.key, message: sigStructure(decoded.protectedBytes, aad, decoded.payload), signature: decoded.signature.slice() });
    return;
  }
  const input = sigStructureScratch(decoded.protectedBytes, aad, decoded.payload);
  if (pre?.has(entry.key, input, decoded.signature) === true) return;
  if (!verifyStrict(entry.key.backend, entry.key.handle, input, decoded.signature)) {
    throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
  }
}
