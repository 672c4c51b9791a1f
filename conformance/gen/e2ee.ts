// Encrypted-room vectors (spec/e2ee.md, EXPERIMENTAL): the RFC 9180 A.2.1 HPKE vector of the suite,
// the chain ratchet, the message AAD, message decryption verdicts, key distributions and device
// statements. The ratchet, AAD, COSE_Encrypt0 bytes and ChaCha20-Poly1305 are rebuilt here from
// the spec with node:crypto and the generator's own CBOR writer; HPKE seals come from @hpke/core
// with ephemeral keys derived from fixed seeds, so every run writes the same bytes.
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { arr, bstr, mapRaw, nint, tag, tstr, uint, type Bytes } from './cbor.js';
import { cat, enc, hex, seed, unhex, publicKeyOf } from './ref.js';
import { refs, type RefName } from './refs.js';
import { RFC, aadOf, buf, copies, deviceStatement, distributionOf, flip, message, protectedOf, ratchet, suite, type Ctx } from './e2ee-ref.js';

type B = FileBuilder<StepsGroup>;
const step = (op: string, fields: Record<string, unknown>, expect?: Record<string, unknown>): OpStep => ({
  op,
  ...fields,
  result: 'valid',
  ...(expect ? { expect } : {}),
});
const bad = (op: string, fields: Record<string, unknown>, code: string): OpStep => ({ op, ...fields, result: 'invalid', code });
const one = (b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], s: OpStep): void =>
  b.add(g, { comment, flags, specRefs: refs(...r), result: s.result, ...(s.code ? { code: s.code } : {}), steps: [s] });

