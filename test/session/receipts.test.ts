// Receipts inside sessions (spec/receipts.md, spec/handshake.md §6–7) on an in-memory link: both
// ends acknowledge, a forged or replayed receipt ends the session with its code, the evidence a
// session leaves verifies offline with the CLI, and the send-buffer policy of spec/policy.md §8.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  KeyRing,
  SecureServer,
  fromHex,
  generateKeyPair,
  importSigningKey,
  seal,
  toHex,
  type SecureServerOptions,
  type ServerSession,
  type SigningKey,
  type Transport,
} from '../../src/index.js';
import { RECEIPT_CONTENT_TYPE, ReceiptBuilder, decodeEnvelope, decodeReceipt } from '../../src/protocol.js';
import { memoryLink, type MemoryLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverPair, serverKey, serverPublic } from '../helpers/server-fixture.js';

const enc = new TextEncoder();

const servers = closedAfterEach();

interface Pair {
  server: SecureServer;
  session: ServerSession;
  client: ClientSession;
  link: MemoryLink;
  key: SigningKey;
  /** Sets what the server's transport reports as buffered (spec/policy.md §8). */
  buffered: { value: number };
}

async function pair(options: Partial<SecureServerOptions> = {}): Promise<Pair> {
  const key = importSigningKey(generateKeyPair().secretKey);
  const keys = new KeyRing();
  keys.add(key.publicKey, { identity: 'alice' });
  const server = new SecureServer({ key: serverKey, keys, authorize: () => true, ...options });
  servers.push(server);
  const link = memoryLink();
  const buffered = { value: 0 };
  const transport: Transport = { ...link.server, bufferedAmount: () => buffered.value };
  const session = server.accept(transport, server.admit({ address: '127.0.0.1' }));
  const client = new ClientSession(link.client, { key, serverKey: serverPublic });
  link.connect(session, client);
  await client.ready;
  return { server, session, client, link, key, buffered };
}

const isReceipt = (bytes: Uint8Array): boolean => {
  try {
    return decodeEnvelope(bytes).header.contentType === RECEIPT_CONTENT_TYPE;
  } catch {
    return false;
  }
};

