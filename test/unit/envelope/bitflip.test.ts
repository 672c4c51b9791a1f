// Every single-bit flip of several valid envelopes is refused by open() with a ProtocolError:
// never accepted, never another exception type (issue 2, "Done when"). Envelopes vary payload
// size, content type, alg, aad and session binding. The node backend takes every flip of every
// envelope; the noble backend (~1k verifies/s) every flip of the small ones.
import { describe, expect, it } from 'vitest';
import { KeyRing, ProtocolError, getBackend, importPublicKey, importSigningKey, open, seal, toHex } from '../../../src/index.js';
import type { ErrorCode, OpenOptions, SealOptions } from '../../../src/index.js';
import { testBackendNames } from '../../helpers/vectors.js';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 ^ i);
const STREAM = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
const BINDING = Uint8Array.from({ length: 33 }, (_, i) => 255 - i);

interface Sample {
  name: string;
  payload: Uint8Array;
  options: Omit<SealOptions, 'stream'>;
  small: boolean;
}

const SAMPLES: Sample[] = [
  { name: 'empty payload, defaults', payload: new Uint8Array(0), options: { seq: 0, ts: 0 }, small: true },
  { name: '1-byte payload, content type 0, alg -19', payload: Uint8Array.of(0x42), options: { seq: 1, ts: 1_700_000_000_000, contentType: 0, alg: -19 }, small: true },
  { name: '32-byte payload, media type, aad', payload: new Uint8Array(32).fill(0x33), options: { seq: 2 ** 40, ts: 1_700_000_000_001, contentType: 'application/json', aad: new TextEncoder().encode('room:42') }, small: true },
  { name: '100-byte payload, session binding and aad', payload: Uint8Array.from({ length: 100 }, (_, i) => i), options: { seq: 99, ts: 1_700_000_000_002, binding: BINDING, aad: Uint8Array.of(1) }, small: true },
  { name: '1000-byte payload, content type 65535, max seq', payload: Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff), options: { seq: Number.MAX_SAFE_INTEGER, ts: Number.MAX_SAFE_INTEGER, contentType: 65535 }, small: false },
];

function flipsOf(envelope: Uint8Array, opts: OpenOptions): Map<ErrorCode, number> {
  const codes = new Map<ErrorCode, number>();
  const bits = envelope.length * 8;
  for (let bit = 0; bit < bits; bit++) {
    const mutated = envelope.slice();
    mutated[bit >> 3]! ^= 1 << (bit & 7);
    let outcome: unknown = 'accepted';
    try {
      open(mutated, opts);
    } catch (err) {
      outcome = err;
    }
    if (!(outcome instanceof ProtocolError)) {
      expect.fail(`bit ${bit} (byte ${bit >> 3}) of ${toHex(envelope)}: ${outcome === 'accepted' ? 'ACCEPTED' : `threw ${String(outcome)}`}`);
    }
    codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
  }
  return codes;
}

for (const backendName of testBackendNames()) {
  const backend = getBackend(backendName);
  describe(`single-bit flips (${backendName})`, () => {
    const signer = importSigningKey(SECRET, { backend });
    const pub = importPublicKey(signer.publicKey, { backend });
    const ring = new KeyRing({ backend });
    ring.add(signer.publicKey, { identity: 'alice' });

    for (const s of SAMPLES) {
      if (backendName === 'noble' && !s.small) continue;
      it(`${s.name}: every flip refused`, () => {
        const envelope = seal(signer, s.payload, { ...s.options, stream: STREAM });
        const opts: OpenOptions = {
          keys: pub,
          ...(s.options.aad ? { aad: s.options.aad } : {}),
          ...(s.options.binding ? { binding: s.options.binding } : {}),
        };
        // The unmodified envelope opens, so a refusal below is caused by the flip.
        expect(open(envelope, opts).payload).toEqual(s.payload);
        const codes = flipsOf(envelope, opts);
        let total = 0;
        for (const n of codes.values()) total += n;
        expect(total).toBe(envelope.length * 8);
        // Flips in payload and signature reach the signature check; flips in the header fail
        // earlier. Both kinds must be present or the samples do not exercise both stages.
        expect(codes.get('ERR_BAD_SIGNATURE') ?? 0).toBeGreaterThan(0);
        expect(codes.size).toBeGreaterThan(3);
      });
    }

    it('through a KeyRing too (kid flips become ERR_UNKNOWN_KEY)', () => {
      const envelope = seal(signer, Uint8Array.of(1, 2, 3), { seq: 5, ts: 1_700_000_000_000, stream: STREAM });
      const codes = flipsOf(envelope, { keys: ring });
      expect(codes.get('ERR_UNKNOWN_KEY') ?? 0).toBeGreaterThan(0);
    });
  });
}
