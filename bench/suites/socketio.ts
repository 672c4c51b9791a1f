// Issue 21: sealwire over Socket.IO against plain Socket.IO emit of the same payload, client to
// server over the WebSocket transport on 127.0.0.1. Server and client share this process (one
// thread), so the figure is what both ends together cost per message; each round times a burst of
// messages in each mode, in alternating order, and the ratio is the median of per-round ratios.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { io as ioClient, type Socket } from 'socket.io-client';
import { KeyRing, SecureServer, generateKeyPair, importPublicKey, importSigningKey, type ClientSession } from '../../src/index.js';
import { attach, connect } from '../../src/adapters/socket.io/index.js';
import { fmtHz, fmtRatio, median, table, type Profile, type SuiteReport } from '../lib.js';

const UNLIMITED = { perSecond: 1e9, burst: 1e9 };

interface Rig {
  plainSocket: Socket;
  session: ClientSession;
  /** Messages the server application received, per mode. */
  got: { plain: number; sealwire: number };
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const serverPair = generateKeyPair();
  const client = importSigningKey(generateKeyPair().secretKey);
  const keys = new KeyRing();
  keys.add(client.publicKey, { identity: 'bench' });
  const secure = new SecureServer({ key: importSigningKey(serverPair.secretKey), keys, authorize: () => true, rateLimit: { connection: UNLIMITED, identity: UNLIMITED } });
  const http = createServer();
  const io = new IoServer(http, { maxHttpBufferSize: 1 << 20 });
  const got = { plain: 0, sealwire: 0 };
  io.of('/plain').on('connection', (s) => s.on('m', () => void got.plain++));
  attach(secure, io.of('/sealwire'));
  secure.on('message', () => void got.sealwire++);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const plainSocket = ioClient(`${url}/plain`, { transports: ['websocket'] });
  await new Promise<void>((r) => plainSocket.once('connect', () => r()));
  const sealSocket = ioClient(`${url}/sealwire`, { transports: ['websocket'] });
  const session = await connect(sealSocket, { key: client, serverKey: importPublicKey(serverPair.publicKey) });
  await session.join('bench');
  return {
    plainSocket,
    session,
    got,
    close: async () => {
      session.close();
      plainSocket.disconnect();
      sealSocket.disconnect();
      await new Promise<void>((r) => io.close(() => r()));
    },
  };
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

/** Messages/s for a burst of `n`: emitted at once (plain) or as fast as the outbox allows (sealwire). */
async function burst(r: Rig, mode: 'plain' | 'sealwire', payload: Uint8Array, n: number): Promise<number> {
  const target = r.got[mode] + n;
  const t0 = performance.now();
  if (mode === 'plain') {
    for (let i = 0; i < n; i++) r.plainSocket.emit('m', payload);
  } else {
    for (let i = 0; i < n; ) {
      if (!r.session.writable) {
        await new Promise<void>((res) => {
          const off = r.session.on('drain', () => {
            off();
            res();
          });
        });
        continue;
      }
      r.session.send('bench', payload);
      i++;
    }
  }
  await until(() => r.got[mode] >= target);
  return n / ((performance.now() - t0) / 1000);
}

export async function socketioSuite(profile: Profile): Promise<SuiteReport> {
  const r = await rig();
  const n = profile.quick ? 300 : 2000;
  const rows: string[][] = [];
  try {
    for (const size of profile.quick ? [32] : [32, 1024]) {
      const payload = new Uint8Array(size).fill(7);
      await burst(r, 'plain', payload, n / 4); // warm-up
      await burst(r, 'sealwire', payload, n / 4);
      const plain: number[] = [];
      const sealed: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < profile.rounds; round++) {
        const order = round % 2 === 0 ? (['plain', 'sealwire'] as const) : (['sealwire', 'plain'] as const);
        const rate: Record<string, number> = {};
        for (const mode of order) rate[mode] = await burst(r, mode, payload, n);
        plain.push(rate['plain']!);
        sealed.push(rate['sealwire']!);
        ratios.push(rate['sealwire']! / rate['plain']!);
      }
      rows.push([`${size} B`, fmtHz(median(plain)), fmtHz(median(sealed)), fmtRatio(median(ratios))]);
      process.stderr.write(`  socket.io ${size} B: sealwire/plain ${fmtRatio(median(ratios))}\n`);
    }
  } finally {
    await r.close();
  }
  const markdown = [
    'Client to server over Socket.IO (WebSocket transport) on 127.0.0.1, both ends in one process on',
    'one thread of 2 shared cores: plain `socket.emit` of the payload against sealwire over',
    '`sealwire/socket.io` (the client seals and signs, the server verifies, replay-checks and',
    "authorizes each message, and receipts flow back). Bursts of messages per mode, order alternated",
    'each round; the ratio is the median of per-round ratios.',
    '',
    table(['payload', 'plain emit', 'sealwire', 'sealwire / plain'], rows),
  ].join('\n');
  return { title: 'Socket.IO: sealwire vs plain emit', markdown, targets: [] };
}
