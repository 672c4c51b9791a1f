// The server of the rooms bench, in its own process: a plain uWS app that publishes to a topic
// (the unsigned baseline), or a SecureServer on uWS whose room stream publishes the same payload
// sealed once per event (spec/rooms.md). Stops on `stop`, when the parent goes, or after 10 min.
import type * as Uws from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey, toHex } from '../../src/index.js';
import { attach } from '../../src/adapters/uws/index.js';
import { BIG, NO_LIMIT, ROOM, memberSeed, now, type ServerCommand, type ServerReply } from './protocol.js';

const require = createRequire(import.meta.url);
const uws = require('uWebSockets.js') as typeof Uws;

setTimeout(() => process.exit(0), 10 * 60_000).unref();
process.on('disconnect', () => process.exit(0));
const reply = (r: ServerReply): void => void process.send!(r);

let publishOne: ((payload: Uint8Array) => void) | undefined;
let secure: SecureServer | undefined;

async function listen(mode: 'plain' | 'signed', members: number): Promise<ServerReply> {
  const app = uws.App();
  const serverPair = generateKeyPair();
  if (mode === 'plain') {
    app.ws('/*', { maxBackpressure: BIG, maxPayloadLength: 1 << 20, idleTimeout: 0, open: (ws) => void ws.subscribe(ROOM) });
    publishOne = (payload) => void app.publish(ROOM, payload, true, false);
  } else {
    const keys = new KeyRing();
    for (let i = 0; i < members; i++) keys.add(importSigningKey(memberSeed(i)).publicKey, { identity: `m${i}` });
    secure = new SecureServer({
      key: importSigningKey(serverPair.secretKey),
      keys,
      authorize: () => true,
      limits: { maxBufferedAmount: BIG, maxConnectionsPerIp: 1_000_000, maxConnectionsPerIdentity: 4, handshakeTimeoutMs: 120_000 },
      rateLimit: { connection: NO_LIMIT, identity: NO_LIMIT, ipSessions: NO_LIMIT, identitySessions: NO_LIMIT },
      rooms: { historyCount: 100_000, positionMs: 600_000 },
    });
    attach(secure, { app, path: '/*', idleTimeout: 0 });
    const s = secure;
    publishOne = (payload) => void s.publish(ROOM, payload);
  }
  const socket = await new Promise<Uws.us_listen_socket | false>((r) => app.listen('127.0.0.1', 0, r));
  if (socket === false) throw new Error('uWS could not listen');
  const port = uws.us_socket_local_port(socket as unknown as Uws.us_socket);
  return { op: 'listening', url: `ws://127.0.0.1:${port}/`, serverKey: toHex(serverPair.publicKey) };
}

/** `count` payloads, `perTick` per turn of the event loop; each starts with its index and send time. */
async function publish(count: number, size: number, perTick: number): Promise<ServerReply> {
  const sentAt: number[] = [];
  const before = secure?.roomSignatures ?? 0;
  for (let i = 0; i < count;) {
    for (let k = 0; k < perTick && i < count; k++, i++) {
      const payload = new Uint8Array(Math.max(size, 8));
      new DataView(payload.buffer).setUint32(0, i);
      sentAt.push(now());
      publishOne!(payload);
    }
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 20));
  return { op: 'published', sentAt, signatures: (secure?.roomSignatures ?? 0) - before };
}

process.on('message', (cmd: ServerCommand) => {
  const run = async (): Promise<ServerReply> => {
    switch (cmd.op) {
      case 'listen':
        return listen(cmd.mode, cmd.members);
      case 'memory':
        (globalThis as { gc?: () => void }).gc?.();
        return { op: 'memory', heapUsed: process.memoryUsage().heapUsed };
      case 'publish':
        return publish(cmd.count, cmd.size, cmd.perTick);
      case 'stop':
        setImmediate(() => process.exit(0));
        return { op: 'ready' };
    }
  };
  run().then(reply, (err: unknown) => reply({ op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
reply({ op: 'ready' });
