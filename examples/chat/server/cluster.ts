// The chat as one node of several (`npm run start:cluster`): what one process holds alone in
// memory, the nodes share through one Redis (sealwire/redis, with this chat's own ioredis
// clients): session resume state, revocations, per-identity caps and rates, and the rooms' signed
// streams, so a message posted on one node reaches members on every node in one order, and a page
// whose node dies resumes its session on another: what it sent and no receipt covered is
// delivered there, and what the dead node sent and it did not acknowledge comes again.
//
// No shared replay store: every envelope a session receives is bound to that session ([HS-6.3]),
// which one node holds at a time, and the client's data stream moves with its state, whose
// acknowledgement record is its replay state ([RPL-9.1], [HS-7.17]). A shared window would even be
// wrong here: a Post the dead node committed but never appended would be refused on the new node
// as a replay, so acknowledged and lost, instead of handled again.
import { Redis } from 'ioredis';
import type { SecureServer } from '../../../src/index.js';
import {
  shareLimits,
  shareResume,
  shareRevocations,
  shareRooms,
  type SharedLimits,
  type SharedResume,
  type SharedRevocations,
} from '../../../src/replay/redis.js';
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
  /** Session states, so a page resumes on any node (spec/handshake.md §7.1). */
  readonly resume: SharedResume;
  /** Shares the server's revocations and limits; call once the server exists. */
  attach(secure: SecureServer): Promise<void>;
  close(): Promise<void>;
}

export function joinCluster(options: ClusterOptions, onError: (what: string, err: unknown) => void): ClusterState {
  const url = `redis://127.0.0.1:${options.redisPort}`;
  // A blocked XREAD and a subscription each hold their connection: three clients per node.
  const [redis, reader, subscriber] = [new Redis(url), new Redis(url), new Redis(url)];
  for (const c of [redis, reader, subscriber]) c.on('error', (err: unknown) => onError('redis', err));
  const command = (c: string, args: string[]): Promise<unknown> => redis.call(c, ...args);
  const resume = shareResume({ command });
  const rooms = shareRooms({ command, reader: (c, args) => reader.call(c, ...args) });
  let revocations: SharedRevocations | undefined;
  let limits: SharedLimits | undefined;
  return {
    rooms,
    resume,
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
