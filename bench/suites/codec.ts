// The codec alone, apart from any signature: our strict decoder and encoder, and cbor-x (the
// fastest general CBOR library on npm) configured to produce the same structure, for scale.
import { Encoder, Tag } from 'cbor-x';
import { decodeEnvelope, encodeEnvelope, encodeProtectedHeader, externalAad, sigStructure } from '../../src/wire/envelope.js';
import { makeFixture, type Keys } from '../fixtures.js';
import { consume, fmtHz, fmtRatio, fmtSize, measure, pairUp, ratio, table, type Profile, type SuiteReport } from '../lib.js';

const BATCH = 64;

export async function codecSuite(profile: Profile, keys: Keys): Promise<SuiteReport> {
  const sizes = profile.quick ? [32] : [32, 2048, 65536];
  // tagUint8Array:false keeps byte strings plain; variableMapSize:true gives preferred map heads;
  // useRecords:false keeps cbor-x's record extension out of the bytes.
  const cborx = new Encoder({ tagUint8Array: false, variableMapSize: true, useRecords: false, mapsAsObjects: false });
  const rows: string[][] = [];
  for (const size of sizes) {
    const f = makeFixture(keys, size);
    const d = decodeEnvelope(f.envelope);
    const header = d.header;
    const aad = externalAad(undefined, undefined);
    const headerMap = cborx.decode(d.protectedBytes) as Map<number, unknown>;
    const loop = (fn: () => unknown) => () => {
      for (let i = 0; i < BATCH; i++) consume(fn());
    };
    const tasks = [
      { name: 'decodeEnvelope', ops: BATCH, fn: loop(() => decodeEnvelope(f.envelope)) },
      {
        name: 'encode header+envelope',
        ops: BATCH,
        fn: loop(() => encodeEnvelope(encodeProtectedHeader(header), f.payload, d.signature)),
      },
      { name: 'sigStructure', ops: BATCH, fn: loop(() => sigStructure(d.protectedBytes, aad, d.payload)) },
      {
        // The same work as decodeEnvelope minus its checks: the outer array, then the header map.
        // cbor-x returns views into the input for byte strings, as we do; what is kept is copied by neither.
        name: 'cbor-x decode',
        ops: BATCH,
        fn: loop(() => {
          // The tag byte is checked by hand: @auth0/cose registers a global cbor-x extension for
          // tag 18 that would build its own Sign1 object instead.
          if (f.envelope[0] !== 0xd2) throw new Error('not tag 18');
          const arr = cborx.decode(f.envelope.subarray(1)) as Uint8Array[];
          return cborx.decode(arr[0]!);
        }),
      },
      {
        name: 'cbor-x encode',
        ops: BATCH,
        fn: loop(() => cborx.encode(new Tag([cborx.encode(headerMap), new Map(), f.payload, d.signature], 18))),
      },
    ];
    const r = await measure(profile, tasks);
    pairUp(profile, r, tasks, [
      ['decodeEnvelope', 'cbor-x decode'],
      ['encode header+envelope', 'cbor-x encode'],
    ]);
    rows.push([
      fmtSize(size),
      fmtHz(r.get('decodeEnvelope')!.median),
      fmtHz(r.get('cbor-x decode')!.median),
      fmtRatio(ratio(r, 'decodeEnvelope', 'cbor-x decode')),
      fmtHz(r.get('encode header+envelope')!.median),
      fmtHz(r.get('cbor-x encode')!.median),
      fmtRatio(ratio(r, 'encode header+envelope', 'cbor-x encode')),
      fmtHz(r.get('sigStructure')!.median),
    ]);
  }
  return {
    title: 'Codec alone',
    markdown: [
      'No signature work. Our decoder applies every deterministic-encoding and header rule; cbor-x',
      '(`tagUint8Array: false, variableMapSize: true, useRecords: false`) only parses.',
      '',
      table(['payload', 'decodeEnvelope', 'cbor-x decode', 'ours / cbor-x', 'encode (header+envelope)', 'cbor-x encode', 'ours / cbor-x', 'sigStructure'], rows),
    ].join('\n'),
    targets: [],
  };
}
