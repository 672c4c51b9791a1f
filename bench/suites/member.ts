// Issue 17 item 7: a room member's checks of the frames it receives (server signature, then the
// author's), as a browser without a native backend runs them: noble synchronously, against the
// platform's WebCrypto Ed25519 verifying ahead of the in-order checks. Node's WebCrypto stands in
// for a browser's here; both runs check the same frames: a statement and one post per frame.
import { generateKeyPair, importPublicKey, importSigningKey, type PublicKey } from '../../src/index.js';
import { setDefaultBackend, getDefaultBackend } from '../../src/crypto/select.js';
import { webCryptoVerify } from '../../src/crypto/webcrypto.js';
import { RoomMember } from '../../src/rooms/member.js';
import { FramePipeline } from '../../src/rooms/pipeline.js';
import { prepareRoom, sealRoom, sealWithKey } from '../../src/rooms/seal.js';
import { encodeRoomEvent, encodeStatement, KEY_CONTENT_TYPE, KIND_POST, ROLE, ROOM_CONTENT_TYPE, roomAad } from '../../src/rooms/wire.js';
import { fmtHz, fmtRatio, median, table, type Profile, type SuiteReport } from '../lib.js';

const ROOM = 'bench';
const EPOCH = new Uint8Array(16).fill(7);

function frames(count: number): { all: Uint8Array[]; server: PublicKey } {
  const server = importSigningKey(generateKeyPair().secretKey);
  const alice = importSigningKey(generateKeyPair().secretKey);
  const statement = encodeStatement({ room: ROOM, identity: 'alice', roles: [], kid: alice.kid, key: alice.publicKey, notBefore: 0, notAfter: 2 ** 52 });
  const out = [sealRoom(server, { contentType: KEY_CONTENT_TYPE, stream: new Uint8Array(16), seq: 0, ts: 1 }, statement, roomAad(ROLE.statement))];
  const data = new Uint8Array(64).fill(0x61);
  for (let i = 0; i < count; i++) {
    const post = sealWithKey(
      alice,
      prepareRoom(alice.kid, { contentType: 42, stream: new Uint8Array(16).fill(1), seq: i, ts: 10 + i }, data, roomAad(ROLE.author, EPOCH, ROOM)),
    ) as Uint8Array;
    const body = encodeRoomEvent({ room: ROOM, body: { kind: KIND_POST, post } });
    out.push(sealRoom(server, { contentType: ROOM_CONTENT_TYPE, stream: EPOCH, seq: i, ts: 10 + i }, body, roomAad(ROLE.event)));
  }
  return { all: out, server: importPublicKey(server.publicKey) };
}

/** Frames per second for one member checking every frame, in order, until the last is delivered. */
async function run({ all, server }: ReturnType<typeof frames>, webcrypto: boolean): Promise<number> {
  let delivered = 0;
  let refused = 0;
  const member = new RoomMember(server, 65_536, {
    message: () => void delivered++,
    notice: (n) => void (n.type === 'refused' && refused++),
    recover: () => {},
  });
  member.joining(ROOM);
  member.positioned({ room: ROOM, epoch: EPOCH, next: 0, status: 0, count: 0 });
  const pipeline = new FramePipeline(member, webcrypto ? (await webCryptoVerify())! : 'sync');
  const t0 = performance.now();
  for (const f of all) pipeline.frame(f);
  while (delivered + refused < all.length - 1) await new Promise((r) => setImmediate(r));
  const seconds = (performance.now() - t0) / 1000;
  if (refused > 0) throw new Error(`${refused} frames refused: the bench frames are wrong`);
  return (all.length - 1) / seconds;
}

export async function memberSuite(profile: Profile): Promise<SuiteReport> {
  const count = profile.quick ? 300 : 2000;
  const before = getDefaultBackend().name;
  setDefaultBackend('noble'); // as in a browser: no native backend
  try {
    const all = frames(count);
    const noble: number[] = [];
    const web: number[] = [];
    for (let round = 0; round < 3; round++) {
      noble.push(await run(all, false));
      web.push(await run(all, true));
    }
    const ratio = median(web) / median(noble);
    process.stderr.write(`  member checks: webcrypto ${fmtRatio(ratio)} of noble\n`);
    const markdown = [
      'A room member checks each frame (the server signature, then the author envelope inside the post',
      'under its key statement) as a browser without a native backend does: noble synchronously, or',
      "the platform's WebCrypto Ed25519 verifying ahead while earlier frames are checked in order",
      "(src/rooms/pipeline.ts). Node's WebCrypto stands in for a browser's. Medians of 3 rounds of",
      `${count} post frames, each round a fresh member; 2 shared cores.`,
      '',
      table(
        ['verifier', 'frames/s', 'vs noble'],
        [
          ['noble (sync)', fmtHz(median(noble)), '1×'],
          ['WebCrypto (ahead)', fmtHz(median(web)), fmtRatio(ratio)],
        ],
      ),
    ].join('\n');
    return { title: 'Room members: WebCrypto against noble', markdown, targets: [] };
  } finally {
    setDefaultBackend(before as 'noble');
  }
}
