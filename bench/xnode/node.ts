// One node of the cross-node rooms bench, in its own process: a SecureServer on uWS whose room
// streams live in Redis (shareRooms through ioredis, as README "Across nodes" shows), or in memory
// for the one-node baseline; optionally sharing resume state there too (shareResume, on the rooms'
// command connection). The `command`/`reader` functions are wrapped to count round trips.
// Stops on `stop`, when the parent goes, or after 10 min.
import type * as Uws from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { KeyRing, SecureServer, importSigningKey, toHex } from '../../src/index.js';
import { shareResume, shareRooms } from '../../src/replay/redis.js';
import { attach } from '../../src/adapters/uws/index.js';
import { BIG, NO_LIMIT, ROOM, memberSeed, now } from '../rooms/protocol.js';
import type { NodeCommand, NodeReply, RedisCalls } from './protocol.js';

const require = createRequire(import.meta.url);
const uws = require('uWebSockets.js') as typeof Uws;

setTimeout(() => process.exit(0), 10 * 60_000).unref();
process.on('disconnect', () => process.exit(0));
const reply = (r: NodeReply): void => void process.send!(r);

let secure: SecureServer | undefined;
const clients: Redis[] = [];
const calls: RedisCalls = { command: 0, reader: 0, resume: 0, argBytes: 0, byName: {} };

function counted(client: Redis, kind: 'command' | 'reader' | 'resume') {
  return (c: string, args: string[]): Promise<unknown> => {
    calls[kind]++;
    const name = kind === 'resume' ? `resume ${c}` : c;
    calls.byName[name] = (calls.byName[name] ?? 0) + 1;
    calls.argBytes += c.length + args.reduce((a, s) => a + Buffer.byteLength(s), 0);
    return client.call(c, ...args);
  };
}

async function listen(cmd: Extract<NodeCommand, { op: 'listen' }>): Promise<NodeReply> {
  const app = uws.App();
  const key = importSigningKey(Uint8Array.from(cmd.seed));
  const keys = new KeyRing();
  for (let i = 0; i < cmd.members; i++) keys.add(importSigningKey(memberSeed(i)).publicKey, { identity: `m${i}` });
  // The client author's key follows the members' (bench/xnode/author.ts).
  keys.add(importSigningKey(memberSeed(cmd.members)).publicKey, { identity: 'author' });
  let shared;
  let resume;
  if (cmd.redis) {
    const opts = { host: '127.0.0.1', port: cmd.redis.port, maxRetriesPerRequest: 1 };
    const [c, r] = [new Redis(opts), new Redis(opts)];
    clients.push(c, r);
    shared = shareRooms({ command: counted(c, 'command'), reader: counted(r, 'reader'), prefix: cmd.redis.prefix });
    if (cmd.resume) resume = { shared: shareResume({ command: counted(c, 'resume'), prefix: `${cmd.redis.prefix}resume:` }) };
  }
  secure = new SecureServer({
    key,
    keys,
    authorize: () => true,
    limits: { maxBufferedAmount: BIG, maxConnectionsPerIp: 1_000_000, maxConnectionsPerIdentity: 4, handshakeTimeoutMs: 120_000 },
    rateLimit: { connection: NO_LIMIT, identity: NO_LIMIT, ipSessions: NO_LIMIT, identitySessions: NO_LIMIT },
    rooms: { historyCount: 100_000, positionMs: 600_000, ...(shared ? { shared } : {}) },
    ...(resume ? { resume } : {}),
  });
  attach(secure, { app, path: '/*', idleTimeout: 0 });
  const socket = await new Promise<Uws.us_listen_socket | false>((r) => app.listen('127.0.0.1', 0, r));
  if (socket === false) throw new Error('uWS could not listen');
  const port = uws.us_socket_local_port(socket);
  return { op: 'listening', url: `ws://127.0.0.1:${port}/`, serverKey: toHex(key.publicKey) };
}

/** `count` payloads, `perTick` per turn, `gapMs` between turns; each starts with its index. */
async function publish(count: number, size: number, perTick: number, gapMs: number): Promise<NodeReply> {
  const sentAt: number[] = [];
  for (let i = 0; i < count;) {
    for (let k = 0; k < perTick && i < count; k++, i++) {
      const payload = new Uint8Array(Math.max(size, 8));
      new DataView(payload.buffer).setUint32(0, i);
      sentAt.push(now());
      secure!.publish(ROOM, payload);
    }
    await new Promise((r) => (gapMs > 0 ? setTimeout(r, gapMs) : setImmediate(r)));
  }
  return { op: 'published', sentAt };
}

process.on('message', (cmd: NodeCommand) => {
  const run = async (): Promise<NodeReply> => {
    switch (cmd.op) {
      case 'listen':
        return listen(cmd);
      case 'publish':
        return publish(cmd.count, cmd.size, cmd.perTick, cmd.gapMs);
      case 'stats':
        return { op: 'stats', calls: { ...calls, byName: { ...calls.byName } } };
      case 'stop':
        secure?.close();
        for (const c of clients) c.disconnect();
        setImmediate(() => process.exit(0));
        return { op: 'ready' };
    }
  };
  run().then(reply, (err: unknown) => reply({ op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
reply({ op: 'ready' });
