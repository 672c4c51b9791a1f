// Client keys that sign asynchronously: a non-extractable WebCrypto Ed25519 key (no script can read
// it, yet it signs), or any signer behind `signAsync`. Envelopes still leave in the order they were
// sent, flow control and resume work as with a synchronous key. Real WebCrypto, real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Sender,
  generateKeyPair,
  importCryptoKeyPair,
  importSigningKey,
  importPublicKey,
  isAsyncSigningKey,
  keyId,
  open,
  sealAsync,
  type AsyncSigningKey,
  type ClientSession,
  type ServerSession,
} from '../../src/index.js';
import { connect, type ConnectOptions } from '../../src/adapters/ws/index.js';
import { deviceServer } from '../helpers/device-server.js';
import { ADAPTERS, type AdapterFactory, type RunningAdapter } from '../helpers/net-adapters.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';
import { failingFrom, holdableKey, jitteryKey, webCryptoPair } from '../helpers/async-keys.js';

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('importCryptoKeyPair', () => {
  it('wraps a non-extractable Ed25519 pair; its envelopes open under the public key', async () => {
    const pair = await webCryptoPair();
    await expect(crypto.subtle.exportKey('pkcs8', pair.privateKey)).rejects.toThrow();
    const key = await importCryptoKeyPair(pair);
    expect(isAsyncSigningKey(key)).toBe(true);
    expect(key.publicKey).toEqual(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
    expect(key.kid).toEqual(keyId(key.publicKey));
    const stream = new Uint8Array(16).fill(3);
    const envelope = await sealAsync(key, new TextEncoder().encode('hi'), { seq: 7, stream });
    const opened = open(envelope, { keys: importPublicKey(key.publicKey) });
    expect(text.decode(opened.payload)).toBe('hi');
    expect(opened.seq).toBe(7);
  });

  it('refuses what is not an Ed25519 signing pair, and a private key of another pair', async () => {
    const p256 = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    await expect(importCryptoKeyPair(p256)).rejects.toThrow(TypeError);
    const a = await webCryptoPair();
    const b = await webCryptoPair();
    await expect(importCryptoKeyPair({ privateKey: a.privateKey, publicKey: b.publicKey })).rejects.toThrow(RangeError);
    // A key that cannot sign in the private key's place (WebCrypto's Ed25519 private keys always can).
    await expect(importCryptoKeyPair({ privateKey: a.publicKey, publicKey: a.publicKey })).rejects.toThrow(/cannot sign/);
    await expect(importCryptoKeyPair(null as never)).rejects.toThrow(TypeError);
  });

  it('a Sender gives sequence numbers in call order whatever order the signatures finish in', async () => {
    const key = await jitteryKey(7);
    const sender = new Sender(key);
    expect(() => sender.seal(new Uint8Array(1))).toThrow(/sealAsync/);
    const envelopes = await Promise.all(Array.from({ length: 40 }, (_, i) => sender.sealAsync(Uint8Array.of(i))));
    const pub = importPublicKey(key.publicKey);
    envelopes.forEach((e, i) => {
      const o = open(e, { keys: pub });
      expect(o.seq).toBe(i);
      expect(o.payload[0]).toBe(i);
    });
    // A bad argument throws at the call and uses no number.
    expect(() => sender.sealAsync(7 as never)).toThrow(TypeError);
    expect(sender.nextSeq).toBe(40);
  });
});

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

async function start(factory: AdapterFactory, key: AsyncSigningKey) {
  const { server, adapter, options } = await deviceServer(factory, key, running);
  const got: string[] = [];
  server.on('message', (m) => {
    if (m.action === 'send') got.push(text.decode(m.payload));
  });
  return { server, adapter, got, options };
}

/** Sends `m<from>`…`m<to - 1>`, waiting for `drain` whenever the outbox (counting envelopes being signed) is full. */
async function sendAll(client: ClientSession, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    if (!client.writable) {
      await new Promise<void>((resolve) => {
        const off = client.on('drain', () => {
          off();
          resolve();
        });
      });
    }
    client.send('r', `m${i}`);
  }
}