const until = async (p: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 5000;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('receipts in a session', () => {
  it('both ends acknowledge: delivered seqs are reported, outboxes empty, receipts name the exact bytes', async () => {
    const { session, client, link } = await pair();
    const delivered: number[] = [];
    client.on('delivered', (seqs) => delivered.push(...seqs));
    await client.join('r');
    for (let i = 0; i < 40; i++) client.send('r', `m${i}`);
    for (let i = 0; i < 5; i++) session.send(null, enc.encode(`d${i}`));
    await until(() => client.unacknowledged === 0 && session.unacknowledged === 0, 'both outboxes empty');
    expect(delivered).toEqual(Array.from({ length: 41 }, (_, i) => i));
    // The last receipt the server sent names the client's highest envelope by its hash.
    const last = decodeReceipt(decodeEnvelope(link.fromServer.filter(isReceipt).at(-1)!).payload);
    const data = link.fromClient.filter((b) => b[0] === 0xd2 && !isReceipt(b));
    expect(last.next).toBe(41);
    const { sha256 } = await import('@noble/hashes/sha2.js');
    expect(toHex(last.hash)).toBe(toHex(sha256(data.at(-1)!)));
  });

  it('a replayed receipt is refused by the replay window (ERR_REPLAY, 4030)', async () => {
    const { client, link } = await pair();
    await client.join('r');
    await until(() => link.fromClient.some(isReceipt), 'a client receipt');
    link.injectToServer(link.fromClient.find(isReceipt)!);
    expect(await client.closed).toMatchObject({ code: 4030, reason: 'ERR_REPLAY' });
  });

  it('a forged receipt is refused: another key (ERR_UNKNOWN_KEY), a wrong hash (ERR_RECEIPT_HASH), an unsent seq (ERR_RECEIPT_UNSENT)', async () => {
    const forge = async (make: (p: Pair, serverStream: Uint8Array) => Uint8Array): Promise<string> => {
      const p = await pair();
      const got = new Promise((r) => p.client.on('message', r));
      p.session.send(null, enc.encode('x'));
      await got;
      // Injected before the client's own first receipt (its timer has not fired), so the forgery
      // opens the client's receipt stream and reaches the outbox checks.
      const serverStream = decodeEnvelope(p.link.fromServer.at(-1)!).header.stream;
      p.link.injectToServer(make(p, serverStream));
      return (await p.client.closed).reason;
    };
    // A receipt acknowledging seqs 0..next-1 of the server's stream, hashing other bytes than it sent.
    const receiptFor = (p: Pair, stream: Uint8Array, next = 1): Uint8Array => {
      const builder = new ReceiptBuilder();
      for (let s = 0; s < next; s++) builder.record({ kid: serverKey.kid, stream, seq: s }, enc.encode('not what was sent'));
      const payload = builder.payload(serverKey.kid, stream)!;
      const bindingOut = Uint8Array.of(...fromHex(p.client.sessionId!), 0x01);
      return seal(p.key, payload, { seq: 0, stream: crypto.getRandomValues(new Uint8Array(16)), binding: bindingOut, contentType: RECEIPT_CONTENT_TYPE });
    };
    // Signed by the right key, but the hash is of other bytes than the server sent.
    expect(await forge((p, stream) => receiptFor(p, stream))).toBe('ERR_RECEIPT_HASH');
    // Acknowledges a seq the server never used.
    expect(await forge((p, stream) => receiptFor(p, stream, 5))).toBe('ERR_RECEIPT_UNSENT');
    // Signed by a key the server does not know at all.
    expect(
      await forge((p, stream) => {
        const mallory = importSigningKey(generateKeyPair().secretKey);
        const payload = new ReceiptBuilder();
        payload.record({ kid: serverKey.kid, stream, seq: 0 }, new Uint8Array(0));
        const bindingOut = Uint8Array.of(...fromHex(p.client.sessionId!), 0x01);
        return seal(mallory, payload.payload(serverKey.kid, stream)!, { seq: 0, stream: new Uint8Array(16), binding: bindingOut, contentType: RECEIPT_CONTENT_TYPE });
      }),
    ).toBe('ERR_UNKNOWN_KEY');
  });

  it('the session evidence verifies offline with the CLI: envelopes ok, the receipt matched', async () => {
    const { client, link, key } = await pair();
    await client.join('r');
    for (let i = 0; i < 3; i++) client.send('r', `m${i}`);
    await until(() => client.unacknowledged === 0, 'client outbox empty');
    const binding = (dir: number): string => client.sessionId! + dir.toString(16).padStart(2, '0');
    const data = link.fromClient.filter((b) => b[0] === 0xd2 && !isReceipt(b)); // envelopes, not ClientAuth
    const receipt = link.fromServer.filter(isReceipt).at(-1)!;
    const lines = [
      ...data.map((e) => JSON.stringify({ envelope: toHex(e), binding: binding(1) })),
      JSON.stringify({ envelope: toHex(receipt), binding: binding(2) }),
    ];
    const dir = await mkdtemp(join(tmpdir(), 'sealwire-evidence-'));
    try {
      await writeFile(join(dir, 'evidence.txt'), lines.join('\n') + '\n');
      await writeFile(join(dir, 'keys.json'), JSON.stringify({ alice: toHex(key.publicKey), server: toHex(serverPair.publicKey) }));
      const launcher = fileURLToPath(new URL('../../bin/sealwire.mjs', import.meta.url));
      const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [launcher, 'verify', '--keys', 'keys.json', 'evidence.txt'], { cwd: dir, timeout: 20_000 }, (err, stdout) =>
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout }),
        );
      });
      expect(out.stdout).toContain(`${lines.length} records: ${lines.length} ok, 0 failed, 0 receipt hash mismatches`);
      expect(out.code).toBe(0);
      const receiptLine = out.stdout.split('\n').find((l) => l.startsWith(`line ${lines.length}: `))!;
      expect(receiptLine).toMatch(/ok receipt from=server .* acks=alice .* next=4 sack=- highest=3 hash=matched:line-4/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('send-buffer policy (spec/policy.md §8)', () => {
  // [POL-8.2]: pause over half of max_buffered, resume on drain
  it('data pauses while the transport is over half the cap and goes out on drain', async () => {
    const { session, client, link, buffered } = await pair({ limits: { maxBufferedAmount: 4096 } });
    buffered.value = 3000;
    const before = link.fromServer.length;
    session.send(null, enc.encode('held'));
    expect(link.fromServer.length).toBe(before); // sealed, in the outbox, not handed to the transport
    expect(session.unacknowledged).toBe(1);
    const got = new Promise((r) => client.on('message', r));
    buffered.value = 0;
    session.transportDrained();
    expect(link.fromServer.length).toBe(before + 1);
    await got;
    expect(session.state).toBe('open');
  });

  // [POL-8.4]: the hard cap closes with ERR_BACKPRESSURE
  it('anything that would pass the hard cap closes the session (ERR_BACKPRESSURE, 4076)', async () => {
    const { client, buffered } = await pair({ limits: { maxBufferedAmount: 4096 } });
    const join = client.join('r'); // the server records it and owes a receipt
    join.catch(() => {});
    buffered.value = 4096; // the peer reads nothing any more
    expect(await client.closed).toMatchObject({ code: 4076, reason: 'ERR_BACKPRESSURE' });
  });

  // [HS-6.10], [POL-8.3]: a full outbox refuses the application (never closes) and tells it when room returns
  it('a producer finds the outbox full (ERR_OUTBOX_FULL) and is told when it drains', async () => {
    const { session, client, buffered } = await pair({ limits: { outboxCapacity: 4 } });
    buffered.value = 1 << 30; // nothing reaches the client, so nothing is acknowledged
    for (let i = 0; i < 4; i++) session.send(null, enc.encode(`d${i}`));
    expect(session.writable).toBe(false);
    expect(() => session.send(null, enc.encode('one too many'))).toThrow(expect.objectContaining({ code: 'ERR_OUTBOX_FULL' }));
    const drained = new Promise((r) => session.on('drain', r));
    buffered.value = 0;
    session.transportDrained();
    await drained;
    expect(session.writable).toBe(true);
    expect(client.state).toBe('open');
  });
});
