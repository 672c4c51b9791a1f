// Envelope vectors: exact codec bytes here; every malformed-encoding rule, the header rules and the
// signature binding each in a file of its own, re-exported below. Every invalid envelope breaks
// exactly one rule and is otherwise correctly signed, so the expected code is the code of that rule
// (spec/envelope.md, spec/errors.md).
import type { SealGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import type { Bytes } from './cbor.js';
import { Signer } from './envelope.js';
import { cat, enc, hex, seed } from './ref.js';
import { refs, type RefName } from './refs.js';
import { TS, streamOf } from './envelope-open.js';

// The open-side files, one generator file each, under the names conformance/gen.ts uses.
export { malformed } from './envelope-malformed.js';
export { header } from './envelope-header.js';
export { signature } from './envelope-signature.js';

// --- codec ------------------------------------------------------------------------------------

export function codec(): VectorFile {
  const b = new FileBuilder<SealGroup>('sealwire-envelope-v1', 'envelope_seal_schema.json', [
    'Exact envelope bytes for given key, seq, ts, stream, payload, aad and session binding.',
    'Driver op: {"op":"seal","secretKey","seq","ts","stream","payload","aad"?,"binding"?,"contentType"?,"alg"?}',
    'must return exactly `envelope` and `externalAad`; the runner then opens `envelope` with',
    '{"op":"open","publicKey","envelope","aad"?,"binding"?} and expects every field back.',
    'protectedHeader and sigStructure are intermediates for debugging an encoder.',
  ]);
  for (const who of ['codec signer A', 'codec signer B']) {
    const s = new Signer(seed(who));
    const g = b.group({ type: 'EnvelopeSeal', secretKey: hex(s.secretKey), publicKey: hex(s.publicKey), kid: hex(s.kid) });
    const add = (
      comment: string,
      flags: string[],
      extra: RefName[],
      h: { seq: number; ts: number; stream: Bytes; ct?: number | string; alg?: number },
      payload: Bytes,
      aad?: Bytes,
      binding?: Bytes,
    ) => {
      const r = s.seal(
        { seq: h.seq, ts: h.ts, stream: h.stream, ...(h.ct !== undefined ? { ct: h.ct } : {}), ...(h.alg !== undefined ? { alg: h.alg } : {}) },
        payload,
        aad,
        binding,
      );
      b.add(g, {
        comment,
        flags: ['Codec', ...flags],
        specRefs: refs('envDeterministic', 'envSigStructure', 'envExternalAad', 'verSigner', 'envPayloadOpaque', ...extra),
        seq: h.seq,
        ts: h.ts,
        stream: hex(h.stream),
        payload: hex(payload),
        ...(aad ? { aad: hex(aad) } : {}),
        ...(binding ? { binding: hex(binding) } : {}),
        ...(h.ct !== undefined ? { contentType: h.ct } : {}),
        ...(h.alg !== undefined ? { alg: h.alg } : {}),
        protectedHeader: hex(r.protectedBytes),
        externalAad: hex(r.externalAad),
        sigStructure: hex(r.toBeSigned),
        envelope: hex(r.envelope),
        result: 'valid',
      });
    };
    const st = streamOf(who);
    add('all zero: seq 0, ts 0, zero stream, empty payload', ['Boundary'], [], { seq: 0, ts: 0, stream: new Uint8Array(16) }, new Uint8Array(0));
    add('typical message', [], [], { seq: 1, ts: TS, stream: st }, enc.encode('hello, sealwire'));
    if (who.endsWith('B')) continue;
    for (const seq of [23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      add(`seq ${seq}: integer head size boundary`, ['Boundary'], ['envSeq', 'envPreferred'], { seq, ts: TS, stream: st }, enc.encode('x'));
    }
    add('ts 2^53 - 1', ['Boundary'], ['envTs'], { seq: 2, ts: Number.MAX_SAFE_INTEGER, stream: st }, enc.encode('x'));
    for (const len of [23, 24, 255, 256, 1000]) {
      add(
        `payload of ${len} bytes: length head boundary`,
        ['Boundary'],
        ['envPayloadOpaque'],
        { seq: 3, ts: TS, stream: st },
        new Uint8Array(len).map((_, i) => (i * 7 + 3) & 0xff),
      );
    }
    add('application aad', ['Aad'], [], { seq: 4, ts: TS, stream: st }, enc.encode('hi'), enc.encode('room:lobby'));
    const binding = cat(seed('session id'), Uint8Array.of(0));
    add('session binding, direction 0, no aad', ['SessionBinding'], ['envBinding'], { seq: 5, ts: TS, stream: st }, enc.encode('hi'), undefined, binding);
    add(
      'session binding, direction 1, with aad',
      ['SessionBinding', 'Aad'],
      ['envBinding'],
      { seq: 6, ts: TS, stream: st },
      enc.encode('hi'),
      enc.encode('room:lobby'),
      cat(seed('session id'), Uint8Array.of(1)),
    );
    add('content type 0 (text/plain; charset=utf-8)', ['ContentType'], ['envCt'], { seq: 7, ts: TS, stream: st, ct: 0 }, enc.encode('hi'));
    add('content type 65535', ['ContentType', 'Boundary'], ['envCt'], { seq: 8, ts: TS, stream: st, ct: 65535 }, enc.encode('hi'));
    add('content type as media type', ['ContentType'], ['envCt'], { seq: 9, ts: TS, stream: st, ct: 'application/json' }, enc.encode('{}'));
    add('content type with a parameter', ['ContentType'], ['envCt'], { seq: 10, ts: TS, stream: st, ct: 'text/plain; charset=utf-8' }, enc.encode('hi'));
    add('alg Ed25519 (-19)', ['AlgEd25519'], ['envAlgAccept'], { seq: 11, ts: TS, stream: st, alg: -19 }, enc.encode('hi'));
  }
  return b.build();
}
