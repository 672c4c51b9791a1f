// Encrypted-room member vectors (spec/e2ee.md §2–§6): one member, alice, fed posts and room notices
// through e2ee.member.*; each step expects what she outputs. Her own posts are named by kind and by
// the order of her chains (1, 2, …), so an implementation's random chain ids and seals never matter.
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { arr, bstr, tstr, type Bytes } from './cbor.js';
import { enc, hex, seed, publicKeyOf, thumbprint } from './ref.js';
import { refs, type RefName } from './refs.js';
import { DEVICE_CT, buf, copies, deviceStatement, distributionOf, message, suite } from './e2ee-ref.js';

type B = FileBuilder<StepsGroup>;
type Expect = Record<string, unknown>;
const KEYS_CT = 'application/vnd.sealwire.e2ee-keys+cbor';
const MSG_CT = 'application/vnd.sealwire.e2ee+cose';
const REQ_CT = 'application/vnd.sealwire.e2ee-request+cbor';
const ROOM = 'lobby';
const EPOCH = seed('e2ee member epoch').subarray(0, 16);
const T0 = 1_800_000_000_000;

interface Who {
  name: string;
  secret: Bytes;
  kid: Bytes;
  deviceSeed: Bytes;
  x25519: Bytes;
  stream: Bytes;
}

async function who(name: string, identity = name, label = name): Promise<Who> {
  const secret = seed(`e2ee member ${label}`);
  const deviceSeed = seed(`e2ee member ${label} device`);
  const kp = await suite.kem.deriveKeyPair(buf(deviceSeed));
  const x25519 = new Uint8Array(await suite.kem.serializePublicKey(kp.publicKey));
  return { name: identity, secret, kid: thumbprint(publicKeyOf(secret)), deviceSeed, x25519, stream: seed(`e2ee member ${label} stream`).subarray(0, 16) };
}

/** One vector: a reset of alice, then steps; keeps the offset and seqs of the room stream. */
class Script {
  readonly steps: OpStep[] = [];
  readonly #sealed = new Map<string, Bytes>();
  #offset = 0;
  readonly #seq = new Map<string, number>();
  now = T0;

  constructor(
    readonly alice: Who,
    holdMs?: number,
  ) {
    const reset = { room: ROOM, epoch: hex(EPOCH), seed: hex(alice.secret), identity: alice.name, deviceSeed: hex(alice.deviceSeed), now: this.now };
    this.steps.push(op('e2ee.member.reset', holdMs === undefined ? reset : { ...reset, holdMs }, { events: [], posts: [{ device: {} }] }));
  }

