// The chat as one node of several (`npm run start:cluster`): what one process holds alone in
// memory, the nodes share through one Redis (sealwire/redis, with this chat's own ioredis
// clients): the replay state, revocations, per-identity caps and rates, and the rooms' signed
// streams, so a message posted on one node reaches members on every node in one order, and a page
// whose node dies continues on another and recovers what it missed.
import { Redis } from 'ioredis';
import { Receiver, type KeyRing, type SecureServer } from '../../../src/index.js';
import { RedisReplayStore, shareLimits, shareRevocations, shareRooms, type SharedLimits, type SharedRevocations } from '../../../src/replay/redis.js';
import type { SharedRoomStore } from '../../../src/rooms/shared.js';

export interface ClusterOptions {
  /** This node's name, shown on the page. */
  readonly node: string;
  /** Every node of the chat, this one included: the page moves to another when its node dies. */
  readonly nodes: readonly { readonly name: string; readonly port: number }[];
  /** The Redis the nodes share, on this machine. */
  readonly redisPort: number;
}

export interface ClusterState {
  readonly rooms: SharedRoomStore;
  receiver(keys: KeyRing, maxEnvelopeSize: number): Receiver;
  /** Shares the server's revocations and limits; call once the server exists. */
  attach(secure: SecureServer): Promise<void>;
  close(): Promise<void>;
}

export async function joinCluster(options: ClusterOptions, onError: (what: string, err: unknown) => void): Promise<ClusterState> {
  const url = `redis://127.0.0.1:${options.redisPort}`;
  // A blocked XREAD and a subscription each hold their connection: three clients per node.
  const [redis, reader, subscriber] = [new Redis(url), new Redis(url), new Redis(url)];
  for (const c of [redis, reader, subscriber]) c.on('error', (err: unknown) => onError('redis', err));
  const command = (c: string, args: string[]): Promise<unknown> => redis.call(c, ...args);
  const store = await RedisReplayStore.connect({
    eval: (script, keys, args) => redis.eval(script, keys.length, ...keys, ...args),
    evalSha: (sha, keys, args) => redis.evalsha(sha, keys.length, ...keys, ...args),
  });
  const rooms = shareRooms({ command, reader: (c, args) => reader.call(c, ...args) });
  let revocations: SharedRevocations | undefined;
  let limits: SharedLimits | undefined;
  return {
    rooms,
    receiver: (keys, maxEnvelopeSize) => new Receiver({ keys, store, maxEnvelopeSize }),
    async attach(secure) {
      revocations = await shareRevocations(secure, {
        command,
        subscriber: {
          subscribe: (channel) => subscriber.subscribe(channel),
          on: (e) => subscriber.on('message', e.message).on('ready', e.up).on('close', e.down),
        },
        onError: (err) => onError('revocations', err),
      });
      limits = await shareLimits(secure, { command, node: options.node, onError: (err) => onError('limits', err) });
    },
    async close() {
      limits?.close();
      await revocations?.close();
      for (const c of [redis, reader, subscriber]) c.disconnect();
    },
  };
}
