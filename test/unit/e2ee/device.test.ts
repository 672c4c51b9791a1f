// Device statements ([E2E-2.1]): signed by the identity key; a substituted X25519 key, another
// signer or another content type is ERR_E2EE_DEVICE_KEY; bytes that are no envelope ERR_E2EE_MALFORMED.
import { describe, expect, it } from 'vitest';
import { generateDeviceKey, signDeviceStatement, verifyDeviceStatement, DEVICE_AAD } from '../../../src/e2ee/device.js';
import { generateKeyPair, importPublicKey, importSigningKey } from '../../../src/index.js';
import { decodeEnvelope, encodeEnvelope } from '../../../src/wire/envelope.js';
import { encodeCbor } from '../../../src/wire/cbor.js';
import { sealRoom } from '../../../src/rooms/seal.js';
import { isProtocolError } from '../../../src/errors.js';
import { toHex } from '../../../src/bytes.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return isProtocolError(err) ? err.code : String(err);
  }
  return undefined;
};

describe('device statement', () => {
  const pair = generateKeyPair();
  const key = importSigningKey(pair.secretKey);
  const pub = importPublicKey(pair.publicKey);

  it('verifies under its author and carries the X25519 key; the same seed gives the same device key', async () => {
    const device = await generateDeviceKey(new Uint8Array(32).fill(1));
    expect(toHex((await generateDeviceKey(new Uint8Array(32).fill(1))).publicKey)).toBe(toHex(device.publicKey));
    const s = verifyDeviceStatement((await signDeviceStatement(key, device.publicKey, 1000)) as Uint8Array, pub, 1024);
    expect(toHex(s.x25519)).toBe(toHex(device.publicKey));
    expect(s.ts).toBe(1000);
  });

  it('a substituted X25519 key fails the signature: ERR_E2EE_DEVICE_KEY', async () => {
    const device = await generateDeviceKey();
    const other = await generateDeviceKey();
    const d = decodeEnvelope((await signDeviceStatement(key, device.publicKey, 1)) as Uint8Array);
    const forged = encodeEnvelope(d.protectedBytes, encodeCbor([other.publicKey]), d.signature);
    expect(codeOf(() => verifyDeviceStatement(forged, pub, 1024))).toBe('ERR_E2EE_DEVICE_KEY');
  });

  it('another signer, or another content type, is ERR_E2EE_DEVICE_KEY; no envelope ERR_E2EE_MALFORMED', async () => {
    const device = await generateDeviceKey();
    const mallory = importSigningKey(generateKeyPair().secretKey);
    expect(codeOf(() => verifyDeviceStatement(signDeviceStatement(mallory, device.publicKey, 1) as Uint8Array, pub, 1024))).toBe('ERR_E2EE_DEVICE_KEY');
    const wrongType = sealRoom(key, { contentType: 42, stream: new Uint8Array(16), seq: 0, ts: 1 }, encodeCbor([device.publicKey]), DEVICE_AAD);
    expect(codeOf(() => verifyDeviceStatement(wrongType, pub, 1024))).toBe('ERR_E2EE_DEVICE_KEY');
    expect(codeOf(() => verifyDeviceStatement(new Uint8Array([1, 2, 3]), pub, 1024))).toBe('ERR_E2EE_MALFORMED');
    const shortKey = sealRoom(
      key,
      { contentType: 'application/vnd.sealwire.e2ee-device+cbor', stream: new Uint8Array(16), seq: 0, ts: 1 },
      encodeCbor([new Uint8Array(31)]),
      DEVICE_AAD,
    );
    expect(codeOf(() => verifyDeviceStatement(shortKey, pub, 1024))).toBe('ERR_E2EE_MALFORMED');
  });
});
