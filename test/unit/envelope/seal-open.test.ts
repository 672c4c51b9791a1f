import { describe, expect, it } from 'vitest';
import {
  KeyRing,
  ProtocolError,
  generateKeyPair,
  getBackend,
  importPublicKey,
  importSigningKey,
  open,
  seal,
} from '../../../src/index.js';

const enc = new TextEncoder();
const stream = new Uint8Array(16).fill(0xab);

for (const name of ['node', 'noble']) {
  describe(`seal/open round trip (${name})`, () => {
    const backend = getBackend(name);
    const alice = generateKeyPair();
    const signer = importSigningKey(alice.secretKey, { backend });
    const ring = new KeyRing({ backend });
    ring.add(alice.publicKey, { identity: 'alice' });

    it('opens what it sealed and returns every header field', () => {
      const env = seal(signer, enc.encode('hi'), { seq: 7, stream, ts: 1_700_000_000_000, contentType: 'application/json' });
      const o = open(env, { keys: ring });
      expect(new TextDecoder().decode(o.payload)).toBe('hi');
      expect(o).toMatchObject({ seq: 7, ts: 1_700_000_000_000, identity: 'alice', contentType: 'application/json' });
      expect(o.stream).toEqual(stream);
      expect(o.kid).toEqual(signer.kid);
    });

    it('binds the external aad: a different context is a bad signature', () => {
      const env = seal(signer, enc.encode('x'), { seq: 0, stream, aad: enc.encode('room:a') });
      expect(open(env, { keys: ring, aad: enc.encode('room:a') }).seq).toBe(0);
      expect(() => open(env, { keys: ring, aad: enc.encode('room:b') })).toThrow(
        expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }),
      );
      expect(() => open(env, { keys: ring })).toThrow(expect.objectContaining({ code: 'ERR_BAD_SIGNATURE' }));
    });

    it('a single public key opens only envelopes naming its kid', () => {
      const env = seal(signer, enc.encode('x'), { seq: 0, stream });
      expect(open(env, { keys: importPublicKey(alice.publicKey, { backend }) }).seq).toBe(0);
      const other = importPublicKey(generateKeyPair().publicKey, { backend });
      expect(() => open(env, { keys: other })).toThrow(ProtocolError);
    });
  });
}