export async function e2ee(): Promise<VectorFile> {
  const b = new FileBuilder<StepsGroup>('sealwire-e2ee-v1-experimental', 'steps_schema.json', [
    'End-to-end encrypted rooms (spec/e2ee.md), wire format EXPERIMENTAL. Each test is one stateless op:',
    'e2ee.hpke (RFC 9180 mode_base single-shot seal and open, suite HPKE-4), e2ee.chain (the ratchet),',
    'e2ee.aad (the external AAD of a message), e2ee.decrypt (a COSE_Encrypt0 under a chain key),',
    'e2ee.keys (a key distribution opened by one member), e2ee.device (a device statement).',
    'The e2ee.hpke tests are RFC 9180 appendix A.2.1 (encryption sequence number 0), copied from the RFC:',
    'see conformance/vectors/external/SOURCES.md.',
  ]);
  const g = b.group({ type: 'Steps' });
  const E0 = RFC.encryptions[0]!;
  const V = { ...RFC, aad0: E0.aad, pt: E0.pt, ct0: E0.ct };
  // The suite's library must reproduce the RFC before its seals are used below.
  const ekmRfc = await suite.kem.deriveKeyPair(buf(unhex(V.ikmE)));
  const kpR = await suite.kem.deriveKeyPair(buf(unhex(V.ikmR)));
  const sealed = await suite.seal({ recipientPublicKey: kpR.publicKey, info: unhex(V.info), ekm: ekmRfc }, unhex(V.pt), unhex(V.aad0));
  if (hex(new Uint8Array(sealed.ct)) !== V.ct0 || hex(new Uint8Array(sealed.enc)) !== V.enc) throw new Error('@hpke/core does not reproduce RFC 9180 A.2.1');

  one(
    b,
    g,
    'RFC 9180 A.2.1: DeriveKeyPair(ikmE), SealBase to pkRm, seq 0',
    ['Rfc9180'],
    ['e2eSuite'],
    step('e2ee.hpke', { ikmE: V.ikmE, ikmR: V.ikmR, info: V.info, aad: V.aad0, pt: V.pt }, { pkRm: V.pkRm, enc: V.enc, ct: V.ct0 }),
  );
  one(
    b,
    g,
    'RFC 9180 A.2.1: OpenBase with skR from ikmR',
    ['Rfc9180'],
    ['e2eSuite'],
    step('e2ee.hpke', { ikmR: V.ikmR, info: V.info, aad: V.aad0, enc: V.enc, ct: V.ct0 }, { pt: V.pt }),
  );
  one(
    b,
    g,
    'RFC 9180 A.2.1 with the last ciphertext bit flipped: OpenBase fails',
    ['Rfc9180', 'E2eeTamper'],
    ['e2eSuite'],
    bad('e2ee.hpke', { ikmR: V.ikmR, info: V.info, aad: V.aad0, enc: V.enc, ct: hex(flip(unhex(V.ct0))) }, 'ERR_E2EE_DECRYPT'),
  );
  one(
    b,
    g,
    'RFC 9180 A.2.1 opened with another info: OpenBase fails',
    ['Rfc9180', 'E2eeTamper'],
    ['e2eSuite'],
    bad('e2ee.hpke', { ikmR: V.ikmR, info: '00', aad: V.aad0, enc: V.enc, ct: V.ct0 }, 'ERR_E2EE_DECRYPT'),
  );

  const ck = seed('e2ee chain key');
  for (const index of [0, 1, 2, 255]) {
    const r = ratchet(ck, index);
    one(
      b,
      g,
      `chain index ${index}: message key, nonce and the next chain key`,
      ['E2eeChain'],
      ['e2eRatchet'],
      step('e2ee.chain', { chainKey: hex(ck), index }, { key: hex(r.key), nonce: hex(r.nonce), next: hex(r.next) }),
    );
  }

  const ctx: Ctx = {
    room: 'lobby',
    epoch: seed('e2ee epoch').subarray(0, 16),
    author: seed('e2ee author kid'),
    stream: seed('e2ee stream').subarray(0, 16),
    seq: 7,
  };
  const cj = (c: Ctx) => ({ room: c.room, epoch: hex(c.epoch), author: hex(c.author), stream: hex(c.stream), seq: c.seq });
  one(b, g, 'the external AAD of a message', ['E2eeAad'], ['e2eMessage'], step('e2ee.aad', cj(ctx), { externalAad: hex(aadOf(ctx)) }));
  one(
    b,
    g,
    'the external AAD with a non-ASCII room and seq 2^53 - 1',
    ['E2eeAad', 'Boundary'],
    ['e2eMessage'],
    step('e2ee.aad', cj({ ...ctx, room: 'café ☕', seq: Number.MAX_SAFE_INTEGER }), {
      externalAad: hex(aadOf({ ...ctx, room: 'café ☕', seq: Number.MAX_SAFE_INTEGER })),
    }),
  );

  const chain = seed('e2ee chain id').subarray(0, 16);
  const pt = enc.encode('meet at noon');
  const dec = (c: Ctx, msg: Bytes) => ({ ...cj(c), chainKey: hex(ck), message: hex(msg) });
  one(
    b,
    g,
    'message index 0 decrypts',
    ['E2eeMessage'],
    ['e2eMessage', 'e2eMessageChecks'],
    step('e2ee.decrypt', dec(ctx, message(ck, chain, 0, ctx, pt)), { plaintext: hex(pt) }),
  );
  one(
    b,
    g,
    'message index 3, skipping 0..2',
    ['E2eeMessage'],
    ['e2eMessageChecks'],
    step('e2ee.decrypt', dec(ctx, message(ck, chain, 3, ctx, pt)), { plaintext: hex(pt) }),
  );
  one(
    b,
    g,
    'message index 256: the most a member skips ahead',
    ['E2eeMessage', 'Boundary'],
    ['e2eMessageChecks'],
    step('e2ee.decrypt', dec(ctx, message(ck, chain, 256, ctx, pt)), { plaintext: hex(pt) }),
  );
  one(
    b,
    g,
    'message index 257: too far ahead',
    ['E2eeMessage', 'Boundary'],
    ['e2eMessageChecks'],
    bad('e2ee.decrypt', dec(ctx, message(ck, chain, 257, ctx, pt)), 'ERR_E2EE_CHAIN_INDEX'),
  );
  one(
    b,
    g,
    'an empty plaintext',
    ['E2eeMessage', 'Boundary'],
    ['e2eMessage'],
    step('e2ee.decrypt', dec(ctx, message(ck, chain, 0, ctx, new Uint8Array(0))), { plaintext: '' }),
  );
  one(
    b,
    g,
    'a flipped ciphertext bit',
    ['E2eeTamper'],
    ['e2eMessageChecks'],
    bad(
      'e2ee.decrypt',
      dec(
        ctx,
        message(ck, chain, 0, ctx, pt, (c) => flip(c)),
      ),
      'ERR_E2EE_DECRYPT',
    ),
  );
  for (const [what, other] of [
    ['another room', { ...ctx, room: 'lobby2' }],
    ['another epoch', { ...ctx, epoch: new Uint8Array(16) }],
    ['another author', { ...ctx, author: seed('someone else') }],
    ['another author stream', { ...ctx, stream: new Uint8Array(16) }],
    ['another seq', { ...ctx, seq: 8 }],
  ] as const) {
    one(
      b,
      g,
      `a message moved to ${what}: the AAD differs`,
      ['E2eeTamper'],
      ['e2eMessage', 'e2eMessageChecks'],
      bad('e2ee.decrypt', dec(other, message(ck, chain, 0, ctx, pt)), 'ERR_E2EE_DECRYPT'),
    );
  }
  const p0 = protectedOf(chain, 0);
  const nonce0 = ratchet(ck, 0).nonce;
  const raw = (p: Bytes, u: Bytes, c: Bytes, t = 16) => hex(tag(t, arr(bstr(p), u, bstr(c))));
  const iv = mapRaw([[uint(5), bstr(nonce0)]]);
  const malformed: [string, string][] = [
    ['tag 17 instead of 16', raw(p0, iv, new Uint8Array(16), 17)],
    ['a ciphertext shorter than the tag', raw(p0, iv, new Uint8Array(15))],
    [
      'alg 3 (A256GCM) instead of 24',
      raw(
        mapRaw([
          [uint(1), uint(3)],
          [nint(-65601), bstr(chain)],
          [nint(-65602), uint(0)],
        ]),
        iv,
        new Uint8Array(16),
      ),
    ],
    [
      'no chain id',
      raw(
        mapRaw([
          [uint(1), uint(24)],
          [nint(-65602), uint(0)],
        ]),
        iv,
        new Uint8Array(16),
      ),
    ],
    ['an 11-byte nonce', raw(p0, mapRaw([[uint(5), bstr(new Uint8Array(11))]]), new Uint8Array(16))],
    [
      'protected labels out of order',
      raw(
        mapRaw([
          [nint(-65601), bstr(chain)],
          [uint(1), uint(24)],
          [nint(-65602), uint(0)],
        ]),
        iv,
        new Uint8Array(16),
      ),
    ],
    ['index 2^32', raw(protectedOf(chain, 2 ** 32), iv, new Uint8Array(16))],
  ];
  for (const [what, msg] of malformed)
    one(
      b,
      g,
      `malformed: ${what}`,
      ['E2eeMalformed'],
      ['e2eMessageChecks'],
      bad('e2ee.decrypt', { ...cj(ctx), chainKey: hex(ck), message: msg }, 'ERR_E2EE_MALFORMED'),
    );
  // A valid ciphertext under the derived nonce, whose IV header names another: only the nonce check refuses it.
  const good = message(ck, chain, 0, ctx, pt);
  const ctOf = (m: Bytes): Bytes => m.subarray(m.length - (pt.length + 16));
  one(
    b,
    g,
    'an IV header other than the derived nonce, over a ciphertext that decrypts',
    ['E2eeTamper'],
    ['e2eMessageChecks'],
    bad('e2ee.decrypt', { ...cj(ctx), chainKey: hex(ck), message: raw(p0, mapRaw([[uint(5), bstr(new Uint8Array(12))]]), ctOf(good)) }, 'ERR_E2EE_DECRYPT'),
  );

  // Key distributions: alice sends, bob opens; carol has no copy.
  const bobSeed = seed('e2ee bob device');
  const bobKp = await suite.kem.deriveKeyPair(buf(bobSeed));
  const bobPk = new Uint8Array(await suite.kem.serializePublicKey(bobKp.publicKey));
  const [alice, bob, carol] = [seed('alice kid'), seed('bob kid'), seed('carol kid')];
  const dist = distributionOf(
    ctx.room,
    ctx.epoch,
    chain,
    await copies(ctx.room, ctx.epoch, alice, chain, ck, [{ kid: bob, pk: bobPk, ekm: 'e2ee ephemeral 1' }]),
  );
  const open = (d: Bytes, o: Partial<{ room: string; epoch: Bytes; sender: Bytes; me: Bytes; seen: Bytes[] }> = {}) => ({
    room: o.room ?? ctx.room,
    epoch: hex(o.epoch ?? ctx.epoch),
    sender: hex(o.sender ?? alice),
    me: hex(o.me ?? bob),
    deviceSeed: hex(bobSeed),
    seen: (o.seen ?? []).map(hex),
    distribution: hex(d),
  });
  one(b, g, "bob opens alice's chain key", ['E2eeKeys'], ['e2eSeal', 'e2eKeysChecks'], step('e2ee.keys', open(dist), { chain: hex(chain), chainKey: hex(ck) }));
  one(
    b,
    g,
    'a distribution with no copy for carol: accepted, no key',
    ['E2eeKeys'],
    ['e2eKeysChecks'],
    step('e2ee.keys', open(dist, { me: carol }), { chain: hex(chain), chainKey: null }),
  );
  one(b, g, 'the same chain id again', ['E2eeReplay'], ['e2eKeysChecks'], bad('e2ee.keys', open(dist, { seen: [chain] }), 'ERR_E2EE_KEY_REPLAY'));
  one(b, g, 'posted in another room', ['E2eeReplay'], ['e2eKeysChecks'], bad('e2ee.keys', open(dist, { room: 'other' }), 'ERR_E2EE_KEY_REPLAY'));
  one(b, g, 'posted in another epoch', ['E2eeReplay'], ['e2eKeysChecks'], bad('e2ee.keys', open(dist, { epoch: new Uint8Array(16) }), 'ERR_E2EE_KEY_REPLAY'));
  one(
    b,
    g,
    'posted by another sender: the copy is bound to alice',
    ['E2eeTamper'],
    ['e2eSeal', 'e2eKeysChecks'],
    bad('e2ee.keys', open(dist, { sender: carol }), 'ERR_E2EE_DECRYPT'),
  );
  const relabelled = distributionOf(
    ctx.room,
    ctx.epoch,
    chain,
    await copies(ctx.room, new Uint8Array(16), alice, chain, ck, [{ kid: bob, pk: bobPk, ekm: 'e2ee ephemeral 2' }]),
  );
  one(
    b,
    g,
    "a copy sealed for another epoch, relabelled with this one: HPKE's info differs",
    ['E2eeTamper'],
    ['e2eSeal', 'e2eKeysChecks'],
    bad('e2ee.keys', open(relabelled), 'ERR_E2EE_DECRYPT'),
  );
  one(
    b,
    g,
    'no copies',
    ['E2eeMalformed'],
    ['e2eKeysChecks'],
    bad('e2ee.keys', open(arr(tstr(ctx.room), bstr(ctx.epoch), bstr(chain), arr())), 'ERR_E2EE_MALFORMED'),
  );
  one(
    b,
    g,
    'a 15-byte chain id',
    ['E2eeMalformed'],
    ['e2eKeysChecks'],
    bad(
      'e2ee.keys',
      open(arr(tstr(ctx.room), bstr(ctx.epoch), bstr(chain.subarray(1)), arr(arr(bstr(bob), bstr(new Uint8Array(32)), bstr(new Uint8Array(48)))))),
      'ERR_E2EE_MALFORMED',
    ),
  );
  one(b, g, 'trailing bytes', ['E2eeMalformed'], ['e2eKeysChecks'], bad('e2ee.keys', open(cat(dist, Uint8Array.of(0))), 'ERR_E2EE_MALFORMED'));

  // Device statements
  const author = seed('e2ee device author');
  const x = bobPk;
  const dev = (s: Bytes, pub = publicKeyOf(author)) => ({ publicKey: hex(pub), statement: hex(s) });
  one(b, g, 'a device statement', ['E2eeDevice'], ['e2eDevice'], step('e2ee.device', dev(deviceStatement(author, x)), { x25519: hex(x) }));
  one(
    b,
    g,
    'the X25519 key substituted under the signature',
    ['E2eeTamper'],
    ['e2eDevice'],
    bad('e2ee.device', dev(deviceStatement(author, x, arr(bstr(new Uint8Array(32).fill(9))))), 'ERR_E2EE_DEVICE_KEY'),
  );
  one(
    b,
    g,
    "signed by another key than the post's author",
    ['E2eeTamper'],
    ['e2eDevice'],
    bad('e2ee.device', dev(deviceStatement(seed('mallory'), x)), 'ERR_E2EE_DEVICE_KEY'),
  );
  one(
    b,
    g,
    'another content type',
    ['E2eeTamper'],
    ['e2eDevice'],
    bad('e2ee.device', dev(deviceStatement(author, x, undefined, 'application/cbor')), 'ERR_E2EE_DEVICE_KEY'),
  );
  one(
    b,
    g,
    'a 31-byte X25519 key, signed',
    ['E2eeMalformed'],
    ['e2eDevice'],
    bad('e2ee.device', dev(deviceStatement(author, x.subarray(1))), 'ERR_E2EE_MALFORMED'),
  );
  one(b, g, 'no envelope', ['E2eeMalformed'], ['e2eDevice'], bad('e2ee.device', dev(arr(bstr(x))), 'ERR_E2EE_MALFORMED'));
  return b.build();
}
