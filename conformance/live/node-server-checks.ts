// `--live-server URL --operator-key HEX`: the server under test presents a node set signed by that
// operator key (spec/nodes.md §3). Our test client reads the hello of several handshakes.
import { equalBytes } from '../../src/bytes.js';
import { importPublicKey } from '../../src/index.js';
import { NodeKeys } from '../../src/nodes/node-keys.js';
import { openNodeSet } from '../../src/nodes/node-set.js';
import { decodeHello } from '../../src/session/handshake.js';
import type { LiveCheck } from './check.js';
import { openPeer, type ServerCtx } from './peer.js';

export const NODE_SERVER_CHECKS: LiveCheck<ServerCtx>[] = [
  {
    name: "every hello carries the same node set bytes, signed by the operator key, listing the hello's key, and a client holding it trusts the server",
    covers: ['NODE-3.3'],
    async run(ctx) {
      if (ctx.operatorKey === undefined) throw new Error('no --operator-key');
      const operator = importPublicKey(ctx.operatorKey);
      const peers = [await openPeer(ctx, 'alice'), await openPeer(ctx, 'bob'), await openPeer(ctx, 'alice')];
      // The first frame a session gets is its ServerHello.
      const hellos = peers.map((p) => decodeHello(p.socket.received[0]!));
      peers.forEach((p) => p.session.close());
      const sets = hellos.map((h, i) => {
        if (h.nodes === undefined) throw new Error(`hello ${i + 1} carries no node set`);
        return h.nodes;
      });
      for (let i = 1; i < sets.length; i++) {
        if (!equalBytes(sets[i]!, sets[0]!)) throw new Error(`hello ${i + 1} carries other set bytes than hello 1, with no newer set presented`);
      }
      for (const [i, h] of hellos.entries()) {
        const set = openNodeSet(h.nodes!, operator); // the operator's signature, shape and size ([NODE-2.1] 1–6)
        if (!set.nodes.some((n) => equalBytes(n.key.bytes, h.key))) throw new Error(`hello ${i + 1}'s set does not list the hello's key`);
        // A holder of the operator key for the set's service accepts it and trusts the hello's key now ([NODE-3.2]).
        const holder = new NodeKeys({ operator, service: set.service });
        holder.accept(h.nodes!);
        holder.serverKey(h.key, Date.now());
      }
    },
  },
];