  #post(from: Who, contentType: string, payload: Bytes | ((seq: number) => Bytes), extra: Record<string, unknown> = {}): Record<string, unknown> {
    const seq = this.#seq.get(from.name + hex(from.kid)) ?? 0;
    this.#seq.set(from.name + hex(from.kid), seq + 1);
    const bytes = typeof payload === 'function' ? payload(seq) : payload;
    return {
      kind: 'post',
      identity: from.name,
      author: hex(from.kid),
      contentType,
      stream: hex(from.stream),
      seq,
      offset: this.#offset++,
      payload: hex(bytes),
      ...extra,
    };
  }

  receive(post: Record<string, unknown> | undefined, expect?: Expect, comment?: string): void {
    this.steps.push(op('e2ee.member.receive', { now: this.now, ...(post ? { post } : {}) }, expect, comment));
  }

  device(from: Who, expect?: Expect, ts = 1, x25519 = from.x25519): void {
    const statement = deviceStatement(from.secret, x25519, undefined, DEVICE_CT, ts);
    this.receive(this.#post(from, DEVICE_CT, statement, { authorKey: hex(publicKeyOf(from.secret)) }), expect, `${from.name}'s device statement, ts ${ts}`);
  }

  /** The distribution of `chain` made by {@link Script.prepare}. */
  keys(from: Who, chain: Bytes, expect?: Expect): void {
    const d = this.#sealed.get(hex(chain));
    if (d === undefined) throw new Error('prepare the distribution first');
    this.receive(this.#post(from, KEYS_CT, d), expect, `${from.name}'s distribution of chain ${hex(chain).slice(0, 8)}`);
  }

  async prepare(from: Who, chain: Bytes, ck: Bytes, to: Who[]): Promise<void> {
    const list = await copies(
      ROOM,
      EPOCH,
      from.kid,
      chain,
      ck,
      to.map((w) => ({ kid: w.kid, pk: w.x25519, ekm: `e2ee member ephemeral ${hex(chain)} ${w.name}` })),
    );
    this.#sealed.set(hex(chain), distributionOf(ROOM, EPOCH, chain, list));
  }

  /** A message of `from` on `chain` at `index`; returns its offset. */
  message(from: Who, ck: Bytes, chain: Bytes, index: number, text: string, expect?: Expect): number {
    const p = this.#post(from, MSG_CT, (seq) =>
      message(ck, chain, index, { room: ROOM, epoch: EPOCH, author: from.kid, stream: from.stream, seq }, enc.encode(text)),
    );
    this.receive(p, expect, `${from.name}'s message ${index} on chain ${hex(chain).slice(0, 8)}`);
    return p['offset'] as number;
  }

  request(from: Who, sender: Bytes, chain: Bytes, expect?: Expect): void {
    this.receive(this.#post(from, REQ_CT, arr(bstr(sender), bstr(chain))), expect, `${from.name}'s key request`);
  }

  raw(from: Who, contentType: string, payload: Bytes, expect?: Expect, kind = 'post'): void {
    const p = this.#post(from, contentType, payload);
    this.receive(
      kind === 'post' ? p : { kind, identity: p['identity'], author: p['author'], contentType, seq: p['seq'], offset: p['offset'], payload: p['payload'] },
      expect,
    );
  }

  notice(kind: 'join' | 'leave', identity: string, expect?: Expect): void {
    this.receive({ kind, identity, offset: this.#offset++ }, expect, `${identity} ${kind}s`);
  }

  send(text: string, expect: Expect): void {
    this.steps.push(op('e2ee.member.send', { now: this.now, plaintext: hex(enc.encode(text)) }, expect));
  }
}

function op(name: string, fields: Record<string, unknown>, expect?: Expect, comment?: string): OpStep {
  return { op: name, ...(comment ? { comment } : {}), ...fields, result: 'valid', ...(expect ? { expect } : {}) };
}

const kids = (...w: Who[]): string[] => w.map((x) => hex(x.kid)).sort();
const devices = (...w: Who[]) =>
  [...w].sort((a, b) => (hex(a.kid) < hex(b.kid) ? -1 : 1)).map((x) => ({ identity: x.name, kid: hex(x.kid), x25519: hex(x.x25519) }));
const keys = (chain: number, ...to: Who[]) => ({ keys: { chain, copies: kids(...to) } });
const msg = (chain: number, index: number) => ({ message: { chain, index } });
const got = (from: Who, offset: number, text: string) => ({ message: { keyId: hex(from.kid), offset, plaintext: hex(enc.encode(text)) } });
const refused = (code: string, keyId: string, offset: number | null) => ({ refused: { code, keyId, offset } });
const quiet = { events: [], posts: [] };

function add(b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], s: Script): void {
  b.add(g, { comment, flags, specRefs: refs(...r), result: 'valid', steps: s.steps });
}

export async function e2eeMembers(): Promise<VectorFile> {
  const b = new FileBuilder<StepsGroup>('sealwire-e2ee-members-v1-experimental', 'steps_schema.json', [
    'Encrypted-room members over a stream (spec/e2ee.md §2-§6), wire format EXPERIMENTAL: e2ee.member.reset makes',
    'alice a member of one room epoch; e2ee.member.receive hands her one post or room notice at a virtual time;',
    'e2ee.member.send asks her to send. Each answer lists what she output: decrypted messages and refusals',
    '(events), her own posts by kind (posts: her chains numbered 1, 2, ... in order, copies by recipient kid)',
    'and the device keys she would seal her next chain to (devices, by kid).',
  ]);
  const g = b.group({ type: 'Steps' });
  const [alice, bob, carol, dave] = await Promise.all([who('alice'), who('bob'), who('carol'), who('dave')]);
  const bob2 = await who('bob', 'bob', 'bob phone');
  const chainOf = (label: string): Bytes => seed(`e2ee member chain ${label}`).subarray(0, 16);
  const ckOf = (label: string): Bytes => seed(`e2ee member chain key ${label}`);

  {
    const s = new Script(alice);
    s.device(bob, { events: [], posts: [{ device: {} }], devices: devices(alice, bob) });
    s.send('one', { events: [], posts: [keys(1, alice, bob), msg(1, 0)] });
    s.send('two', { ...quiet, posts: [msg(1, 1)] });
    s.device(carol, { events: [], posts: [{ device: {} }], devices: devices(alice, bob, carol) });
    s.send('three', { events: [], posts: [keys(2, alice, bob, carol), msg(2, 0)] });
    s.device(carol, { ...quiet, devices: devices(alice, bob, carol) }, 1);
    s.send('four', { events: [], posts: [msg(2, 1)] });
    const carolNew = { ...carol, x25519: bob2.x25519 };
    // A new device key for a kid she held: carol is back with a fresh session, so alice posts hers again.
    s.device(carol, { events: [], posts: [{ device: {} }], devices: devices(alice, bob, carolNew) }, 2, carolNew.x25519);
    s.send('five', { events: [], posts: [keys(3, alice, bob, carol), msg(3, 0)] });
    add(
      b,
      g,
      'a sender distributes a chain on its first send, and a new one whenever its device set changed',
      ['E2eeMember', 'E2eeRotation'],
      ['e2eRotate', 'e2eDeviceKept'],
      s,
    );
  }
  {
    const s = new Script(alice);
    const x2 = { ...bob, x25519: carol.x25519 };
    const x3 = { ...bob, x25519: dave.x25519 };
    s.device(bob, { events: [], posts: [{ device: {} }], devices: devices(alice, x2) }, 2, x2.x25519);
    s.device(bob, { ...quiet, devices: devices(alice, x2) }, 1, bob.x25519);
    s.device(bob, { events: [], posts: [{ device: {} }], devices: devices(alice, x3) }, 3, x3.x25519);
    add(
      b,
      g,
      'one device key per kid: the statement with the highest ts wins (alice posts hers again), an older or equal one is ignored',
      ['E2eeMember'],
      ['e2eDeviceKept'],
      s,
    );
  }
  {
    const s = new Script(alice);
    s.device(bob);
    s.device(bob2, { events: [], posts: [{ device: {} }], devices: devices(alice, bob, bob2) });
    s.device(carol);
    s.send('before', { events: [], posts: [keys(1, alice, bob, bob2, carol), msg(1, 0)] });
    s.notice('leave', 'bob', { ...quiet, devices: devices(alice, carol) });
    s.send('after', { events: [], posts: [keys(2, alice, carol), msg(2, 0)] });
    s.notice('leave', 'nobody', { ...quiet, devices: devices(alice, carol) });
    s.notice('join', 'erin', { ...quiet, devices: devices(alice, carol) });
    s.send('again', { events: [], posts: [msg(2, 1)] });
    s.notice('leave', 'alice', { events: [], posts: [{ device: {} }], devices: devices(alice, carol) });
    add(
      b,
      g,
      "a leave forgets every device of that identity and the next send rotates without them; another session of alice's leaving keeps her device and she posts it again",
      ['E2eeMember', 'E2eeRotation'],
      ['e2eLeave', 'e2eRotate'],
      s,
    );
  }
  {
    const s = new Script(alice);
    s.device(bob);
    s.raw(bob, 'text/plain', enc.encode('hello'), { events: [refused('ERR_E2EE_UNENCRYPTED', hex(bob.kid), 1)], posts: [] });
    s.raw(
      bob,
      MSG_CT,
      message(ckOf('r'), chainOf('r'), 0, { room: ROOM, epoch: EPOCH, author: bob.kid, stream: bob.stream, seq: 0 }, enc.encode('hi')),
      { events: [refused('ERR_E2EE_UNENCRYPTED', hex(bob.kid), 2)], posts: [] },
      'relay',
    );
    s.notice('join', 'carol', quiet);
    s.request(bob, bob.kid, chainOf('x'), quiet);
    s.raw(bob, REQ_CT, arr(tstr('x')), { events: [refused('ERR_E2EE_MALFORMED', hex(bob.kid), 5)], posts: [] });
    add(
      b,
      g,
      'posts an encrypted room refuses: another content type, a server-attested relay; notices are not refused',
      ['E2eeMember'],
      ['e2eUnencrypted', 'e2eRequest'],
      s,
    );
  }
  {
    const s = new Script(alice);
    s.device(bob);
    s.device(dave);
    s.send('one', { events: [], posts: [keys(1, alice, bob, dave), msg(1, 0)] });
    s.request(bob, bob.kid, chainOf('b'), quiet);
    s.send('two', { events: [], posts: [msg(1, 1)] });
    s.request(bob, alice.kid, chainOf('b'), quiet);
    s.send('three', { events: [], posts: [keys(2, alice, bob, dave), msg(2, 0)] });
    s.request(carol, alice.kid, chainOf('b'), quiet);
    s.send('four', { events: [], posts: [msg(2, 1)] });
    add(
      b,
      g,
      'a key request naming alice from a member whose device she holds makes her rotate; one naming another sender, or from an unknown device, does not',
      ['E2eeMember', 'E2eeRotation'],
      ['e2eRequest'],
      s,
    );
  }
  {
    const s = new Script(alice, 1000);
    const [c1, k1, c2, k2] = [chainOf('h1'), ckOf('h1'), chainOf('h2'), ckOf('h2')];
    await s.prepare(bob, c1, k1, [alice, bob]);
    await s.prepare(bob, c2, k2, [alice, bob]);
    s.device(bob);
    const o1 = s.message(bob, k1, c1, 1, 'first', { events: [], posts: [{ request: { sender: hex(bob.kid), chain: hex(c1) } }] });
    s.now += 400;
    const o2 = s.message(bob, k1, c1, 0, 'second', quiet);
    s.now += 599;
    s.receive(undefined, quiet, '999 ms after the first: still held');
    s.keys(bob, c1, { events: [got(bob, o1, 'first'), got(bob, o2, 'second')], posts: [] });
    const o3 = s.message(bob, k2, c2, 0, 'late', { events: [], posts: [{ request: { sender: hex(bob.kid), chain: hex(c2) } }] });
    s.now += 999;
    s.receive(undefined, quiet);
    s.now += 1;
    s.receive(undefined, { events: [refused('ERR_E2EE_NO_KEY', hex(bob.kid), o3)], posts: [] }, 'exactly holdMs later: given up');
    s.keys(bob, c2, quiet);
    add(
      b,
      g,
      'messages held for their chain are released in arrival order, or reported ERR_E2EE_NO_KEY after holdMs',
      ['E2eeMember', 'E2eeHold'],
      ['e2eHold', 'e2eRequest'],
      s,
    );
  }
  {
    const s = new Script(alice);
    const [c, k] = [chainOf('many'), ckOf('many')];
    await s.prepare(bob, c, k, [alice]);
    s.device(bob);
    const offsets: number[] = [];
    for (let i = 0; i < 257; i++) {
      const expect = i === 0 ? undefined : i < 256 ? quiet : { events: [refused('ERR_E2EE_NO_KEY', hex(bob.kid), offsets[0]!)], posts: [] };
      offsets.push(s.message(bob, k, c, i, `m${i}`, expect));
    }
    s.keys(bob, c, { events: offsets.slice(1).map((o, i) => got(bob, o, `m${i + 1}`)), posts: [] });
    add(b, g, 'at most 256 messages held: the 257th pushes out the oldest, reported ERR_E2EE_NO_KEY', ['E2eeMember', 'E2eeHold', 'E2eeBound'], ['e2eHold'], s);
  }
  await chainBounds(b, g, alice, bob, chainOf, ckOf);
  return b.build();
}

/**
 * [E2E-3.4]: the chain keys of 1,024 chains, least recently used first out. The 4,096 chain ids would
 * take 4,097 posts (3 MB of vectors): test/unit/e2ee/member-bounds.test.ts overflows that bound.
 */
async function chainBounds(b: B, g: StepsGroup, alice: Who, bob: Who, chainOf: (l: string) => Bytes, ckOf: (l: string) => Bytes): Promise<void> {
  const s = new Script(alice);
  s.device(bob);
  for (let i = 0; i <= 1024; i++) await s.prepare(bob, chainOf(`bound ${i}`), ckOf(`bound ${i}`), [alice]);
  for (let i = 0; i <= 1024; i++) s.keys(bob, chainOf(`bound ${i}`), i === 1024 ? quiet : undefined);
  const c0 = chainOf('bound 0');
  s.message(bob, ckOf('bound 0'), c0, 0, 'forgotten', { events: [], posts: [{ request: { sender: hex(bob.kid), chain: hex(c0) } }] });
  const o = s.message(bob, ckOf('bound 1'), chainOf('bound 1'), 0, 'kept', undefined);
  s.steps[s.steps.length - 1]!.expect = { events: [got(bob, o, 'kept')], posts: [] };
  add(
    b,
    g,
    'the chain keys of 1,024 chains: the 1,025th forgets the least recently used, whose messages are then held',
    ['E2eeMember', 'E2eeBound'],
    ['e2eBounds'],
    s,
  );
}
