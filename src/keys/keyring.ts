// Key id → public key, with validity windows, rotation and revocation (spec/envelope.md §7).
import { ProtocolError } from '../errors.js';
import { assertBytes, assertSafeUint, toHex } from '../bytes.js';
import type { Ed25519Backend } from '../crypto/backend.js';
import { backendOption, importPublicKey, isPublicKey, type PublicKey } from './keys.js';

export interface KeyEntryOptions {
  /** Who holds the key: the identity every policy decision is made on. */
  identity?: string;
  /** Defaults to the key's RFC 7638 thumbprint. */
  kid?: Uint8Array;
  /** First envelope timestamp (ms) the key may sign. Default: no lower bound. */
  notBefore?: number;
  /** Last envelope timestamp (ms) the key may sign. Default: no upper bound. */
  notAfter?: number;
  /** When the key was issued, for {@link KeyRing.revokeIdentity}. Default: `notBefore`, else now. */
  issuedAt?: number;
}

export interface KeyEntry {
  readonly key: PublicKey;
  readonly kid: Uint8Array;
  readonly identity: string | undefined;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly issuedAt: number;
  readonly revoked: boolean;
}

export type RevocationListener = (entry: KeyEntry) => void;

interface MutableEntry extends KeyEntry {
  revoked: boolean;
}

function assertIdentity(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError('"identity" expected string');
}

function assertTime(value: unknown, name: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    throw new TypeError(`"${name}" expected a non-negative safe integer (ms since the epoch)`);
  }
}

/**
 * Holds the public keys a receiver trusts. Overlapping validity windows give rotation without a
 * gap: add the new key before the old one's `notAfter`. Revocation is permanent and reaches
 * listeners (open sessions) synchronously.
 *
 * @throws {ProtocolError} from `add`: `ERR_BAD_KEY`, `ERR_KEY_REVOKED`; from `resolve`:
 *   `ERR_UNKNOWN_KEY`, `ERR_KEY_REVOKED`, `ERR_KEY_NOT_YET_VALID`, `ERR_KEY_EXPIRED`.
 *   {TypeError} or {RangeError} for a malformed argument, named in the message.
 * @example
 * ```ts
 * const ring = new KeyRing()
 * ring.add(alicePublicKey, { identity: 'alice', notAfter: Date.now() + 86_400_000 })
 * ring.revokeIdentity('alice', Date.now()) // every key of alice's issued before now
 * ```
 */
export class KeyRing {
  readonly backend: Ed25519Backend;
  readonly #entries = new Map<string, MutableEntry>();
  readonly #revokedKids = new Set<string>();
  readonly #identityCutoffs = new Map<string, number>();
  readonly #listeners = new Set<RevocationListener>();
  // The last entry resolve() found, checked by comparing bytes before the hex-keyed map is
  // consulted: a receiver sees the same sender key many times in a row, and building the hex
  // string and hashing it cost more than the rest of the lookup (bench/RESULTS.md). remove()
  // clears it; revocation only flags the entry, which the cached reference sees.
  // The kid is our own copy: entry.kid is reachable by callers, the map key is not.
  #last: MutableEntry | undefined;
  #lastKid: Uint8Array = new Uint8Array(0);

