// Hostile input at the encrypted-room decoders: any bytes give a ProtocolError with an E2EE code,
// never another exception; values that are not bytes are misuse (TypeError naming the argument).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMessage } from '../../../src/e2ee/encrypt0.js';
import { decodeDistribution, decodeKeyRequest, encodeKeyRequest } from '../../../src/e2ee/distribution.js';
import { verifyDeviceStatement } from '../../../src/e2ee/device.js';
import { generateKeyPair, importPublicKey } from '../../../src/index.js';
import { ProtocolError } from '../../../src/errors.js';

const author = importPublicKey(generateKeyPair().publicKey);
const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ['decodeMessage', (b) => decodeMessage(b)],
  ['decodeDistribution', (b) => decodeDistribution(b)],
  ['decodeKeyRequest', (b) => decodeKeyRequest(b)],
  ['verifyDeviceStatement', (b) => verifyDeviceStatement(b, author, 1024)],
];
const fakeU8 = Object.create(Uint8Array.prototype) as Uint8Array;
const HOSTILE: unknown[] = [Number.NaN, null, undefined, 0, '', 'd0', {}, [], new DataView(new ArrayBuffer(4)), new Uint16Array(2)];

describe('encrypted-room decoders under hostile input', () => {
  for (const [name, decode] of DECODERS) {
    it(`${name}: non-bytes are a TypeError`, () => {
      HOSTILE.forEach((v, i) => expect(() => decode(v as Uint8Array), `hostile value ${i}`).toThrow(TypeError));
    });

    it(`${name}: a Uint8Array look-alike is a TypeError or a ProtocolError, nothing else`, () => {
      let caught: unknown;
      try {
        decode(fakeU8);
      } catch (err) {
        caught = err;
      }
      expect(caught instanceof TypeError || caught instanceof ProtocolError).toBe(true);
    });

    it(`${name}: arbitrary bytes are refused with an E2EE code, never another exception`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          try {
            decode(bytes);
            return name === 'decodeKeyRequest' && bytes.length >= 20; // only a request can be random-valid, and then not short
          } catch (err) {
            return err instanceof ProtocolError && /^ERR_E2EE_(MALFORMED|DEVICE_KEY)$/.test(err.code);
          }
        }),
        { numRuns: 500 },
      );
    });
  }

  it('a key request round-trips; a 15-byte chain id is malformed', () => {
    const r = decodeKeyRequest(encodeKeyRequest(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2)));
    expect(r.chain).toEqual(new Uint8Array(16).fill(2));
    expect(() => decodeKeyRequest(encodeKeyRequest(new Uint8Array(32), new Uint8Array(15)))).toThrow(expect.objectContaining({ code: 'ERR_E2EE_MALFORMED' }));
  });

  it('random structures shaped like a message head are refused, not crashed on', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (tail) => {
        try {
          decodeMessage(Uint8Array.from([0xd0, 0x83, ...tail]));
          return true; // a well-formed message may come out: it still has to decrypt
        } catch (err) {
          return err instanceof ProtocolError && err.code === 'ERR_E2EE_MALFORMED';
        }
      }),
      { numRuns: 500 },
    );
  });
});
