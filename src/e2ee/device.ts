// Device keys (spec/e2ee.md §2): a member's X25519 key, published in a statement its identity key
// signs, so the server that forwards it cannot substitute another.
import { ProtocolError } from '../errors.js';
import { assertBytes, equalBytes, randomBytes, utf8Encoder } from '../bytes.js';
import type { AsyncSigningKey, PublicKey, SigningKey } from '../keys/keys.js';
import { decodeWholeArray, encodeCbor } from '../wire/cbor.js';
import { decodeEnvelope, STREAM_ID_LENGTH } from '../wire/envelope.js';
import { prepareRoom, resolveFor, sealWithKey, verifyResolvedWith } from '../rooms/seal.js';
import { DEVICE_CONTENT_TYPE, X25519_KEY_LENGTH, hpkeSuite } from './suite.js';

/** external_aad of a device statement: "sealwire/1" || 03 (encrypted rooms) || 01 (device). @see [E2E-2.1] */
export const DEVICE_AAD = Uint8Array.from([...utf8Encoder.encode('sealwire/1'), 0x03, 0x01]);

/** A member's X25519 key pair; `privateKey` is the HPKE library's opaque key. */
export interface DeviceKey {
  readonly publicKey: Uint8Array;
  readonly privateKey: CryptoKey;
  /** The 32-byte seed it was derived from: what an application keeps to reuse the device key. */
  readonly seed: Uint8Array;
}

/**
 * A device key derived from a 32-byte seed with the KEM's DeriveKeyPair (RFC 9180 §7.1.3), from
 * a fresh random seed when none is given.
 * @example
 * ```ts
 * const device = await generateDeviceKey()
 * localStorage.setItem('device', toHex(device.seed)) // the same device key next time
 * ```
 */
export async function generateDeviceKey(seed: Uint8Array = randomBytes(32)): Promise<DeviceKey> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new TypeError('"seed" expected 32 bytes');
  const kem = hpkeSuite().kem;
  const pair = await kem.deriveKeyPair(seed.slice().buffer);
  const publicKey = new Uint8Array(await kem.serializePublicKey(pair.publicKey));
  return { publicKey, privateKey: pair.privateKey, seed: seed.slice() };
}

/**
 * The device statement: `[x25519]` signed by the member's identity key, on a random device id.
 * @see [E2E-2.1]
 */
export function signDeviceStatement(key: SigningKey | AsyncSigningKey, device: Uint8Array, now: number): Uint8Array | Promise<Uint8Array> {
  if (!(device instanceof Uint8Array) || device.length !== X25519_KEY_LENGTH) throw new TypeError('"device" expected a 32-byte X25519 public key');
  const u = prepareRoom(
    key.kid,
    { contentType: DEVICE_CONTENT_TYPE, stream: randomBytes(STREAM_ID_LENGTH), seq: 0, ts: now },
    encodeCbor([device]),
    DEVICE_AAD,
  );
  return sealWithKey(key, u);
}

export interface DeviceStatement {
  readonly kid: Uint8Array;
  readonly x25519: Uint8Array;
  readonly ts: number;
}

/**
 * Checks a device statement posted by `author`, in the order of [E2E-2.1].
 * @throws {ProtocolError} `ERR_E2EE_MALFORMED`, `ERR_E2EE_DEVICE_KEY`
 * @see [E2E-2.1]
 */
export function verifyDeviceStatement(bytes: Uint8Array, author: PublicKey, maxEnvelopeSize: number): DeviceStatement {
  assertBytes(bytes, 'bytes');
  let header;
  try {
    header = decodeEnvelope(bytes).header;
  } catch {
    throw new ProtocolError('ERR_E2EE_MALFORMED', 'malformed device statement');
  }
  if (!equalBytes(header.kid, author.kid) || header.contentType !== DEVICE_CONTENT_TYPE) {
    throw new ProtocolError('ERR_E2EE_DEVICE_KEY', 'device statement not signed by its author');
  }
  let payload: Uint8Array;
  try {
    const resolved = resolveFor(bytes, author, maxEnvelopeSize);
    verifyResolvedWith(resolved, DEVICE_AAD);
    payload = resolved.decoded.payload;
  } catch {
    throw new ProtocolError('ERR_E2EE_DEVICE_KEY', 'device statement signature verification failed');
  }
  const v = decodeWholeArray(payload);
  const x = v?.[0];
  if (v?.length !== 1 || !(x instanceof Uint8Array) || x.length !== X25519_KEY_LENGTH) throw new ProtocolError('ERR_E2EE_MALFORMED', 'malformed device key');
  return { kid: header.kid.slice(), x25519: x.slice(), ts: header.ts };
}
