// The public shapes of an encrypted room (spec/e2ee.md): what it reports, what it holds, how it is
// made; and what it needs of a session and of its environment, so that the conformance driver can
// run the same room on a recorded port and a virtual clock.
import type { ErrorCode } from '../errors.js';
import type { ClientSession } from '../session/client-session.js';
import type { Timers } from '../session/timers.js';
import type { DeviceKey } from './device.js';

/** A decrypted post of another member. */
export interface DecryptedMessage {
  readonly room: string;
  readonly identity: string;
  /** The author's kid, lowercase hex: its signature was verified before decryption. */
  readonly keyId: string;
  readonly offset: number | undefined;
  readonly seq: number;
  readonly ts: number;
  readonly payload: Uint8Array;
}

/** A post this member refused, with its code (spec/e2ee.md §8). */
export interface E2eeRefusal {
  readonly room: string;
  readonly code: ErrorCode;
  readonly keyId: string;
  readonly offset: number | undefined;
}

/** A member's device as this member holds it: who, and the X25519 key its copies are sealed to. */
export interface RoomDevice {
  readonly identity: string;
  readonly keyId: string;
  readonly x25519: Uint8Array;
}

export interface E2eeRoomEvents extends Record<string, unknown> {
  message: DecryptedMessage;
  refused: E2eeRefusal;
  /** The devices holding this room's keys changed. */
  devices: readonly RoomDevice[];
}

export interface E2eeRoomOptions {
  /** This member's device key; a fresh one when absent. */
  device?: DeviceKey;
  /** How long a message waits for its chain's key distribution, ms (1–60,000; default 5,000). */
  holdMs?: number;
  /** Join the room first (default true; false when the application joined it already). */
  join?: boolean;
  /**
   * Join with the room's history (default false): its old posts arrive too, and those sent before
   * this device key reached their senders are reported `ERR_E2EE_NO_KEY` (history is not shared).
   */
  history?: boolean;
  /**
   * Read the session's messages in this room (default true). False: the application hands them to
   * {@link E2eeRoom.receive} itself, e.g. from a recorded transcript.
   */
  listen?: boolean;
}

/** What a room uses of its client session (a ClientSession is one). */
export type E2eeSession = Pick<ClientSession, 'identity' | 'signingKey' | 'position' | 'post' | 'authorKey' | 'join' | 'on'>;

/** The room's clock, timers and randomness: the platform's, or virtual ones in the conformance driver. */
export interface E2eeEnv {
  readonly clock: () => number;
  readonly timers: Timers;
  readonly random: (length: number) => Uint8Array;
}