for (const factory of ADAPTERS) {
  describe(`a client with a non-extractable WebCrypto key, over ${factory.name}`, () => {
    it('handshake, 400 messages through a 128-envelope outbox, a request: all in order', async () => {
      const key = await jitteryKey(11);
      const { adapter, got, options } = await start(factory, key);
      const client = await connect(adapter.url, options);
      expect(client.identity).toBe('alice');
      await client.join('r');
      await sendAll(client, 0, 400);
      await client.request('ping');
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(400);
      expect(got).toEqual(Array.from({ length: 400 }, (_, i) => `m${i}`));
      await expect.poll(() => client.unacknowledged, { timeout: 5000 }).toBe(0);
      client.close();
    });

    it('resumes after a cut with envelopes still being signed: each message arrives once, in order', async () => {
      // Signatures asked for while held wait for `release`: the first session's last envelopes
      // are still being signed when the second session takes the state over.
      const { key, hold, release } = holdableKey(await jitteryKey(23));
      const { adapter, got, options } = await start(factory, key);
      const first = await connect(adapter.url, options);
      await first.join('r');
      await sendAll(first, 0, 50);
      hold(true);
      await sendAll(first, 50, 100);
      hold(false);
      TrackedWebSocket.last!.terminate();
      await first.closed;
      const second = await connect(adapter.url, { ...options, resumeFrom: first });
      const sending = sendAll(second, 100, 200);
      release();
      await sending;
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(200);
      expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
      await expect.poll(() => second.unacknowledged, { timeout: 5000 }).toBe(0);
      second.close();
    });

    it('a signer that fails ends the session with ERR_INTERNAL; nothing unsigned leaves', async () => {
      // The handshake and the join sign; the next signature fails.
      const failing = failingFrom(await jitteryKey(5), 3);
      const { adapter, got, options } = await start(factory, failing);
      const client = await connect(adapter.url, { ...options, key: failing } as ConnectOptions);
      await client.join('r');
      client.send('r', 'never');
      const info = await client.closed;
      expect(info.error?.code).toBe('ERR_INTERNAL');
      await sleep(50);
      expect(got).toEqual([]);
      // Its data stream has a gap no receipt can close: the state is not offered for resume.
      await expect(connect(adapter.url, { ...options, key: failing, resumeFrom: client } as ConnectOptions)).rejects.toMatchObject({ code: 'ERR_RESUME_REFUSED' });
    });

    it('a signer that returns something else than a signature: not 64 bytes ends the session, a wrong one is refused by the server', async () => {
      const good = await jitteryKey(9);
      const shortSigner: AsyncSigningKey = { publicKey: good.publicKey, kid: good.kid, signAsync: async () => new Uint8Array(63) };
      const { adapter, options } = await start(factory, shortSigner);
      await expect(connect(adapter.url, options)).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
      // 64 bytes that are not a signature of the transcript: the server refuses the handshake.
      const liar: AsyncSigningKey = { publicKey: good.publicKey, kid: good.kid, signAsync: async (m) => (await good.signAsync(m)).map((b) => b ^ 1) };
      const refused = await connect(adapter.url, { ...options, key: liar } as ConnectOptions).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toMatchObject({ code: 'ERR_BAD_SIGNATURE' });
    });

    it('close() lets what was sent before it, and the last receipt, leave first', async () => {
      const key = await jitteryKey(31);
      const { server, adapter, got, options } = await start(factory, key);
      let serverSession: ServerSession | undefined;
      server.on('session', (s) => (serverSession = s));
      const client = await connect(adapter.url, options);
      await client.join('r');
      serverSession!.send(null, Uint8Array.of(1, 2, 3)); // the server's data: the client owes a receipt
      await new Promise<void>((resolve) => {
        const off = client.on('message', () => {
          off();
          resolve();
        });
      });
      client.send('r', 'last words');
      client.close();
      expect(client.writable).toBe(false);
      expect(() => client.send('r', 'too late')).toThrow(/not open/);
      await client.closed;
      await expect.poll(() => got, { timeout: 5000 }).toEqual(['last words']);
      // The final receipt arrived: nothing the server sent is left unacknowledged.
      await expect.poll(() => serverSession!.unacknowledged, { timeout: 5000 }).toBe(0);
    });
  });
}

