// Hostile-input table (noble style, issue 2 item 7): every hostile value is thrown into every
// argument position of every core public entry point. Each call must throw TypeError/RangeError
// (developer misuse, argument named) or ProtocolError (hostile bytes) — never another type, never a
// silent success that ignores the bad argument.
import { describe, expect, it } from 'vitest';
import {
  KeyRing,
  NodeKeys,
  ProtocolError,
  signNodeSet,
  fromHex,
  getBackend,
  importPublicKey,
  importSigningKey,
  keyId,
  open,
  publicKeyOf,
  seal,
  toHex,
} from '../../../src/index.js';
import { decodeEnvelope, externalAad, verifySign1 } from '../../../src/protocol.js';
import { testBackendNames } from '../../helpers/vectors.js';

// A Uint8Array look-alike: right prototype chain, but not a real typed array.
const fakeU8 = Object.create(Uint8Array.prototype) as Uint8Array;
const HOSTILE: [string, unknown][] = [
  ['NaN', Number.NaN],
  ['null', null],
  ['undefined', undefined],
  ['0', 0],
  ['-1', -1],
  ['1.5', 1.5],
  ['2^53', 2 ** 53],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['10n', 10n],
  ['true', true],
  ['empty string', ''],
  ['hex string', '00'.repeat(32)],
  ['symbol', Symbol('x')],
  ['{}', {}],
  ['[]', []],
  ['array of 32 numbers', new Array(32).fill(1)],
  ['DataView', new DataView(new ArrayBuffer(32))],
  ['ArrayBuffer', new ArrayBuffer(32)],
  ['{length: 32}', { length: 32 }],
  ['{length: 32, 0: 1, buffer}', { length: 32, 0: 1, buffer: new ArrayBuffer(32), byteOffset: 0, byteLength: 32 }],
  ['fake Uint8Array (prototype only)', fakeU8],
  ['Uint16Array(16)', new Uint16Array(16)],
  ['Int8Array(32)', new Int8Array(32)],
  ['Float64Array(4)', new Float64Array(4)],
  ['function', () => new Uint8Array(32)],
  ['Promise', Promise.resolve(new Uint8Array(32))],
  ['Map', new Map()],
  ['Date', new Date(0)],
  ['Proxy of {}', new Proxy({}, {})],
];

const SECRET = new Uint8Array(32).fill(0x42);
const STREAM = new Uint8Array(16).fill(0x10);
const BACKEND = getBackend(testBackendNames()[0]!);
const signer = importSigningKey(SECRET, { backend: BACKEND });
const pub = importPublicKey(signer.publicKey, { backend: BACKEND });
const PAYLOAD = Uint8Array.of(1, 2, 3);
const ENV = seal(signer, PAYLOAD, { seq: 1, ts: 1000, stream: STREAM });
// Node sets (spec/nodes.md): the operator is `signer`, the one node `pub`'s own key.
const NODE_INPUT = { service: 'chat', version: 1, notAfter: 5000, nodes: [{ key: signer.publicKey }], now: 1000 };
const NODE_SET = signNodeSet(signer, NODE_INPUT);
const freshNodes = (): NodeKeys => {
  const n = new NodeKeys({ operator: pub, service: 'chat' });
  n.accept(NODE_SET, 1000);
  return n;
};
const freshRing = (): KeyRing => {
  const r = new KeyRing({ backend: BACKEND });
  r.add(signer.publicKey, { identity: 'alice', issuedAt: 1 });
  return r;
};

/**
 * One argument position: `call(h)` puts the hostile value there with valid everything else.
 * `optional`: undefined (and null, which `??` also reads as absent) is a legitimate value here.
 */
interface Position {
  name: string;
  call: (h: any) => unknown;
  optional?: boolean;
  /** Values that are legitimately valid here (e.g. 0 for a seq). */
  valid?: (v: unknown) => boolean;
}

