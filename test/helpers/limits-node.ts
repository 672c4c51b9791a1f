// A node of test/integration/shared-limits.test.ts in a process of its own, so the test can kill
// it with SIGKILL: a SecureServer sharing its limits on the given redis-server, on a ws listener on
// 127.0.0.1. Prints one JSON line {url, serverKey (hex)} once listening.
// Usage: tsx limits-node.ts <redis port> <prefix> <leaseMs> <identity>:<public key hex>...
import { Redis } from 'ioredis';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey } from '../../src/index.js';
import { shareLimits } from '../../src/replay/redis.js';
import { wsAdapter } from './net-adapters.js';

const [port, prefix, leaseMs, ...keys] = process.argv.slice(2);
const ring = new KeyRing();
for (const k of keys) {
  const [identity, hex] = k.split(':');
  ring.add(Uint8Array.from(Buffer.from(hex!, 'hex')), { identity: identity! });
}
const pair = generateKeyPair();
const server = new SecureServer({ key: importSigningKey(pair.secretKey), keys: ring, authorize: () => true, limits: { maxConnectionsPerIdentity: 2 } });
const redis = new Redis({ host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: 1 });
await shareLimits(server, { command: (c, args) => redis.call(c, ...args), prefix: prefix!, leaseMs: Number(leaseMs) });
const adapter = await wsAdapter.start(server, {});
console.log(JSON.stringify({ url: adapter.url, serverKey: Buffer.from(pair.publicKey).toString('hex') }));