for (const factory of ADAPTERS) {
  describe(`a server with a non-extractable WebCrypto key, over ${factory.name}`, () => {
    async function startServer(serverKey: AsyncSigningKey) {
      const clientKey = importSigningKey(generateKeyPair().secretKey);
      const { server, adapter, options } = await deviceServer(factory, clientKey, running, { key: serverKey });
      const got: string[] = [];
      server.on('message', (m) => {
        if (m.action === 'send') got.push(text.decode(m.payload));
      });
      const sessions: ServerSession[] = [];
      server.on('session', (s) => sessions.push(s));
      return { server, adapter, options, got, sessions, clientKey };
    }

    it('handshake, 300 messages each way, a request: all in order, all acknowledged', async () => {
      const { adapter, options, got, sessions } = await startServer(await jitteryKey(41));
      const client = await connect(adapter.url, options);
      const down: string[] = [];
      client.on('message', (m) => down.push(text.decode(m.payload)));
      await client.join('r');
      const serverSession = sessions[0]!;
      const serverSending = (async () => {
        for (let i = 0; i < 300; i++) {
          while (!serverSession.writable) await sleep(1);
          serverSession.send(null, new TextEncoder().encode(`d${i}`));
        }
      })();
      await sendAll(client, 0, 300);
      // Asked while the server pushes: its Result may have to wait for room ([HS-8.5]).
      await client.request('ping');
      await serverSending;
      await expect.poll(() => down.length, { timeout: 20_000 }).toBe(300);
      expect(down).toEqual(Array.from({ length: 300 }, (_, i) => `d${i}`));
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(300);
      expect(got).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
      await expect.poll(() => serverSession.unacknowledged, { timeout: 5000 }).toBe(0);
      await expect.poll(() => client.unacknowledged, { timeout: 5000 }).toBe(0);
      client.close();
    });

    it('a server signer that fails, or answers with no signature, during the handshake: ERR_INTERNAL', async () => {
      const good = await jitteryKey(43);
      const first = await startServer(failingFrom(good, 1));
      await expect(connect(first.adapter.url, first.options)).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
      const short: AsyncSigningKey = { publicKey: good.publicKey, kid: good.kid, signAsync: async () => new Uint8Array(63) };
      const second = await startServer(short);
      await expect(connect(second.adapter.url, second.options)).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    });

    it('a key revoked while the server key signs the Welcome gets no session', async () => {
      const held = holdableKey(await jitteryKey(47));
      held.hold(true);
      const { server, adapter, options, clientKey } = await startServer(held.key);
      const connecting = connect(adapter.url, options);
      await held.asked;
      server.keys.revokeKey(clientKey.kid);
      held.release();
      await expect(connecting).rejects.toMatchObject({ code: 'ERR_KEY_REVOKED' });
    });

    it('a server signer that fails in the data phase ends the session with ERR_INTERNAL; that state is not resumed', async () => {
      // The Welcome, the join's Position and its Result are signed; the server's next signature fails.
      const { adapter, options, sessions } = await startServer(failingFrom(await jitteryKey(53), 4));
      const client = await connect(adapter.url, options);
      const down: unknown[] = [];
      client.on('message', (m) => down.push(m));
      await client.join('r');
      sessions[0]!.send(null, Uint8Array.of(1));
      expect((await client.closed).error?.code).toBe('ERR_INTERNAL');
      expect((await sessions[0]!.closed).error?.code).toBe('ERR_INTERNAL');
      expect(down).toEqual([]);
      // [HS-7.12]: its data stream has a gap no receipt of the client can close.
      await expect(connect(adapter.url, { ...options, resumeFrom: client })).rejects.toMatchObject({ code: 'ERR_RESUME_REFUSED' });
    });
  });
}