const POSITIONS: Position[] = [
  // seal
  { name: 'seal(key)', call: (h) => seal(h, PAYLOAD, { seq: 1, stream: STREAM }) },
  // A string payload is sealed as its UTF-8 bytes (the one payload rule); everything else is misuse.
  { name: 'seal(payload)', call: (h) => seal(signer, h, { seq: 1, stream: STREAM }), valid: (v) => typeof v === 'string' },
  { name: 'seal(options)', call: (h) => seal(signer, PAYLOAD, h) },
  { name: 'seal({seq})', call: (h) => seal(signer, PAYLOAD, { seq: h, stream: STREAM }), valid: (v) => v === 0 },
  { name: 'seal({stream})', call: (h) => seal(signer, PAYLOAD, { seq: 1, stream: h }) },
  { name: 'seal({ts})', call: (h) => seal(signer, PAYLOAD, { seq: 1, stream: STREAM, ts: h }), optional: true, valid: (v) => v === 0 },
  { name: 'seal({contentType})', call: (h) => seal(signer, PAYLOAD, { seq: 1, stream: STREAM, contentType: h }), optional: true, valid: (v) => v === 0 },
  { name: 'seal({aad})', call: (h) => seal(signer, PAYLOAD, { seq: 1, stream: STREAM, aad: h }), optional: true },
  { name: 'seal({binding})', call: (h) => seal(signer, PAYLOAD, { seq: 1, stream: STREAM, binding: h }), optional: true },
  { name: 'seal({alg})', call: (h) => seal(signer, PAYLOAD, { seq: 1, stream: STREAM, alg: h }), optional: true },
  // open
  { name: 'open(envelope)', call: (h) => open(h, { keys: pub }) },
  { name: 'open(options)', call: (h) => open(ENV, h) },
  { name: 'open({keys})', call: (h) => open(ENV, { keys: h }) },
  { name: 'open({aad})', call: (h) => open(ENV, { keys: pub, aad: h }), optional: true },
  { name: 'open({binding})', call: (h) => open(ENV, { keys: pub, binding: h }), optional: true },
  { name: 'open({maxEnvelopeSize})', call: (h) => open(ENV, { keys: pub, maxEnvelopeSize: h }), optional: true },
  // keys
  { name: 'importPublicKey(publicKey)', call: (h) => importPublicKey(h) },
  { name: 'importPublicKey(_, options)', call: (h) => importPublicKey(signer.publicKey, h), optional: true, valid: (v) => typeof v === 'object' && v !== null },
  { name: 'importPublicKey(_, {kid})', call: (h) => importPublicKey(signer.publicKey, { kid: h }), optional: true },
  { name: 'importPublicKey(_, {backend})', call: (h) => importPublicKey(signer.publicKey, { backend: h }), optional: true },
  { name: 'importSigningKey(secretKey)', call: (h) => importSigningKey(h) },
  { name: 'importSigningKey(_, {kid})', call: (h) => importSigningKey(SECRET, { kid: h }), optional: true },
  { name: 'importSigningKey(_, {backend})', call: (h) => importSigningKey(SECRET, { backend: h }), optional: true },
  { name: 'keyId(publicKey)', call: (h) => keyId(h) },
  { name: 'publicKeyOf(secretKey)', call: (h) => publicKeyOf(h) },
  // KeyRing
  { name: 'new KeyRing({backend})', call: (h) => new KeyRing({ backend: h }), optional: true },
  { name: 'ring.add(publicKey)', call: (h) => new KeyRing().add(h) },
  { name: 'ring.add(_, {identity})', call: (h) => new KeyRing().add(signer.publicKey, { identity: h }), optional: true, valid: (v) => typeof v === 'string' },
  { name: 'ring.add(_, {kid})', call: (h) => new KeyRing().add(signer.publicKey, { kid: h }), optional: true },
  { name: 'ring.add(_, {notBefore})', call: (h) => new KeyRing().add(signer.publicKey, { notBefore: h }), optional: true, valid: (v) => v === 0 },
  { name: 'ring.add(_, {notAfter})', call: (h) => new KeyRing().add(signer.publicKey, { notAfter: h }), optional: true, valid: (v) => v === 0 },
  { name: 'ring.add(_, {issuedAt})', call: (h) => new KeyRing().add(signer.publicKey, { issuedAt: h }), optional: true, valid: (v) => v === 0 },
  { name: 'ring.get(kid)', call: (h) => freshRing().get(h) },
  { name: 'ring.resolve(kid, _)', call: (h) => freshRing().resolve(h, 1) },
  { name: 'ring.resolve(_, ts)', call: (h) => freshRing().resolve(signer.kid, h), valid: (v) => v === 0 },
  { name: 'ring.revokeKey(kid)', call: (h) => freshRing().revokeKey(h) },
  { name: 'ring.revokeIdentity(identity, _)', call: (h) => freshRing().revokeIdentity(h, 10), valid: (v) => typeof v === 'string' },
  { name: 'ring.revokeIdentity(_, issuedBefore)', call: (h) => freshRing().revokeIdentity('alice', h), valid: (v) => v === 0 },
  { name: 'ring.keysOf(identity)', call: (h) => freshRing().keysOf(h), valid: (v) => typeof v === 'string' },
  { name: 'ring.onRevoke(listener)', call: (h) => freshRing().onRevoke(h), valid: (v) => typeof v === 'function' },
  // node sets
  { name: 'signNodeSet(operatorKey)', call: (h) => signNodeSet(h, NODE_INPUT) },
  { name: 'signNodeSet(_, {service})', call: (h) => signNodeSet(signer, { ...NODE_INPUT, service: h }), valid: (v) => typeof v === 'string' && v.length > 0 },
  { name: 'signNodeSet(_, {version})', call: (h) => signNodeSet(signer, { ...NODE_INPUT, version: h }), valid: (v) => v === 0 },
  { name: 'signNodeSet(_, {notAfter})', call: (h) => signNodeSet(signer, { ...NODE_INPUT, notAfter: h }), valid: (v) => v === 0 },
  { name: 'signNodeSet(_, {nodes})', call: (h) => signNodeSet(signer, { ...NODE_INPUT, nodes: h }) },
  { name: 'signNodeSet(_, {nodes: [{key}]})', call: (h) => signNodeSet(signer, { ...NODE_INPUT, nodes: [{ key: h }] }) },
  {
    name: 'signNodeSet(_, {nodes: [{notBefore}]})',
    call: (h) => signNodeSet(signer, { ...NODE_INPUT, nodes: [{ key: signer.publicKey, notBefore: h }] }),
    optional: true,
    valid: (v) => v === 0,
  },
  { name: 'new NodeKeys(options)', call: (h) => new NodeKeys(h) },
  { name: 'new NodeKeys({operator})', call: (h) => new NodeKeys({ operator: h, service: 'chat' }) },
  { name: 'new NodeKeys({service})', call: (h) => new NodeKeys({ operator: pub, service: h }), valid: (v) => typeof v === 'string' && v.length > 0 },
  { name: 'nodes.accept(bytes, _)', call: (h) => freshNodes().accept(h, 1000) },
  { name: 'nodes.accept(_, now)', call: (h) => new NodeKeys({ operator: pub, service: 'chat' }).accept(NODE_SET, h), optional: true, valid: (v) => v === 0 },
  { name: 'nodes.resolve(kid, _)', call: (h) => freshNodes().resolve(h, 1000) },
  { name: 'nodes.resolve(_, ts)', call: (h) => freshNodes().resolve(signer.kid, h), valid: (v) => v === 0 },
  // COSE, wire, bytes
  { name: 'verifySign1(bytes)', call: (h) => verifySign1(h, pub) },
  { name: 'verifySign1(_, key)', call: (h) => verifySign1(ENV, h) },
  { name: 'verifySign1(_, _, externalAad)', call: (h) => verifySign1(ENV, pub, h), optional: true },
  { name: 'decodeEnvelope(bytes)', call: (h) => decodeEnvelope(h) },
  { name: 'externalAad(aad)', call: (h) => externalAad(h, undefined), optional: true },
  { name: 'externalAad(_, binding)', call: (h) => externalAad(undefined, h), optional: true },
  { name: 'fromHex(hex)', call: (h) => fromHex(h), valid: (v) => typeof v === 'string' && /^([0-9a-f]{2})*$/i.test(v) },
  { name: 'toHex(bytes)', call: (h) => toHex(h) },
  { name: 'getBackend(name)', call: (h) => getBackend(h) },
];

