// Key distribution ([E2E-1.1], [E2E-3.2], [E2E-3.3]): the RFC 9180 A.2.1 vector through the suite,
// one copy per recipient that opens only for it, replays and other contexts refused with codes.
import { describe, expect, it } from 'vitest';
import { generateDeviceKey } from '../../../src/e2ee/device.js';
import { decodeDistribution, encodeDistribution, openDistribution, sealDistribution } from '../../../src/e2ee/distribution.js';
import { hpkeSuite } from '../../../src/e2ee/suite.js';
import { fromHex, toHex } from '../../../src/bytes.js';
import { isProtocolError } from '../../../src/errors.js';

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
  } catch (err) {
    return isProtocolError(err) ? err.code : String(err);
  }
  return undefined;
};

const room = 'lobby';
const epoch = new Uint8Array(16).fill(1);
const chain = new Uint8Array(16).fill(2);
const chainKey = new Uint8Array(32).fill(3);
const alice = new Uint8Array(32).fill(0xa);
const bob = new Uint8Array(32).fill(0xb);
const carol = new Uint8Array(32).fill(0xc);

describe('key distribution', () => {
  it('reproduces RFC 9180 A.2.1 (mode_base, X25519, HKDF-SHA256, ChaCha20-Poly1305)', async () => {
    const suite = hpkeSuite();
    const e = await suite.kem.deriveKeyPair(fromHex('909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b').buffer as ArrayBuffer);
    const r = await suite.kem.deriveKeyPair(fromHex('1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df').buffer as ArrayBuffer);
    expect(toHex(new Uint8Array(await suite.kem.serializePublicKey(r.publicKey)))).toBe('4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a');
    const info = fromHex('4f6465206f6e2061204772656369616e2055726e');
    const sealed = await suite.seal(
      { recipientPublicKey: r.publicKey, info, ekm: e },
      fromHex('4265617574792069732074727574682c20747275746820626561757479'),
      fromHex('436f756e742d30'),
    );
    expect(toHex(new Uint8Array(sealed.enc))).toBe('1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a');
    expect(toHex(new Uint8Array(sealed.ct))).toBe('1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28');
  });

  it('each recipient opens its own copy; a member without a copy gets nothing, accepted', async () => {
    const [b, c] = [await generateDeviceKey(), await generateDeviceKey()];
    const bytes = await sealDistribution({ room, epoch, sender: alice, chain, chainKey }, [{ kid: bob, x25519: b.publicKey }]);
    const d = decodeDistribution(bytes);
    expect(d.copies).toHaveLength(1);
    expect(toHex(encodeDistribution(d))).toBe(toHex(bytes));
    const ctx = { room, epoch, sender: alice, me: bob, privateKey: b.privateKey, seen: () => false };
    expect(toHex((await openDistribution(bytes, ctx)).chainKey!)).toBe(toHex(chainKey));
    expect((await openDistribution(bytes, { ...ctx, me: carol, privateKey: c.privateKey })).chainKey).toBeUndefined();
  });

  it('refusals in the order of [E2E-3.3]', async () => {
    const b = await generateDeviceKey();
    const bytes = await sealDistribution({ room, epoch, sender: alice, chain, chainKey }, [{ kid: bob, x25519: b.publicKey }]);
    const ctx = { room, epoch, sender: alice, me: bob, privateKey: b.privateKey, seen: () => false };
    expect(await codeOf(openDistribution(bytes.subarray(1), ctx))).toBe('ERR_E2EE_MALFORMED');
    expect(await codeOf(openDistribution(bytes, { ...ctx, room: 'other' }))).toBe('ERR_E2EE_KEY_REPLAY');
    expect(await codeOf(openDistribution(bytes, { ...ctx, epoch: new Uint8Array(16) }))).toBe('ERR_E2EE_KEY_REPLAY');
    expect(await codeOf(openDistribution(bytes, { ...ctx, seen: () => true }))).toBe('ERR_E2EE_KEY_REPLAY');
    // The copy is bound to its sender and recipient by the HPKE info.
    expect(await codeOf(openDistribution(bytes, { ...ctx, sender: carol }))).toBe('ERR_E2EE_DECRYPT');
    const other = await generateDeviceKey();
    expect(await codeOf(openDistribution(bytes, { ...ctx, privateKey: other.privateKey }))).toBe('ERR_E2EE_DECRYPT');
    // A copy lifted into a distribution that names another chain id does not open.
    const d = decodeDistribution(bytes);
    const lifted = encodeDistribution({ ...d, chain: new Uint8Array(16).fill(9) });
    expect(await codeOf(openDistribution(lifted, ctx))).toBe('ERR_E2EE_DECRYPT');
  });
});
