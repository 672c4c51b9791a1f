// The seam between the driver and the replay layer (src/envelope/receiver.ts). Loaded dynamically so
// the stateless ops keep working in a build without it; `info` reports whether it is there.
import type { KeyRing } from '../../src/keys/keyring.js';
import type { Opened } from '../../src/envelope/open.js';

export interface ReceiverLike {
  openSync(envelope: Uint8Array, options: { aad: Uint8Array | undefined; binding: Uint8Array | undefined; now: number }): Opened;
}

export interface ReceiverModule {
  create(ring: KeyRing, options: Record<string, number | boolean>, previous: ReceiverLike | undefined): ReceiverLike;
  /** A receiver restart under the spec's rule: what survives is what the spec says survives. */
  restart(previous: ReceiverLike, ring: KeyRing, options: Record<string, number | boolean>): ReceiverLike;
}

export async function loadReceiverModule(): Promise<ReceiverModule | undefined> {
  const path = '../../src/envelope/receiver.js';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(path)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const Receiver = mod['Receiver'] as (new (options: Record<string, unknown>) => ReceiverLike) | undefined;
  if (typeof Receiver !== 'function') return undefined;
  return {
    create(ring, options) {
      return new Receiver({ keys: ring, ...options });
    },
    restart(_previous, ring, options) {
      return new Receiver({ keys: ring, ...options });
    },
  };
}