type Outcome = 'returned' | 'TypeError' | 'RangeError' | 'ProtocolError' | `OTHER ${string}`;

async function outcomeOf(fn: () => unknown): Promise<Outcome> {
  try {
    const r = fn();
    // A Promise result would hide a later rejection: none of these entry points is async.
    if (r instanceof Promise) return 'OTHER returned a Promise';
    return 'returned';
  } catch (err) {
    if (err instanceof ProtocolError) return 'ProtocolError';
    if (err instanceof RangeError) return 'RangeError';
    if (err instanceof TypeError) return 'TypeError';
    return `OTHER ${Object.prototype.toString.call(err)} ${String((err as Error)?.message ?? err)}`;
  }
}

describe('hostile values at every core entry point', () => {
  for (const pos of POSITIONS) {
    it(pos.name, async () => {
      const problems: string[] = [];
      for (const [label, value] of HOSTILE) {
        const out = await outcomeOf(() => pos.call(value));
        const legit = ((value === undefined || value === null) && pos.optional === true) || (pos.valid?.(value) ?? false);
        if (out.startsWith('OTHER')) problems.push(`${label}: ${out}`);
        else if (out === 'returned' && !legit) problems.push(`${label}: accepted silently`);
      }
      expect(problems, `${pos.name}\n${problems.join('\n')}`).toEqual([]);
    });
  }

  it('the baseline calls succeed, so each rejection above is caused by the hostile value', () => {
    expect(open(ENV, { keys: pub }).payload).toEqual(PAYLOAD);
    expect(verifySign1(ENV, pub, externalAad(undefined, undefined)).payload).toEqual(PAYLOAD);
    expect(freshRing().resolve(signer.kid, 1).identity).toBe('alice');
    expect(freshRing().revokeKey(signer.kid)).toBe(true);
    expect(freshNodes().resolve(signer.kid, 1000).bytes).toEqual(signer.publicKey);
    expect(new NodeKeys({ operator: pub, service: 'chat' }).accept(signNodeSet(signer, NODE_INPUT), 0)).toBe(true);
    expect(toHex(fromHex('0aff'))).toBe('0aff');
  });

  it('developer-misuse messages name the argument', () => {
    expect(() => seal(signer, 7 as never, { seq: 1, stream: STREAM })).toThrow(/"payload"/);
    expect(open(seal(signer, 'héllo', { seq: 1, stream: STREAM }), { keys: pub }).payload).toEqual(new TextEncoder().encode('héllo'));
    expect(() => seal(signer, PAYLOAD, { seq: 1, stream: new Uint8Array(15) })).toThrow(/"stream".*length=15/);
    expect(() => importPublicKey(new DataView(new ArrayBuffer(32)) as never)).toThrow(/"publicKey" expected Uint8Array, got DataView/);
    expect(() => keyId(new Uint8Array(31))).toThrow(/"publicKey" expected Uint8Array of length 32, got length=31/);
    expect(() => open(ENV, { keys: pub, aad: [1] as never })).toThrow(/"aad"/);
  });
});
