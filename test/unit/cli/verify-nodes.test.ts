// `sealwire verify --node-set` (spec/nodes.md §5 for an auditor): a room transcript whose frames
// two nodes sealed verifies under the operator's node set, without either node key in the keys
// file; a node the set does not list, or a frame after the set's expiry, fails; a set another key
// signed is a usage error.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigningKey, signNodeSet, toHex, type SigningKey } from '../../../src/index.js';
import { main } from '../../../src/cli/main.js';
import { sealRoom } from '../../../src/rooms/seal.js';
import { encodeRoomEvent, KIND_ANNOUNCE, ROLE, ROOM_CONTENT_TYPE, roomAad } from '../../../src/rooms/wire.js';

const key = (): SigningKey => importSigningKey(generateKeyPair().secretKey);
const operator = key();
const [nodeA, nodeB, nodeC, stranger] = [key(), key(), key(), key()];
const TS = 1_700_000_000_000;
const epoch = new Uint8Array(16).fill(7);
let dir: string;

const frame = (by: SigningKey, offset: number, text: string, ts = TS + offset): string =>
  toHex(
    sealRoom(
      by,
      { contentType: ROOM_CONTENT_TYPE, stream: epoch, seq: offset, ts },
      encodeRoomEvent({ room: 'lobby', body: { kind: KIND_ANNOUNCE, action: 'send', from: 'server', data: new TextEncoder().encode(text) } }),
      roomAad(ROLE.event),
    ),
  );

async function verify(lines: string[], set: Uint8Array, signer = 'operator'): Promise<{ code: number; out: string }> {
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(file, lines.join('\n') + '\n');
  await writeFile(join(dir, 'set.hex'), toHex(set) + '\n');
  let out = '';
  const code = await main(['verify', '--keys', join(dir, 'keys.json'), '--node-set', join(dir, 'set.hex'), '--operator', signer, file], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (out += t),
  });
  return { code, out };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealwire-nodes-cli-'));
  await writeFile(join(dir, 'keys.json'), JSON.stringify({ operator: toHex(operator.publicKey), mallory: toHex(stranger.publicKey) }));
});

describe('sealwire verify with a node set', () => {
  const set = signNodeSet(operator, { service: 'chat', version: 4, notAfter: TS + 1000, nodes: [{ key: nodeA.publicKey }, { key: nodeB.publicKey }], now: TS });

  // [NODE-5.1]
  it('verifies frames of every node the set lists, and refuses a node it does not list', async () => {
    const ok = await verify([frame(nodeA, 0, 'from a'), frame(nodeB, 1, 'from b')], set);
    expect(ok.out).toContain('text="from a"');
    expect(ok.out).toContain('text="from b"');
    expect(ok.code).toBe(0);
    const bad = await verify([frame(nodeA, 0, 'from a'), frame(nodeC, 1, 'from a node never listed')], set);
    expect(bad.out).toContain('ERR_UNKNOWN_KEY');
    expect(bad.code).toBe(1);
  });

  // [NODE-2.4]: no node key outlives its set
  it('refuses a frame sealed after the set expired', async () => {
    const late = await verify([frame(nodeA, 0, 'late', TS + 1001)], set);
    expect(late.out).toContain('ERR_KEY_EXPIRED');
    expect(late.code).toBe(1);
  });

  it('a set another key signed is a usage error', async () => {
    const r = await verify([frame(nodeA, 0, 'x')], set, 'mallory');
    expect(r.out).toContain('ERR_SERVER_IDENTITY');
    expect(r.code).toBe(2);
  });
});
