// Encrypted rooms (spec/e2ee.md): what encryption adds to a room post. `seal` signs a plaintext
// post; `encrypt+seal` advances the sender chain, encrypts a COSE_Encrypt0 and signs that; `open`
// checks the author's signature; `open+decrypt` checks it, then decrypts under a receiver chain.
// The key distribution (HPKE, once per chain) is outside the timed region.
import { Chain } from '../../src/e2ee/chain.js';
import { decodeMessage, decryptMessage, encryptMessage } from '../../src/e2ee/encrypt0.js';
import { prepareRoom, resolveFor, sealWithKey, verifyResolvedWith } from '../../src/rooms/seal.js';
import { ROLE, roomAad } from '../../src/rooms/wire.js';
import { MAX_ENVELOPE, STREAM, TS, type Keys } from '../fixtures.js';
import { consume, fmtHz, fmtRatio, fmtSize, measure, pairUp, ratio, table, type Profile, type SuiteReport } from '../lib.js';

const BATCH = 64;
const ROOM = 'bench';
const EPOCH = new Uint8Array(16).fill(5);
const CHAIN_ID = new Uint8Array(16).fill(6);
const CK = new Uint8Array(32).fill(7);

export async function e2eeSuite(profile: Profile, keys: Keys): Promise<SuiteReport> {
  const signer = keys.signer['node']!;
  const pub = keys.key['node']!;
  const aad = roomAad(ROLE.author, EPOCH, ROOM);
  const rows: string[][] = [];
  for (const size of [32, 2048]) {
    const plaintext = new Uint8Array(size).fill(0x61);
    const post = (payload: Uint8Array, seq: number, ct: number | string) =>
      sealWithKey(signer, prepareRoom(signer.kid, { contentType: ct, stream: STREAM, seq, ts: TS }, payload, aad)) as Uint8Array;
    const context = (seq: number) => ({ room: ROOM, epoch: EPOCH, author: signer.kid, stream: STREAM, seq });
    // What a member receives: BATCH plaintext posts, and BATCH encrypted ones on one chain.
    const sender = new Chain(CK);
    const plainPosts = Array.from({ length: BATCH }, (_, i) => post(plaintext, i, 42));
    const encPosts = Array.from({ length: BATCH }, (_, i) => {
      const { index, key } = sender.advance();
      return post(encryptMessage(CHAIN_ID, index, key, context(i), plaintext), i, 'application/vnd.sealwire.e2ee+cose');
    });
    const open = (bytes: Uint8Array) => {
      const r = resolveFor(bytes, pub, MAX_ENVELOPE);
      verifyResolvedWith(r, aad);
      return r.decoded;
    };
    const tasks = [
      {
        name: 'seal',
        ops: BATCH,
        fn: () => {
          for (let i = 0; i < BATCH; i++) consume(post(plaintext, i, 42));
        },
      },
      {
        name: 'encrypt+seal',
        ops: BATCH,
        fn: () => {
          const c = new Chain(CK);
          for (let i = 0; i < BATCH; i++) {
            const { index, key } = c.advance();
            consume(post(encryptMessage(CHAIN_ID, index, key, context(i), plaintext), i, 'application/vnd.sealwire.e2ee+cose'));
          }
        },
      },
      {
        name: 'open',
        ops: BATCH,
        fn: () => {
          for (const p of plainPosts) consume(open(p).payload);
        },
      },
      {
        name: 'open+decrypt',
        ops: BATCH,
        fn: () => {
          const c = new Chain(CK);
          for (const p of encPosts) {
            const d = open(p);
            const m = decodeMessage(d.payload);
            consume(decryptMessage(m, c.take(m.index), context(d.header.seq)));
          }
        },
      },
    ];
    const r = await measure(profile, tasks);
    pairUp(profile, r, tasks, [
      ['encrypt+seal', 'seal'],
      ['open+decrypt', 'open'],
    ]);
    rows.push([
      fmtSize(size),
      fmtHz(r.get('seal')!.median),
      fmtHz(r.get('encrypt+seal')!.median),
      fmtRatio(ratio(r, 'encrypt+seal', 'seal')),
      fmtHz(r.get('open')!.median),
      fmtHz(r.get('open+decrypt')!.median),
      fmtRatio(ratio(r, 'open+decrypt', 'open')),
    ]);
  }
  return {
    title: 'Encrypted rooms: encryption on top of signing',
    markdown: [
      'Per post, node backend. `encrypt+seal` = chain step (HKDF-SHA256) + COSE_Encrypt0 (ChaCha20-Poly1305) + Ed25519',
      'sign; `open+decrypt` = Ed25519 verify + decode + chain step + decrypt. Ratios are throughput relative to the',
      'plaintext operation (1.00× = free). The HPKE key distribution, once per chain, is not in these numbers.',
      '',
      table(['payload', 'seal', 'encrypt+seal', 'encrypt+seal / seal', 'open', 'open+decrypt', 'open+decrypt / open'], rows),
    ].join('\n'),
    targets: [],
  };
}
