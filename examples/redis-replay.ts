// Replay state shared in Redis (sealwire/redis), with your own client: two receivers (two nodes)
// on one store, so an envelope accepted by one is a replay for the other.
// Run with a local redis-server: REDIS_PORT=6379 npx tsx examples/redis-replay.ts
import { Redis } from 'ioredis';
import { KeyRing, Receiver, Sender, generateKeyPair, importSigningKey, isProtocolError } from '../src/index.js';
import { RedisReplayStore } from '../src/replay/redis.js';

const redis = new Redis({ host: '127.0.0.1', port: Number(process.env['REDIS_PORT'] ?? 6379), lazyConnect: true });
await redis.connect();
const maxFutureSkewMs = 200; // every node uses the same; 5,000 by default
const store = await RedisReplayStore.connect({
  eval: (script, keys, args) => redis.eval(script, keys.length, ...keys, ...args),
  evalSha: (sha, keys, args) => redis.evalsha(sha, keys.length, ...keys, ...args),
  maxFutureSkewMs,
});
const alice = importSigningKey(generateKeyPair().secretKey);
const ring = new KeyRing();
ring.add(alice.publicKey, { identity: 'alice' });
const [nodeA, nodeB] = [new Receiver({ keys: ring, store, maxFutureSkewMs }), new Receiver({ keys: ring, store, maxFutureSkewMs })];
// A store that just started refuses envelopes that could predate it (ERR_STATE_LOST, the restart
// bound) for maxFutureSkewMs: a real node takes traffic long after; this demo waits it out.
await new Promise((r) => setTimeout(r, maxFutureSkewMs + 50));

const envelope = new Sender(alice).seal('pay bob 5');
const opened = await nodeA.open(envelope);
console.log(`node A accepted: ${new TextDecoder().decode(opened.payload)} (from ${opened.identity})`);
try {
  await nodeB.open(envelope);
} catch (err) {
  console.log(`node B refused the same envelope: ${isProtocolError(err) ? err.code : String(err)}`);
}
redis.disconnect();
