// Envelope vectors for the signature (spec/verification.md): well-formed envelopes whose signature
// must not verify, and the contexts (external_aad, session binding) it binds; keys refused at import.
import type { VectorFile } from '../lib/format.js';
import { arr, bstr, mapRaw, nint, tstr, uint, type Bytes } from './cbor.js';
import { Signer, LBL, entries, envelope } from './envelope.js';
import { cat, enc, hex, leBytes, scalarOf, seed, signRef, thumbprint, unhex, L } from './ref.js';
import { refs, type RefName } from './refs.js';
import { OpenFile, TS } from './envelope-open.js';

export function signature(): VectorFile {
  const f = new OpenFile('signature', ['Well-formed envelopes whose signature must not verify, and the contexts it binds.']);
  const st = f.base.stream;
  const sealed = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload);
  const env = sealed.envelope;
  const inv = f.invalid.bind(f);
  f.valid('untouched', [], ['verValid'], env, f.base, f.payload);
  // Bit flips that keep the structure: payload, signature, and header values that stay in range.
  const sigAt = env.length - 64;
  for (let i = 0; i < 64; i += 1) {
    const e = env.slice();
    e[sigAt + i]! ^= 1 << (i % 8);
    const S = scalarOf(e.subarray(sigAt));
    inv(
      `bit ${i % 8} of signature byte ${i} flipped${i >= 32 && S >= L ? ' (S >= L)' : ''}`,
      ['BitFlip'],
      ['verEquation', 'verOneCode', 'envNoDelivery'],
      'ERR_BAD_SIGNATURE',
      e,
    );
  }
  const payAt = sigAt - 2 - f.payload.length;
  for (let i = 0; i < f.payload.length; i++) {
    const e = env.slice();
    e[payAt + i]! ^= 0x01;
    inv(`payload byte ${i} changed`, ['BitFlip'], ['verEquation', 'envSigStructure'], 'ERR_BAD_SIGNATURE', e);
  }
  const protAt = 4; // d2 84 58 LL | map...
  const prot = sealed.protectedBytes;
  const streamAt = protAt + prot.length - 16;
  for (const i of [0, 7, 15]) {
    const e = env.slice();
    e[streamAt + i]! ^= 0x80;
    inv(`stream byte ${i} changed`, ['BitFlip'], ['verEquation', 'envSigStructure'], 'ERR_BAD_SIGNATURE', e);
  }
  {
    const e = f.signer.sealEntries(f.replace(LBL.seq, uint(6)), f.payload);
    const swapped = cat(e.subarray(0, e.length - 64), sealed.signature);
    inv('seq changed from 5 to 6, signature kept', ['BitFlip'], ['verEquation', 'envSigStructure'], 'ERR_BAD_SIGNATURE', swapped);
    const e2 = f.signer.sealEntries(f.replace(LBL.alg, nint(-19)), f.payload);
    inv(
      'alg changed from -8 to -19, signature kept',
      ['BitFlip'],
      ['verEquation', 'envSigStructure'],
      'ERR_BAD_SIGNATURE',
      cat(e2.subarray(0, e2.length - 64), sealed.signature),
    );
  }
  const malleated = cat(env.subarray(0, sigAt + 32), leBytes(scalarOf(sealed.signature) + L));
  inv('S + L: malleated twin of the valid signature', ['ScalarOutOfRange'], ['verSRange'], 'ERR_BAD_SIGNATURE', malleated);
  const other = new Signer(seed('signature: impostor'));
  const impostor = other.signRaw(prot, f.payload).signature;
  inv("signed by another key under this key's kid", ['BadSignature'], ['verEquation'], 'ERR_BAD_SIGNATURE', cat(env.subarray(0, sigAt), impostor));
  // What the signature covers: the Sig_structure with the sealwire external_aad.
  const raw = (tbs: Bytes) => envelope({ protectedBytes: prot, payload: f.payload, signature: signRef(f.signer.secretKey, tbs) });
  inv(
    'signed with an empty external_aad (a generic COSE signer)',
    ['BadSignature'],
    ['envExternalAad', 'envSigStructure'],
    'ERR_BAD_SIGNATURE',
    raw(arr(tstr('Signature1'), bstr(prot), bstr(new Uint8Array(0)), bstr(f.payload))),
  );
  inv(
    'signed with context "Signature" instead of "Signature1"',
    ['BadSignature'],
    ['envSigStructure'],
    'ERR_BAD_SIGNATURE',
    raw(arr(tstr('Signature'), bstr(prot), bstr(enc.encode('sealwire/1\u0000')), bstr(f.payload))),
  );
  inv('signed over the payload alone (no Sig_structure)', ['BadSignature'], ['envSigStructure'], 'ERR_BAD_SIGNATURE', raw(f.payload));
  inv(
    'signed with domain "sealwire/2"',
    ['BadSignature'],
    ['envExternalAad', 'envVersionDomain'],
    'ERR_BAD_SIGNATURE',
    raw(arr(tstr('Signature1'), bstr(prot), bstr(enc.encode('sealwire/2\u0000')), bstr(f.payload))),
  );
  // aad and session binding.
  const aadA = enc.encode('room:a');
  const withAad = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload, aadA).envelope;
  f.valid('aad "room:a" opened with "room:a"', ['Aad'], ['envExternalAad'], withAad, f.base, f.payload, { aad: hex(aadA) });
  inv('aad "room:a" opened with "room:b"', ['Aad'], ['envExternalAad'], 'ERR_BAD_SIGNATURE', withAad, { aad: hex(enc.encode('room:b')) });
  inv('aad "room:a" opened with no aad', ['Aad'], ['envExternalAad'], 'ERR_BAD_SIGNATURE', withAad);
  inv('no aad, opened with aad "room:a"', ['Aad'], ['envExternalAad'], 'ERR_BAD_SIGNATURE', env, { aad: hex(aadA) });
  const binding = cat(seed('signature: session'), Uint8Array.of(0));
  const otherDir = cat(seed('signature: session'), Uint8Array.of(1));
  const bound = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload, undefined, binding).envelope;
  f.valid('session-bound, opened with its binding', ['SessionBinding'], ['envBinding'], bound, f.base, f.payload, { binding: hex(binding) });
  inv('session-bound, opened with the other direction', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', bound, { binding: hex(otherDir) });
  inv('session-bound, opened with another session', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', bound, {
    binding: hex(cat(seed('signature: other session'), Uint8Array.of(0))),
  });
  inv('session-bound, opened without a session', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', bound);
  inv('no session, opened with a binding', ['SessionBinding'], ['envBinding'], 'ERR_BAD_SIGNATURE', env, { binding: hex(binding) });
  const confusable = f.signer.seal({ seq: 5, ts: TS, stream: st }, f.payload, cat(Uint8Array.of(1), binding)).envelope;
  inv(
    'no session with aad = 0x01 || binding, opened as session-bound: the flag byte separates them',
    ['SessionBinding'],
    ['envBinding', 'envExternalAad'],
    'ERR_BAD_SIGNATURE',
    confusable,
    { binding: hex(binding) },
  );
  // Keys refused at import: the universal forgery (a small-order key) and a key of 31 bytes.
  const identity = unhex('0100000000000000000000000000000000000000000000000000000000000000');
  const forgeryHeader = { ...f.base, kid: thumbprint(identity) };
  const forged = envelope({ protectedBytes: mapRaw(entries(forgeryHeader)), payload: f.payload, signature: cat(identity, new Uint8Array(32)) });
  // A refused key gets a group of its own: the driver imports a group's key before any open.
  const badKey = (publicKey: Bytes, comment: string, flags: string[], ref: RefName[], e: Bytes): void =>
    f.b.add(f.b.group({ type: 'EnvelopeOpen', publicKey: hex(publicKey) }), {
      comment,
      flags,
      specRefs: refs(...ref),
      envelope: hex(e),
      result: 'invalid',
      code: 'ERR_BAD_KEY',
    });
  badKey(identity, 'universal forgery: identity key, R = identity, S = 0', ['UniversalForgery', 'BadKey'], ['verKeySmallOrder', 'envKeyImport'], forged);
  badKey(f.signer.publicKey.subarray(0, 31), 'public key of 31 bytes', ['BadKey', 'WrongLength'], ['verKeyLength', 'envKeyImport'], env);
  return f.b.build();
}
