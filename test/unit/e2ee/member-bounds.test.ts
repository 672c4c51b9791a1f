// [E2E-3.4]: the 4,096 chain ids a member remembers against replayed distributions. The chain-key
// bound has a vector (e2ee_members.json); this one would take 4,097 posts, so it is checked here,
// through the driver's member ops (the same E2eeRoom on a recorded port and virtual time).
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/bytes.js';
import { encodeDistribution } from '../../../src/e2ee/distribution.js';
import { DEVICE_CONTENT_TYPE, MAX_DEVICES, MAX_SEEN_CHAINS } from '../../../src/e2ee/suite.js';
import { signDeviceStatement } from '../../../src/e2ee/device.js';
import { importSigningKey } from '../../../src/keys/keys.js';
import { E2eeMemberOps } from '../../../conformance/lib/e2ee-member-ops.js';
import type { Json } from '../../../conformance/lib/fields.js';

const epoch = new Uint8Array(16).fill(1);
const bob = toHex(new Uint8Array(32).fill(0xb));

/** A distribution with one copy for someone else: alice accepts its chain id and gets no key. */
function distribution(i: number): string {
  const chain = new Uint8Array(16);
  new DataView(chain.buffer).setUint32(0, i);
  return toHex(encodeDistribution({ room: 'lobby', epoch, chain, copies: [{ recipient: Uint8Array.of(0), enc: new Uint8Array(32), ct: new Uint8Array(48) }] }));
}

describe('encrypted-room member bounds', () => {
  it(`remembers ${MAX_SEEN_CHAINS} chain ids: one more forgets the least recently used, which is accepted again`, async () => {
    const ops = new E2eeMemberOps();
    await ops.reset({ room: 'lobby', epoch: toHex(epoch), seed: '11'.repeat(32), identity: 'alice', deviceSeed: '22'.repeat(32), now: 0 });
    let offset = 0;
    const receive = async (i: number): Promise<Json> => {
      const post = {
        kind: 'post',
        identity: 'bob',
        author: bob,
        contentType: 'application/vnd.sealwire.e2ee-keys+cbor',
        stream: '33'.repeat(16),
        seq: offset,
        offset: offset++,
        payload: distribution(i),
      };
      return (await ops.receive({ now: 0, post }))['events']!;
    };
    const replay = (at: number): Json => [{ refused: { code: 'ERR_E2EE_KEY_REPLAY', keyId: bob, offset: at } }];
    for (let i = 0; i < MAX_SEEN_CHAINS; i++) expect(await receive(i)).toEqual([]);
    expect(await receive(0)).toEqual(replay(offset - 1));
    expect(await receive(MAX_SEEN_CHAINS)).toEqual([]);
    // The oldest, 0, was forgotten (a refused replay does not use it); 1 is still remembered.
    expect(await receive(1)).toEqual(replay(offset - 1));
    expect(await receive(0)).toEqual([]);
    expect(await receive(0)).toEqual(replay(offset - 1));
  }, 60_000);
});

describe('encrypted-room member device bound', () => {
  // [E2E-2.2]: at most 1,024 kids per room, least recently used forgotten.
  it(`holds ${MAX_DEVICES} device keys: one more kid forgets the least recently used other than its own`, async () => {
    const ops = new E2eeMemberOps();
    const reset = await ops.reset({ room: 'lobby', epoch: toHex(epoch), seed: '11'.repeat(32), identity: 'alice', deviceSeed: '22'.repeat(32), now: 0 });
    const aliceKid = (reset['devices'] as { kid: string }[])[0]!.kid;
    const kids: string[] = [];
    let devices: { kid: string }[] = [];
    for (let i = 0; i < MAX_DEVICES; i++) {
      const key = importSigningKey(new Uint8Array(32).fill(0).map((_, j) => (j < 4 ? (i >> (8 * j)) & 0xff : 7)));
      kids.push(toHex(key.kid));
      const payload = toHex(await signDeviceStatement(key, new Uint8Array(32).fill(i & 0xff), 1));
      const post = {
        kind: 'post',
        identity: `m${i}`,
        author: toHex(key.kid),
        authorKey: toHex(key.publicKey),
        contentType: DEVICE_CONTENT_TYPE,
        stream: '33'.repeat(16),
        seq: 0,
        offset: i,
        payload,
      };
      devices = (await ops.receive({ now: 0, post }))['devices'] as { kid: string }[];
    }
    expect(devices).toHaveLength(MAX_DEVICES);
    const held = new Set(devices.map((d) => d.kid));
    // alice's own device stays (every chain she makes is sealed to it); the first other kid went.
    expect(held.has(aliceKid)).toBe(true);
    expect(held.has(kids[0]!)).toBe(false);
    expect(kids.slice(1).every((k) => held.has(k))).toBe(true);
  }, 60_000);
});
