// Who may open a session, and how often: the origin allow-list, connection caps per peer address
// and per identity ([POL-4.2], [POL-5.1]) and the rate of new sessions ([POL-4.3]); it also keeps
// the identities' message buckets ([POL-3.1]), which live as long as the identity's connections.
import { BucketMap } from './buckets.js';
import { ConnectionCounter } from './limits.js';
import { Allowance, type Bucket, type LimitStore, type SharedRefusal } from './limit-store.js';
import type { RateLimit } from './rate-limit.js';

export interface AdmissionLimits {
  /** Origin allow-list; undefined: any origin. */
  readonly origins: ReadonlySet<string> | undefined;
  readonly maxConnectionsPerIp: number;
  readonly maxConnectionsPerIdentity: number;
  /** New sessions per peer address ([POL-4.3]). */
  readonly ipSessionRate: RateLimit;
  /** New sessions per identity ([POL-4.3]). */
  readonly identitySessionRate: RateLimit;
  /** Messages per identity, over all its connections ([POL-3.1]). */
  readonly identityRate: RateLimit;
}

/** Why an upgrade is refused, in the order the checks run. */
export type PeerRefusal = 'ERR_ORIGIN' | 'ERR_RATE_LIMITED' | 'ERR_TOO_MANY_CONNECTIONS';
/** Why an authenticated identity gets no session, in the order the checks run. */
export type IdentityRefusal = 'ERR_RATE_LIMITED' | 'ERR_TOO_MANY_CONNECTIONS';

/** A connection slot of an identity, taken at admission: call once when the connection ends. */
export type IdentitySlot = () => void;

/** Admission decisions on an injected clock; every admitted slot must be released once. */
export class AdmissionPolicy {
  readonly #perIp: ConnectionCounter;
  readonly #perIdentity: ConnectionCounter;
  readonly #ipSessions: BucketMap;
  readonly #identitySessions: BucketMap;
  readonly #messages: BucketMap;
  /** Limits shared with other nodes ([POL-4.4]); undefined: this process alone. */
  #store: LimitStore | undefined;
  /** This node's shared slots and message allowances, per identity. */
  readonly #shared = new Map<string, { slots: number; allowance: Allowance | undefined }>();
  #slotIds = 0;

  constructor(
    readonly limits: AdmissionLimits,
    private readonly clock: () => number,
  ) {
    this.#perIp = new ConnectionCounter(limits.maxConnectionsPerIp);
    const perIdentity = (this.#perIdentity = new ConnectionCounter(limits.maxConnectionsPerIdentity));
    this.#ipSessions = new BucketMap(limits.ipSessionRate);
    this.#identitySessions = new BucketMap(limits.identitySessionRate);
    // A connected identity keeps its message bucket even when full: its sessions hold it.
    this.#messages = new BucketMap(limits.identityRate, (identity) => perIdentity.count(identity) > 0);
  }

  /** True when `origin` may open a session ([POL-5.1], [HS-5.3]). */
  allowsOrigin(origin: string | undefined): boolean {
    const allowed = this.limits.origins;
    return allowed === undefined || (origin !== undefined && allowed.has(origin));
  }

  /**
   * The upgrade's checks, cheapest and least stateful first: origin, the address's session rate,
   * its connection cap. Null when admitted: a slot is taken, for {@link releasePeer}.
   * @see [POL-4.3]
   */
  admitPeer(address: string, origin: string | undefined): PeerRefusal | null {
    if (!this.allowsOrigin(origin)) return 'ERR_ORIGIN';
    if (!this.#ipSessions.take(address, this.clock())) return 'ERR_RATE_LIMITED';
    if (!this.#perIp.acquire(address)) return 'ERR_TOO_MANY_CONNECTIONS';
    return null;
  }

  releasePeer(address: string): void {
    this.#perIp.release(address);
  }

  /** Shares the identity limits through `store` from now on; sessions admitted before keep their slots. */
  share(store: LimitStore | undefined): void {
    this.#store = store;
  }

  /**
   * The identity's session rate, then its connection cap, once the credential named it ([HS-3.4]
   * step 10): here, or in the shared store (an answer later). A function when admitted: the slot,
   * to call once when the connection ends.
   * @see [POL-4.3]
   */
  admitIdentity(identity: string): IdentityRefusal | IdentitySlot | Promise<SharedRefusal | IdentitySlot> {
    const store = this.#store;
    if (store !== undefined) return this.#admitShared(store, identity);
    if (!this.#identitySessions.take(identity, this.clock())) return 'ERR_RATE_LIMITED';
    if (!this.#perIdentity.acquire(identity)) return 'ERR_TOO_MANY_CONNECTIONS';
    let held = true;
    return () => {
      if (held) this.#perIdentity.release(identity);
      held = false;
    };
  }

  async #admitShared(store: LimitStore, identity: string): Promise<SharedRefusal | IdentitySlot> {
    const slot = `${this.#slotIds++}`;
    const { identitySessionRate, maxConnectionsPerIdentity } = this.limits;
    let refusal: SharedRefusal | null;
    try {
      refusal = await store.admit(identity, slot, identitySessionRate, maxConnectionsPerIdentity);
    } catch {
      // A store that breaks its promise and throws is one that did not answer ([POL-4.7]).
      refusal = 'ERR_STORE';
    }
    if (refusal !== null) return refusal;
    let here = this.#shared.get(identity);
    if (here === undefined) this.#shared.set(identity, (here = { slots: 0, allowance: undefined }));
    here.slots++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      store.release(identity, slot);
      if (--here.slots > 0) return;
      this.#shared.delete(identity);
      here.allowance?.drop();
    };
  }

  /** The message bucket all of the identity's connections share ([POL-3.1]), across nodes when shared ([POL-4.5]). */
  messageBucket(identity: string): Bucket {
    const here = this.#shared.get(identity);
    if (here === undefined || this.#store === undefined) return this.#messages.get(identity, this.clock());
    return (here.allowance ??= new Allowance(this.#store, identity, this.limits.identityRate));
  }
}
