// The driver's node-set ops (conformance/README.md, spec/nodes.md): a holder that trusts one
// operator key for one service, fed node sets in order, asked for the key of a kid or a hello.
import { toHex } from '../../src/bytes.js';
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { importPublicKey } from '../../src/keys/keys.js';
import { NodeKeys } from '../../src/nodes/node-keys.js';
import { RequestError, hex, string, uint, type Answer, type Request } from './fields.js';

export class NodeOps {
  #keys: NodeKeys | undefined;

  constructor(private readonly backend: Ed25519Backend) {}

  /** The holder `room.reset` with `"nodes": true` checks frames with. */
  get keys(): NodeKeys {
    if (this.#keys === undefined) throw new RequestError('no holder: send "nodes.reset" first');
    return this.#keys;
  }

  /** `nodes.reset`: a new holder of `operator` (32-byte key) for `service`, holding no set. */
  reset(req: Request): Answer {
    const operator = importPublicKey(hex(req, 'operator', 32), { backend: this.backend });
    this.#keys = new NodeKeys({ operator, service: string(req, 'service') });
    return { ok: true };
  }

  /** `nodes.accept`: the set checked at the holder's clock `now` ([NODE-2.1]); the version held after it. */
  accept(req: Request): Answer {
    const keys = this.keys;
    const changed = keys.accept(hex(req, 'set'), uint(req, 'now'));
    return { ok: true, changed, version: keys.version ?? null };
  }

  /** `nodes.resolve`: the held set's key for `kid` at `ts` ([NODE-2.4]). */
  resolve(req: Request): Answer {
    return { ok: true, key: toHex(this.keys.resolve(hex(req, 'kid'), uint(req, 'ts')).bytes) };
  }

  /** `nodes.hello`: whether a hello's `key` may hold the handshake at `now` ([NODE-3.2], after its set was accepted). */
  hello(req: Request): Answer {
    return { ok: true, key: toHex(this.keys.serverKey(hex(req, 'key', 32), uint(req, 'now')).bytes) };
  }
}