  constructor(options: { backend?: Ed25519Backend } = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected object');
    this.backend = backendOption(options.backend);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Adds a key. @throws {ProtocolError} `ERR_BAD_KEY` (strict import rule), `ERR_KEY_REVOKED`
   * (a revoked key id never comes back). @throws {RangeError} when the key id is already present.
   */
  add(publicKey: Uint8Array | PublicKey, options: KeyEntryOptions = {}): KeyEntry {
    assertTime(options.notBefore, 'notBefore');
    assertTime(options.notAfter, 'notAfter');
    assertTime(options.issuedAt, 'issuedAt');
    if (options.identity !== undefined && typeof options.identity !== 'string') {
      throw new TypeError('"identity" expected string');
    }
    const key =
      publicKey instanceof Uint8Array ? importPublicKey(publicKey, { backend: this.backend, ...(options.kid ? { kid: options.kid } : {}) }) : publicKey;
    if (!(publicKey instanceof Uint8Array) && !isPublicKey(publicKey)) {
      throw new TypeError('"publicKey" expected Uint8Array or a PublicKey from importPublicKey()');
    }
    const kid = options.kid ?? key.kid;
    const id = toHex(kid);
    if (this.#revokedKids.has(id)) throw new ProtocolError('ERR_KEY_REVOKED', 'key has been revoked');
    if (this.#entries.has(id)) throw new RangeError('a key with this kid is already in the ring');
    const notBefore = options.notBefore ?? 0;
    const notAfter = options.notAfter ?? Number.MAX_SAFE_INTEGER;
    if (notAfter < notBefore) throw new RangeError('"notAfter" must not be before "notBefore"');
    const entry: MutableEntry = {
      key,
      kid: kid.slice(),
      identity: options.identity,
      notBefore,
      notAfter,
      issuedAt: options.issuedAt ?? options.notBefore ?? Date.now(),
      revoked: false,
    };
    const cutoff = entry.identity === undefined ? undefined : this.#identityCutoffs.get(entry.identity);
    if (cutoff !== undefined && entry.issuedAt < cutoff) {
      throw new ProtocolError('ERR_KEY_REVOKED', 'keys of this identity issued before the cutoff are revoked');
    }
    this.#entries.set(id, entry);
    return entry;
  }

  get(kid: Uint8Array): KeyEntry | undefined {
    assertBytes(kid, 'kid');
    return this.#entries.get(toHex(kid));
  }

  /**
   * The entry that may verify an envelope with this key id and timestamp.
   * @throws {ProtocolError} `ERR_UNKNOWN_KEY`, `ERR_KEY_REVOKED`, `ERR_KEY_NOT_YET_VALID`, `ERR_KEY_EXPIRED`
   */
  resolve(kid: Uint8Array, ts: number): KeyEntry {
    // A NaN or non-number ts would pass both window comparisons.
    assertBytes(kid, 'kid');
    assertSafeUint(ts, 'ts');
    let entry = this.#last;
    // Anything but a Uint8Array takes the map path, which refuses it as before.
    if (entry === undefined || !(kid instanceof Uint8Array) || !sameKid(this.#lastKid, kid)) {
      entry = this.#entries.get(toHex(kid));
      if (entry === undefined) throw new ProtocolError('ERR_UNKNOWN_KEY', 'unknown key id');
      this.#last = entry;
      this.#lastKid = kid.slice();
    }
    return checkValidity(entry, ts);
  }

  /**
   * True when this key id was revoked, whether or not it is in the ring now: a revoked kid is
   * refused for good, so a handshake can turn it away before any signature work.
   */
  isRevoked(kid: Uint8Array): boolean {
    assertBytes(kid, 'kid');
    return this.#revokedKids.has(toHex(kid));
  }

  /**
   * Takes a key out of the ring without revoking it ([ENV-7.8]): envelopes under its kid are then
   * refused with `ERR_UNKNOWN_KEY`, and the key may be added again later. A revoked kid stays
   * refused for good, removed or not. Returns false when the kid is not in the ring.
   * @example
   * ```ts
   * ring.remove(entry.kid) // a device was retired; its key may come back after a re-enrolment
   * ```
   */
  remove(kid: Uint8Array): boolean {
    assertBytes(kid, 'kid');
    const id = toHex(kid);
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    if (this.#last === entry) {
      this.#last = undefined;
      this.#lastKid = new Uint8Array(0);
    }
    return true;
  }

  /** Revokes one key for good. Returns false when the kid is unknown (it is still refused later). */
  revokeKey(kid: Uint8Array): boolean {
    // A hex string or array here would otherwise "revoke" a key id that never matches.
    assertBytes(kid, 'kid');
    const id = toHex(kid);
    this.#revokedKids.add(id);
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.revoked) return false;
    entry.revoked = true;
    this.#notify(entry);
    return true;
  }

  /** Revokes every key of `identity` issued before `issuedBefore` (ms), now and when added later. */
  revokeIdentity(identity: string, issuedBefore: number): number {
    assertIdentity(identity);
    assertSafeUint(issuedBefore, 'issuedBefore');
    const prior = this.#identityCutoffs.get(identity) ?? 0;
    this.#identityCutoffs.set(identity, Math.max(prior, issuedBefore));
    // Revoke every key first, then notify: a throwing listener must not leave a key trusted.
    const revoked: KeyEntry[] = [];
    for (const [id, entry] of this.#entries) {
      if (entry.identity === identity && entry.issuedAt < issuedBefore && !entry.revoked) {
        entry.revoked = true;
        this.#revokedKids.add(id);
        revoked.push(entry);
      }
    }
    this.#notify(...revoked);
    return revoked.length;
  }

  keysOf(identity: string): KeyEntry[] {
    assertIdentity(identity);
    return [...this.#entries.values()].filter((e) => e.identity === identity);
  }

  /** Called synchronously for each key that becomes revoked; returns an unsubscribe function. */
  onRevoke(listener: RevocationListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('"listener" expected function');
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every listener hears every revocation; the first listener error is rethrown afterwards. */
  #notify(...entries: KeyEntry[]): void {
    let failed = false;
    let first: unknown;
    for (const entry of entries) {
      for (const l of this.#listeners) {
        try {
          l(entry);
        } catch (err) {
          if (!failed) first = err;
          failed = true;
        }
      }
    }
    if (failed) throw first;
  }
}

// Key ids are public: an early-exit comparison leaks nothing.
function sameKid(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Shared by the key ring and single-key `open()` so both apply one rule. */
export function checkValidity(entry: KeyEntry, ts: number): KeyEntry {
  if (entry.revoked) throw new ProtocolError('ERR_KEY_REVOKED', 'key has been revoked');
  if (ts < entry.notBefore) throw new ProtocolError('ERR_KEY_NOT_YET_VALID', 'key is not valid yet at the envelope time');
  if (ts > entry.notAfter) throw new ProtocolError('ERR_KEY_EXPIRED', 'key has expired at the envelope time');
  return entry;
}
