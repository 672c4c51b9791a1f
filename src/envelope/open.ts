// Verifying side of the pipeline, in the fixed order of spec/envelope.md §8:
// size → decode → header → key and validity → [freshness, replay pre-check] → signature → [commit].
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { assertBytes, assertSafeUint } from '../bytes.js';
import { verifyStrict } from '../crypto/ed25519.js';
import { checkValidity, KeyRing, type KeyEntry } from '../keys/keyring.js';
import { isPublicKey, type PublicKey } from '../keys/keys.js';
import { equalBytes } from '../bytes.js';
import { sigStructureScratch } from '../wire/sig-structure.js';
import { decodeEnvelope, externalAad, sigStructure, type ContentType, type DecodedEnvelope } from '../wire/envelope.js';

/** Default cap on one envelope's encoded size: small on purpose (spec/envelope.md §8.1). */
export const DEFAULT_MAX_ENVELOPE_SIZE = 64 * 1024;

export interface OpenOptions {
  /** The trusted keys: a key ring, or one imported public key. */
  keys: KeyRing | PublicKey;
  aad?: Uint8Array;
  binding?: Uint8Array;
  /** Envelopes longer than this are refused before any decoding. Default 64 KiB. */
  maxEnvelopeSize?: number;
}

/** A verified envelope. `payload` is a view into the input: copy it to keep it past the input. */
export interface Opened {
  readonly payload: Uint8Array;
  readonly seq: number;
  readonly ts: number;
  readonly stream: Uint8Array;
  readonly kid: Uint8Array;
  readonly contentType: ContentType;
  /** The key ring's identity for the key, when it has one. */
  readonly identity: string | undefined;
}

/** An envelope that passed every check up to, not including, the signature. */
export interface Resolved {
  readonly decoded: DecodedEnvelope;
  readonly entry: KeyEntry;
}

function singleKeyEntry(key: PublicKey): KeyEntry {
  return {
    key,
    kid: key.kid,
    identity: undefined,
    notBefore: 0,
    notAfter: Number.MAX_SAFE_INTEGER,
    issuedAt: 0,
    revoked: false,
  };
}

/** Stages 1–4: the cheap checks. Throws ProtocolError. */
export function resolveEnvelope(envelope: Uint8Array, options: OpenOptions): Resolved {
  assertBytes(envelope, 'envelope');
  // NaN or a non-number would make the size comparison false and silently lift the cap.
  if (options.maxEnvelopeSize !== undefined) assertSafeUint(options.maxEnvelopeSize, 'maxEnvelopeSize');
  const max = options.maxEnvelopeSize ?? DEFAULT_MAX_ENVELOPE_SIZE;
  if (envelope.length > max) throw new ProtocolError('ERR_TOO_LARGE', `envelope exceeds ${max} bytes`);
  const decoded = decodeEnvelope(envelope);
  const { keys } = options;
  let entry: KeyEntry;
  if (keys instanceof KeyRing) {
    entry = keys.resolve(decoded.header.kid, decoded.header.ts);
  } else {
    if (!equalBytes(keys.kid, decoded.header.kid)) throw new ProtocolError('ERR_UNKNOWN_KEY', 'unknown key id');
    entry = checkValidity(singleKeyEntry(keys), decoded.header.ts);
  }
  return { decoded, entry };
}

/**
 * The same bytes in a reused buffer, valid until the next call: only for a verification that
 * finishes before anything else runs (the synchronous backends). Saves an allocation and a payload
 * copy per envelope.
 */
export function signingInputScratch(resolved: Resolved, aad: Uint8Array | undefined, binding: Uint8Array | undefined): Uint8Array {
  const { decoded } = resolved;
  return sigStructureScratch(decoded.protectedBytes, externalAad(aad, binding), decoded.payload);
}

/** The bytes the signature covers: Sig_structure with sealwire's external_aad. */
export function signingInput(resolved: Resolved, aad: Uint8Array | undefined, binding: Uint8Array | undefined): Uint8Array {
  const { decoded } = resolved;
  return sigStructure(decoded.protectedBytes, externalAad(aad, binding), decoded.payload);
}

/** Stage 6: the signature over the Sig_structure. Throws ERR_BAD_SIGNATURE, always the same message. */
function verifyResolved(resolved: Resolved, aad: Uint8Array | undefined, binding: Uint8Array | undefined): Opened {
  const { decoded, entry } = resolved;
  if (!verifyStrict(entry.key.backend, entry.key.handle, signingInputScratch(resolved, aad, binding), decoded.signature)) {
    throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
  }
  return toOpened(resolved);
}

/** The caller's view of a resolved envelope whose signature has been checked. */
export function toOpened(resolved: Resolved): Opened {
  const { decoded, entry } = resolved;
  const h = decoded.header;
  return {
    payload: decoded.payload,
    seq: h.seq,
    ts: h.ts,
    stream: h.stream,
    kid: h.kid,
    contentType: h.contentType,
    identity: entry.identity,
  };
}

/**
 * Verifies one envelope statelessly: integrity, authenticity and key validity at the envelope's
 * time, with no replay state — what an auditor needs to check a message offline, later. Live
 * receivers use a `Receiver`, which adds freshness and replay protection around the same steps.
 *
 * @throws {ProtocolError} decode codes (`ERR_TRUNCATED` … `ERR_UNSUPPORTED_VERSION`),
 *   `ERR_TOO_LARGE`, key codes (`ERR_UNKNOWN_KEY`, `ERR_KEY_REVOKED`, `ERR_KEY_EXPIRED`,
 *   `ERR_KEY_NOT_YET_VALID`) and `ERR_BAD_SIGNATURE`.
 * @example
 * ```ts
 * const ring = new KeyRing()
 * ring.add(alicePublicKey, { identity: 'alice' })
 * const { payload, seq, identity } = open(envelope, { keys: ring })
 * ```
 */
export function open(envelope: Uint8Array, options: OpenOptions): Opened {
  if (options === null || typeof options !== 'object' || !(options.keys instanceof KeyRing || isPublicKey(options.keys))) {
    throw new TypeError('"options.keys" expected a KeyRing or a PublicKey from importPublicKey()');
  }
  if (options.aad !== undefined) assertBytes(options.aad, 'aad');
  if (options.binding !== undefined) assertBytes(options.binding, 'binding');
  return verifyResolved(resolveEnvelope(envelope, options), options.aad, options.binding);
}
