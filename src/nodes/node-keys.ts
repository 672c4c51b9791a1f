// What a client trusts when a service runs several nodes (spec/nodes.md §2): the operator key, the
// service's name, and the node set with the highest version it accepted, kept across sessions and
// reconnects. Resolves the kid of a hello or a room frame to a node key, or refuses it with a code.
import { ProtocolError } from '../errors.js';
import { assertBytes, assertSafeUint, equalBytes, toHex } from '../bytes.js';
import { isPublicKey, keyId, type PublicKey } from '../keys/keys.js';
import { openNodeSet, type NodeEntry, type NodeSet } from './node-set.js';

export interface NodeKeysOptions {
  /** The operator's public key: the only key that signs node sets. */
  operator: PublicKey;
  /** The service the sets must name. */
  service: string;
  /** Clock for set expiry and the hello's key window (ms). Default `Date.now`. */
  clock?: () => number;
}

/**
 * A client's trust in a service of several nodes. Pass it as `serverKey` to every session of the
 * service (and keep it across reconnects): it holds the highest set version seen, so an older set
 * is never accepted again, and it remembers every node a newer set dropped.
 *
 * @throws {ProtocolError} from `accept`: `ERR_TOO_LARGE`, envelope codes, `ERR_HEADER_VALUE`,
 *   `ERR_SERVER_IDENTITY`, `ERR_BAD_SIGNATURE`, `ERR_MESSAGE_MALFORMED`, `ERR_BAD_KEY`,
 *   `ERR_REPLAY`, `ERR_KEY_EXPIRED`; from `resolve`: `ERR_KEY_REVOKED`, `ERR_UNKNOWN_KEY`,
 *   `ERR_KEY_NOT_YET_VALID`, `ERR_KEY_EXPIRED`.
 * @example
 * ```ts
 * const nodes = new NodeKeys({ operator: operatorPublicKey, service: 'chat' })
 * const session = new ClientSession(transport, { key, serverKey: nodes })
 * ```
 */
export class NodeKeys {
  readonly operator: PublicKey;
  readonly service: string;
  readonly #clock: () => number;
  #held: { readonly bytes: Uint8Array; readonly set: NodeSet; readonly byKid: Map<string, NodeEntry> } | undefined;
  readonly #revoked = new Set<string>();

  constructor(options: NodeKeysOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    if (!isPublicKey(options.operator)) throw new TypeError('"operator" expected a PublicKey from importPublicKey()');
    if (typeof options.service !== 'string' || options.service.length === 0) throw new TypeError('"service" expected a non-empty string');
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('"clock" expected function');
    this.operator = options.operator;
    this.service = options.service;
    this.#clock = options.clock ?? Date.now;
  }

  /** The held set's version, or undefined before any set was accepted. */
  get version(): number | undefined {
    return this.#held?.set.version;
  }

  /** The held set, decoded. */
  get set(): NodeSet | undefined {
    return this.#held?.set;
  }

  now(): number {
    return this.#clock();
  }

  /**
   * Checks a node set and holds it when its version is higher. Returns true when it replaced the
   * held set, false when it is the held set itself.
   * @see [NODE-2.1]
   */
  accept(bytes: Uint8Array, now: number = this.#clock()): boolean {
    assertBytes(bytes, 'bytes');
    assertSafeUint(now, 'now');
    const set = openNodeSet(bytes, this.operator);
    if (set.service !== this.service) throw new ProtocolError('ERR_SERVER_IDENTITY', 'the node set names another service');
    const held = this.#held;
    if (held !== undefined && (set.version < held.set.version || (set.version === held.set.version && !equalBytes(bytes, held.bytes)))) {
      throw new ProtocolError('ERR_REPLAY', 'the node set is older than the one held');
    }
    if (now > set.notAfter) throw new ProtocolError('ERR_KEY_EXPIRED', 'the node set has expired');
    if (held !== undefined && set.version === held.set.version) return false;
    const byKid = new Map(set.nodes.map((n) => [toHex(n.key.kid), n]));
    // [NODE-2.3]: a node dropped by a newer set stays refused, whatever a later set says.
    if (held !== undefined) for (const kid of held.byKid.keys()) if (!byKid.has(kid)) this.#revoked.add(kid);
    this.#held = { bytes: bytes.slice(), set, byKid };
    return true;
  }

  /**
   * The node key for `kid` at time `ts` under the held set.
   * @see [NODE-2.4]
   */
  resolve(kid: Uint8Array, ts: number): PublicKey {
    // A NaN or non-number ts would pass both window comparisons.
    assertBytes(kid, 'kid');
    assertSafeUint(ts, 'ts');
    const id = toHex(kid);
    if (this.#revoked.has(id)) throw new ProtocolError('ERR_KEY_REVOKED', 'the node key was dropped from the node set');
    const held = this.#held;
    const entry = held?.byKid.get(id);
    if (held === undefined || entry === undefined) throw new ProtocolError('ERR_UNKNOWN_KEY', 'no node of the set has this key id');
    if (ts < entry.notBefore) throw new ProtocolError('ERR_KEY_NOT_YET_VALID', 'the node key is not valid yet');
    if (ts > entry.notAfter || ts > held.set.notAfter) throw new ProtocolError('ERR_KEY_EXPIRED', 'the node key has expired');
    return entry.key;
  }

  /** The last ms the held set lets `key` sign: its entry's `notAfter` or the set's, the earlier. */
  until(key: PublicKey): number {
    const held = this.#held;
    const entry = held?.byKid.get(toHex(key.kid));
    if (held === undefined || entry === undefined) throw new ProtocolError('ERR_UNKNOWN_KEY', 'no node of the set has this key id');
    return Math.min(entry.notAfter, held.set.notAfter);
  }

  /**
   * The hello's key, when the held set lists it and it is valid now; a key never listed is
   * `ERR_SERVER_IDENTITY`.
   * @see [NODE-3.2]
   */
  serverKey(bytes: Uint8Array, now: number): PublicKey {
    assertBytes(bytes, 'key', 32);
    let key: PublicKey;
    try {
      key = this.resolve(keyId(bytes), now);
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'ERR_UNKNOWN_KEY')
        throw new ProtocolError('ERR_SERVER_IDENTITY', 'the server key is not in the node set');
      throw err;
    }
    if (!equalBytes(key.bytes, bytes)) throw new ProtocolError('ERR_SERVER_IDENTITY', 'the server key is not in the node set');
    return key;
  }
}
