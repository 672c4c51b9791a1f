// `sealwire verify` of room transcripts (spec/rooms.md [ROOM-9.1]), as a user runs it: a member's
// saved `evidence` records and a server's room log from a real server, then the same transcript
// with an author's words rewritten, a second history at one offset, a statement the keys file
// contradicts, and no statement.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyRing, SecureServer, fromHex, generateKeyPair, importPublicKey, importSigningKey, toHex } from '../../src/index.js';
import { connect, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import { openRoomLog } from '../../src/rooms/file-log.js';
import { sealRoom } from '../../src/rooms/seal.js';
import { decodeRoomEvent, encodeRoomEvent, KIND_ANNOUNCE, KIND_POST, ROLE, ROOM_CONTENT_TYPE, roomAad } from '../../src/rooms/wire.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/wire/envelope.js';
import { OP_ROOM_ACK, decodeClientMessage } from '../../src/session/messages.js';
import { ADAPTERS } from '../helpers/net-adapters.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const launcher = join(root, 'bin', 'sealwire.mjs');

function verify(file: string, keys = 'keys.json'): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [launcher, 'verify', '--keys', keys, file], { cwd: dir, timeout: 20_000 }, (err, stdout) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout });
    });
  });
}

const serverKey = importSigningKey(generateKeyPair().secretKey);
const alice = importSigningKey(generateKeyPair().secretKey);
const bob = importSigningKey(generateKeyPair().secretKey);
let dir: string;
/** Bob's saved records, in the order his session emitted them. */
let records: string[];
/** What the server saved of bob's session: his signed envelopes, RoomAcks among them. */
const serverRecords: string[] = [];
const end0 = Date.now();
const frameOf = (record: string): Uint8Array => fromHex((JSON.parse(record) as { envelope: string }).envelope);
const file = (lines: string[]): string => `# a room transcript\n${lines.join('\n')}\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealwire-room-cli-'));
  await writeFile(join(dir, 'keys.json'), JSON.stringify({ server: toHex(serverKey.publicKey), alice: toHex(alice.publicKey), bob: toHex(bob.publicKey) }));
  const log = openRoomLog(join(dir, 'rooms.log'));
  const ring = new KeyRing();
  ring.add(alice.publicKey, { identity: 'alice' });
  ring.add(bob.publicKey, { identity: 'bob' });
  const server = new SecureServer({ key: serverKey, keys: ring, authorize: () => true, rooms: { log, positionMs: 50 } });
  // The server keeps what bob signs: his RoomAcks are his evidence of receipt.
  server.on('session', (s) => s.on('evidence', (e) => s.identity === 'bob' && serverRecords.push(e.record)));
  let acked = 0;
  server.on('roomAck', (a) => (acked = a.next));
  const adapter = await ADAPTERS[0]!.start(server, {});
  const options = { WebSocket: WebSocket as unknown as WebSocketConstructor, serverKey: importPublicKey(serverKey.publicKey) };
  const a = await connect(adapter.url, { ...options, key: alice });
  const b = await connect(adapter.url, { ...options, key: bob, roomAcks: true });
  records = [];
  b.on('evidence', (e) => {
    if (e.binding.length === 0) records.push(e.record);
  });
  const got: string[] = [];
  b.on('message', (m) => got.push(new TextDecoder().decode(m.payload)));
  await a.join('lobby');
  await b.join('lobby');
  // One event per frame: each waits for the previous to arrive (events of one tick share a bundle).
  const arrived = async (n: number) => {
    const end = Date.now() + 10_000;
    while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  };
  await a.post('lobby', 'hello from alice');
  await arrived(1);
  await a.post('lobby', 'pay bob 10');
  await arrived(2);
  server.publish('lobby', 'server notice');
  await arrived(3);
  while (acked < 3 && Date.now() < end0 + 10_000) await new Promise((r) => setTimeout(r, 5));
  a.close();
  b.close();
  await adapter.close();
  log.close();
});

describe('sealwire verify of a room transcript', () => {
  it("a member's saved frames: each post reads as its author's words at its offset, verified offline", async () => {
    expect(records.length).toBe(4); // alice's statement, two posts, the announcement
    await writeFile(join(dir, 'bob.txt'), file(records));
    const r = await verify('bob.txt');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('line 2:'))).toMatch(/^line 2: ok statement from=alice room=lobby kid=[0-9a-f]{64}$/);
    const post = lines.find((l) => l.startsWith('line 4:'))!;
    expect(post).toMatch(/^line 4: ok room-event from=alice room=lobby epoch=[0-9a-f]{32} offset=1 kind=post signed-by=author kid=[0-9a-f]{64} stream=[0-9a-f]{32} seq=1 ts=\S+ text="pay bob 10"$/);
    expect(lines.find((l) => l.startsWith('line 5:'))).toMatch(/offset=2 kind=announce signed-by=server .*text="server notice"$/);
    expect(r.stdout).toMatch(/room lobby epoch=[0-9a-f]{32}: offsets 0–2, not in the file: -/);
    expect(r.stdout).toContain('4 records: 4 ok, 0 failed');
  });

  it("bob's RoomAck, kept by the server, names the frame of his transcript it acknowledges ([ROOM-6.8])", async () => {
    const isAck = (record: string): boolean => {
      try {
        return decodeClientMessage(decodeEnvelope(frameOf(record)).payload).op === OP_ROOM_ACK;
      } catch {
        return false; // a receipt
      }
    };
    const ack = serverRecords.filter(isAck).pop()!;
    await writeFile(join(dir, 'ack.txt'), file([...records, ack]));
    const r = await verify('ack.txt');
    expect(r.stdout).toMatch(/line 6: ok envelope from=bob kid=[0-9a-f]{64} .* acks-room=lobby epoch=[0-9a-f]{32} next=3 frame=line-5$/m);
    expect(r.code).toBe(0);
    // Without the room frames, the RoomAck still verifies as bob's word; its frame is not in the file.
    await writeFile(join(dir, 'ack-alone.txt'), file([ack]));
    expect((await verify('ack-alone.txt')).stdout).toMatch(/acks-room=lobby .* next=3 frame=not-in-file/);
  });

  it("the server's room log is the same kind of evidence", async () => {
    const r = await verify('rooms.log');
    expect(r.stdout).toContain('text="pay bob 10"');
    expect(r.stdout).toContain('4 records: 4 ok, 0 failed');
    expect(r.code).toBe(0);
  });

  it("words the server put in alice's mouth fail her signature (ERR_BAD_SIGNATURE), though the server's verifies", async () => {
    const frame = frameOf(records[2]!);
    const { header, payload } = decodeEnvelope(frame);
    const event = decodeRoomEvent(payload);
    if (event.body.kind !== KIND_POST) throw new Error('not a post');
    const post = decodeEnvelope(event.body.post);
    const forged = encodeEnvelope(post.protectedBytes, new TextEncoder().encode('pay mallory 10000'), post.signature);
    const body = encodeRoomEvent({ room: event.room, body: { kind: KIND_POST, post: forged } });
    const resealed = sealRoom(serverKey, { contentType: ROOM_CONTENT_TYPE, stream: header.stream, seq: header.seq, ts: header.ts }, body, roomAad(ROLE.event));
    await writeFile(join(dir, 'forged.txt'), file([records[0]!, records[1]!, toHex(resealed)]));
    const r = await verify('forged.txt');
    expect(r.stdout).toMatch(/line 4: ERR_BAD_SIGNATURE room-event from=- room=lobby .*offset=1 kind=post signed-by=author/);
    expect(r.code).toBe(1);
  });

  it('two events the server signed at one offset are reported as equivocation', async () => {
    const { header } = decodeEnvelope(frameOf(records[3]!));
    const other = encodeRoomEvent({ room: 'lobby', body: { kind: KIND_ANNOUNCE, action: 'send', from: 'server', data: new TextEncoder().encode('another notice') } });
    const second = sealRoom(serverKey, { contentType: ROOM_CONTENT_TYPE, stream: header.stream, seq: header.seq, ts: header.ts }, other, roomAad(ROLE.event));
    await writeFile(join(dir, 'two.txt'), file([...records, records[3]!, toHex(second)]));
    const r = await verify('two.txt');
    expect(r.stdout).toContain('line 6: ok room-event'); // the same frame again is no second history
    expect(r.stdout).toMatch(/line 7: ERR_EQUIVOCATION room-event .*offset=2/);
    expect(r.code).toBe(1);
  });

  it("a statement naming another key than the keys file's for alice: ERR_KEY_MISMATCH; with no statement, posts are ERR_UNKNOWN_KEY", async () => {
    await writeFile(join(dir, 'other-keys.json'), JSON.stringify({ server: toHex(serverKey.publicKey), alice: toHex(bob.publicKey) }));
    const r = await verify('bob.txt', 'other-keys.json');
    expect(r.stdout).toMatch(/line 2: ERR_KEY_MISMATCH statement from=alice/);
    expect(r.code).toBe(1);
    await writeFile(join(dir, 'nostatement.txt'), file(records.slice(1)));
    const n = await verify('nostatement.txt');
    expect(n.stdout).toMatch(/line 2: ERR_UNKNOWN_KEY room-event .*offset=0 kind=post/);
    expect(n.code).toBe(1);
    // Without the server's key nothing verifies.
    await writeFile(join(dir, 'no-server.json'), JSON.stringify({ alice: toHex(alice.publicKey) }));
    expect((await verify('bob.txt', 'no-server.json')).stdout).toContain('4 records: 0 ok, 4 failed');
    expect(JSON.parse(await readFile(join(dir, 'keys.json'), 'utf8'))).toHaveProperty('server');
  });
});
