// One node of a service in a process of its own, for the tests that kill a node (kill -9): a
// SecureServer whose rooms and resume state are shared through the Redis at REDIS_PORT (so a
// member of a killed node resumes its session on another, spec/handshake.md §7.1), listening with
// ws on 127.0.0.1. Keys are under ROOM_PREFIX (rooms) and RESUME_PREFIX (resume state). Its signing key and the members' keys come hex-encoded in NODE_KEYS (JSON: { server,
// members: { identity: secretKeyHex } }). Prints `url <ws url>` once it listens.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { KeyRing, SecureServer, importSigningKey } from '../../src/index.js';
import { attach } from '../../src/adapters/ws/index.js';
import { shareResume, shareRooms } from '../../src/replay/redis.js';
import { fromHex } from '../../src/bytes.js';

const { server: serverHex, members } = JSON.parse(process.env['NODE_KEYS']!) as { server: string; members: Record<string, string> };
const port = Number(process.env['REDIS_PORT']);
const opts = { host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 50 };
const [command, reader] = [new Redis(opts), new Redis(opts)];
command.on('error', () => {});
reader.on('error', () => {});
const ring = new KeyRing();
for (const [identity, hex] of Object.entries(members)) ring.add(importSigningKey(fromHex(hex)).publicKey, { identity });
const rooms = shareRooms({
  command: (c, args) => command.call(c, ...args),
  reader: (c, args) => reader.call(c, ...args),
  prefix: process.env['ROOM_PREFIX'] ?? 'sealwire:room:',
  blockMs: 100,
  checkMs: 200,
});
const resume = shareResume({ command: (c, args) => command.call(c, ...args), prefix: process.env['RESUME_PREFIX'] ?? 'sealwire:resume:' });
const server = new SecureServer({
  key: importSigningKey(fromHex(serverHex)),
  keys: ring,
  authorize: () => true,
  rooms: { positionMs: 200, shared: rooms },
  resume: { shared: resume },
});
const http: Server = createServer((_req, res) => res.writeHead(404).end());
attach(server, { server: http, path: '/sealwire' });
http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`url ws://127.0.0.1:${(http.address() as AddressInfo).port}/sealwire\n`);
});
