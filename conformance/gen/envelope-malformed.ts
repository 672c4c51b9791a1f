// Envelope vectors for the encoding rules (spec/envelope.md §3, §5), the protected header's own in
// envelope-protected.ts: every test breaks one rule and is otherwise correctly signed, so the
// expected code is that rule's (spec/errors.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VectorFile } from '../lib/format.js';
import { BREAK, NULL, arr, bstr, head, headLong, mapRaw, nint, tag, tstrRaw, uint, type Bytes } from './cbor.js';
import { LBL, envelope } from './envelope.js';
import { cat } from './ref.js';
import { refs } from './refs.js';
import { OpenFile } from './envelope-open.js';
import { insideProtected } from './envelope-protected.js';

export function malformed(): VectorFile {
  const f = new OpenFile('malformed', ['Every test breaks one encoding rule; each rule has its own code.']);
  const prot = mapRaw(f.baseEntries);
  const { signature } = f.signer.signRaw(prot, f.payload);
  const good = envelope({ protectedBytes: prot, payload: f.payload, signature });
  const body = good.subarray(1); // the array, without tag 18 (d2)
  const members = (p: Bytes, u: Bytes, pl: Bytes, sg: Bytes) => cat(head(4, 4), p, u, pl, sg);
  const T = (x: Bytes) => cat(Uint8Array.of(0xd2), x);
  const inv = f.invalid.bind(f);

  f.valid('the well-formed envelope all other tests derive from', [], ['envDeterministic'], good, f.base, f.payload);
  // Truncation.
  inv('empty input', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', new Uint8Array(0));
  inv('tag only', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', Uint8Array.of(0xd2));
  inv('last byte missing', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', good.subarray(0, good.length - 1));
  inv('cut inside the protected header', ['Truncated'], ['envTruncated'], 'ERR_TRUNCATED', good.subarray(0, 20));
  inv(
    'signature length declares more than the input holds',
    ['Truncated'],
    ['envTruncated'],
    'ERR_TRUNCATED',
    T(members(bstr(prot), mapRaw([]), bstr(f.payload), headLong(2, 0xffff, 2))),
  );
  inv(
    'payload declares 2^32 - 1 bytes',
    ['Truncated'],
    ['envTruncated'],
    'ERR_TRUNCATED',
    T(members(bstr(prot), mapRaw([]), headLong(2, 0xffff_ffff, 4), bstr(signature))),
  );
  // Trailing bytes.
  inv('one zero byte after the envelope', ['TrailingBytes'], ['envTrailing'], 'ERR_TRAILING_BYTES', cat(good, Uint8Array.of(0)));
  inv('two envelopes back to back', ['TrailingBytes'], ['envTrailing'], 'ERR_TRAILING_BYTES', cat(good, good));
  // Tag.
  inv('untagged COSE_Sign1', ['WrongTag'], ['envTag'], 'ERR_WRONG_TAG', body);
  inv('tag 98 (COSE_Sign)', ['WrongTag'], ['envTag'], 'ERR_WRONG_TAG', tag(98, body));
  inv('tag 17 (COSE_Mac0)', ['WrongTag'], ['envTag'], 'ERR_WRONG_TAG', tag(17, body));
  // spec/envelope.md §5.6 step 1.2: the outer tag number is only compared with 18; §5.7 rule 8
  // (2^53 or more → ERR_MALFORMED) is for tags read as items inside.
  inv('outer tag number 2^53 - 1', ['WrongTag', 'Boundary'], ['envTag', 'envDecodeOrder'], 'ERR_WRONG_TAG', cat(headLong(6, 2n ** 53n - 1n, 8), body));
  inv(
    'outer tag number 2^53: ERR_WRONG_TAG, not ERR_MALFORMED',
    ['WrongTag', 'Boundary'],
    ['envTag', 'envDecodeOrder', 'errPrecedence'],
    'ERR_WRONG_TAG',
    cat(headLong(6, 2n ** 53n, 8), body),
  );
  inv(
    'outer tag number 2^64 - 1: ERR_WRONG_TAG, not ERR_MALFORMED',
    ['WrongTag', 'Boundary'],
    ['envTag', 'envDecodeOrder', 'errPrecedence'],
    'ERR_WRONG_TAG',
    cat(headLong(6, 2n ** 64n - 1n, 8), body),
  );
  inv('tag 18 written in two bytes (d8 12)', ['NonPreferred'], ['envPreferred'], 'ERR_NON_PREFERRED', cat(headLong(6, 18, 1), body));
  // Structure.
  inv('array of 3 (no signature)', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(cat(head(4, 3), bstr(prot), mapRaw([]), bstr(f.payload))));
  inv(
    'array of 5 (extra null)',
    ['WrongStructure'],
    ['envArray'],
    'ERR_MALFORMED',
    T(cat(head(4, 5), bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature), NULL)),
  );
  inv('a map where the array belongs', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(mapRaw([])));
  inv('tag 18 twice', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(good));
  inv(
    'array head in two bytes (98 04)',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    T(cat(headLong(4, 4, 1), bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature))),
  );
  inv(
    'indefinite-length array',
    ['IndefiniteLength'],
    ['envIndefinite'],
    'ERR_INDEFINITE_LENGTH',
    T(cat(Uint8Array.of(0x9f), bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature), BREAK)),
  );
  inv(
    'protected header as an indefinite-length byte string',
    ['IndefiniteLength'],
    ['envIndefinite'],
    'ERR_INDEFINITE_LENGTH',
    T(members(cat(Uint8Array.of(0x5f), bstr(prot), BREAK), mapRaw([]), bstr(f.payload), bstr(signature))),
  );
  inv(
    'protected header as a text string',
    ['WrongStructure'],
    ['envProtectedBstr'],
    'ERR_MALFORMED',
    T(members(tstrRaw(prot), mapRaw([]), bstr(f.payload), bstr(signature))),
  );
  inv(
    'protected header as a bare map',
    ['WrongStructure'],
    ['envProtectedBstr'],
    'ERR_MALFORMED',
    T(members(prot, mapRaw([]), bstr(f.payload), bstr(signature))),
  );
  inv(
    'protected header length in a longer head than needed',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    T(members(cat(headLong(2, prot.length, 2), prot), mapRaw([]), bstr(f.payload), bstr(signature))),
  );
  inv(
    'payload as an indefinite-length byte string',
    ['IndefiniteLength'],
    ['envIndefinite'],
    'ERR_INDEFINITE_LENGTH',
    T(members(bstr(prot), mapRaw([]), cat(Uint8Array.of(0x5f), bstr(f.payload), BREAK), bstr(signature))),
  );
  inv('detached payload (null)', ['WrongStructure'], ['envPayloadBstr'], 'ERR_MALFORMED', T(members(bstr(prot), mapRaw([]), NULL, bstr(signature))));
  inv(
    'payload as a text string',
    ['WrongStructure'],
    ['envPayloadBstr'],
    'ERR_MALFORMED',
    T(members(bstr(prot), mapRaw([]), tstrRaw(f.payload), bstr(signature))),
  );
  inv(
    'payload length in a longer head than needed (58 07)',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    T(members(bstr(prot), mapRaw([]), cat(headLong(2, f.payload.length, 1), f.payload), bstr(signature))),
  );
  inv(
    'signature length in a longer head than needed (59 00 40)',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    T(members(bstr(prot), mapRaw([]), bstr(f.payload), cat(headLong(2, 64, 2), signature))),
  );
  inv('signature as a text string', ['WrongStructure'], ['envArray'], 'ERR_MALFORMED', T(members(bstr(prot), mapRaw([]), bstr(f.payload), tstrRaw(signature))));
  inv(
    'signature of 63 bytes',
    ['WrongLength'],
    ['envSigLength', 'verSigLength'],
    'ERR_BAD_SIGNATURE',
    T(members(bstr(prot), mapRaw([]), bstr(f.payload), bstr(signature.subarray(0, 63)))),
  );
  inv(
    'signature of 65 bytes',
    ['WrongLength'],
    ['envSigLength', 'verSigLength'],
    'ERR_BAD_SIGNATURE',
    T(members(bstr(prot), mapRaw([]), bstr(f.payload), bstr(cat(signature, Uint8Array.of(0))))),
  );
  inv(
    'empty signature',
    ['WrongLength'],
    ['envSigLength', 'verSigLength'],
    'ERR_BAD_SIGNATURE',
    T(members(bstr(prot), mapRaw([]), bstr(f.payload), bstr(new Uint8Array(0)))),
  );
  // Unprotected header.
  inv(
    'kid in the unprotected header',
    ['UnprotectedHeader'],
    ['envUnprotectedEmpty'],
    'ERR_UNPROTECTED_HEADER',
    T(members(bstr(prot), mapRaw([[uint(4), bstr(f.signer.kid)]]), bstr(f.payload), bstr(signature))),
  );
  const noAlg = mapRaw(f.without(LBL.alg));
  const noAlgSig = f.signer.signRaw(noAlg, f.payload).signature;
  inv(
    'alg only in the unprotected header (step 3 runs before the header semantics)',
    ['UnprotectedHeader'],
    ['envUnprotectedEmpty', 'envDecodeOrder', 'errFirstCheck'],
    'ERR_UNPROTECTED_HEADER',
    T(members(bstr(noAlg), mapRaw([[uint(1), nint(-8)]]), bstr(f.payload), bstr(noAlgSig))),
  );
  inv(
    'unprotected header as an indefinite-length map',
    ['IndefiniteLength'],
    ['envIndefinite'],
    'ERR_INDEFINITE_LENGTH',
    T(members(bstr(prot), cat(Uint8Array.of(0xbf), BREAK), bstr(f.payload), bstr(signature))),
  );
  inv(
    'empty unprotected map in a longer head (b8 00)',
    ['NonPreferred'],
    ['envPreferred'],
    'ERR_NON_PREFERRED',
    T(members(bstr(prot), headLong(5, 0, 1), bstr(f.payload), bstr(signature))),
  );
  inv(
    'unprotected header as an array',
    ['WrongStructure'],
    ['envUnprotectedEmpty'],
    'ERR_MALFORMED',
    T(members(bstr(prot), arr(), bstr(f.payload), bstr(signature))),
  );
  inv(
    'unprotected header with a duplicate label',
    ['DuplicateLabel'],
    ['envDuplicate'],
    'ERR_DUPLICATE_LABEL',
    T(
      members(
        bstr(prot),
        mapRaw([
          [uint(4), bstr(f.signer.kid)],
          [uint(4), bstr(f.signer.kid)],
        ]),
        bstr(f.payload),
        bstr(signature),
      ),
    ),
  );
  // COSE WG example: a correct COSE_Sign1 from a generic tool, outside the profile.
  const coseExample = JSON.parse(readFileSync(fileURLToPath(new URL('../vectors/external/cose-examples/eddsa-sig-01.json', import.meta.url)), 'utf8')) as {
    output: { cbor: string };
    input: { sign0: { key: { x_hex: string } } };
  };
  const coseGroup = f.b.group({ type: 'EnvelopeOpen', publicKey: coseExample.input.sign0.key.x_hex.toLowerCase() });
  f.b.add(coseGroup, {
    comment: 'cose-wg/Examples eddsa-sig-01: kid in the unprotected header, no sealwire labels',
    flags: ['RealWorldCose', 'UnprotectedHeader'],
    specRefs: refs('envUnprotectedEmpty'),
    envelope: coseExample.output.cbor.toLowerCase(),
    result: 'invalid',
    code: 'ERR_UNPROTECTED_HEADER',
  });
  insideProtected(f);
  // Size caps.
  inv(
    'protected header over 512 bytes (a 600-byte kid)',
    ['TooLarge'],
    ['envProtectedCap'],
    'ERR_TOO_LARGE',
    f.withEntries(f.replace(LBL.kid, bstr(new Uint8Array(600).fill(7)))),
  );
  f.valid('envelope exactly at maxEnvelopeSize', ['Boundary', 'TooLarge'], ['envSizeCap'], good, f.base, f.payload, { maxEnvelopeSize: good.length });
  inv('envelope one byte over maxEnvelopeSize', ['Boundary', 'TooLarge'], ['envSizeCap'], 'ERR_TOO_LARGE', good, { maxEnvelopeSize: good.length - 1 });
  inv(
    'over maxEnvelopeSize and malformed: size is checked first',
    ['TooLarge'],
    ['envSizeCap', 'envPipeline', 'errFirstCheck'],
    'ERR_TOO_LARGE',
    cat(good, Uint8Array.of(0)),
    { maxEnvelopeSize: good.length },
  );
  return f.b.build();
}
