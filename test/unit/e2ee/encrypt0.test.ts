// COSE_Encrypt0 messages ([E2E-4.2], [E2E-4.3]): the AAD binds room, epoch, author, stream and seq;
// any change to the bytes or the context fails with ERR_E2EE_DECRYPT; malformed shapes with
// ERR_E2EE_MALFORMED.
import { describe, expect, it } from 'vitest';
import { Chain } from '../../../src/e2ee/chain.js';
import { decodeMessage, decryptMessage, encryptMessage, encodeProtected, type MessageContext } from '../../../src/e2ee/encrypt0.js';
import { isProtocolError } from '../../../src/errors.js';
import { CborTag, encodeCbor } from '../../../src/wire/cbor.js';

const enc = new TextEncoder();
const chainId = new Uint8Array(16).fill(1);
const ctx: MessageContext = { room: 'r', epoch: new Uint8Array(16).fill(2), author: new Uint8Array(32).fill(3), stream: new Uint8Array(16).fill(4), seq: 5 };
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return isProtocolError(err) ? err.code : String(err);
  }
  return undefined;
};

function made(): { bytes: Uint8Array; key: ReturnType<Chain['advance']>['key'] } {
  const { index, key } = new Chain(new Uint8Array(32).fill(9)).advance();
  return { bytes: encryptMessage(chainId, index, key, ctx, enc.encode('hello')), key };
}

describe('COSE_Encrypt0 message', () => {
  it('round-trips and reads as tag 16 with alg 24', () => {
    const { bytes, key } = made();
    expect(bytes[0]).toBe(0xd0); // tag 16
    const d = decodeMessage(bytes);
    expect(d.index).toBe(0);
    expect(new TextDecoder().decode(decryptMessage(d, key, ctx))).toBe('hello');
  });

  it('each field of the context is bound: another one fails with ERR_E2EE_DECRYPT', () => {
    const { bytes, key } = made();
    const d = decodeMessage(bytes);
    for (const other of [
      { ...ctx, room: 's' },
      { ...ctx, epoch: new Uint8Array(16) },
      { ...ctx, author: new Uint8Array(32) },
      { ...ctx, stream: new Uint8Array(16) },
      { ...ctx, seq: 6 },
    ]) {
      expect(codeOf(() => decryptMessage(d, key, other))).toBe('ERR_E2EE_DECRYPT');
    }
  });

  it('a flipped ciphertext bit fails with ERR_E2EE_DECRYPT', () => {
    const { bytes, key } = made();
    const t = bytes.slice();
    t[t.length - 1]! ^= 1;
    expect(codeOf(() => decryptMessage(decodeMessage(t), key, ctx))).toBe('ERR_E2EE_DECRYPT');
  });

  it('shapes other than the one of [E2E-4.2] are ERR_E2EE_MALFORMED', () => {
    const p = encodeProtected(chainId, 0);
    const iv = new Map([[5, new Uint8Array(12)]]);
    const bad = [
      new Uint8Array(0),
      encodeCbor([p, iv, new Uint8Array(16)]), // no tag
      encodeCbor(new CborTag(17, [p, iv, new Uint8Array(16)])),
      encodeCbor(new CborTag(16, [p, iv, new Uint8Array(15)])), // shorter than a tag
      encodeCbor(new CborTag(16, [p, new Map([[5, new Uint8Array(11)]]), new Uint8Array(16)])),
      encodeCbor(new CborTag(16, [p, new Map(), new Uint8Array(16)])),
      encodeCbor(new CborTag(16, [encodeCbor(new Map([[1, 3]])), iv, new Uint8Array(16)])),
      encodeCbor(new CborTag(16, [encodeProtected(new Uint8Array(15), 0), iv, new Uint8Array(16)])),
      Uint8Array.from([...made().bytes, 0]), // trailing byte
    ];
    for (const b of bad) expect(codeOf(() => decodeMessage(b))).toBe('ERR_E2EE_MALFORMED');
  });
});
