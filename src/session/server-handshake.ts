// The server's checks of a ClientAuth, one function per step of spec/handshake.md [HS-3.4], in
// spec order: the first check that fails gives the code. Steps 1–8 need nothing but the message,
// the hello and the server's configuration; 9–11 ask the application and the server's state.
import { equalBytes, randomBytes } from '../bytes.js';
import { verifyStrict } from '../crypto/ed25519.js';
import { ProtocolError, type ErrorCode } from '../errors.js';
import type { KeyEntry, KeyRing } from '../keys/keyring.js';
import { importPublicKey, type PublicKey } from '../keys/keys.js';
import type { IdentityRefusal, IdentitySlot } from '../policy/admission.js';
import { resealBoundReached } from './delivery.js';
import {
  CB_TLS_EXPORTER,
  HANDSHAKE_VERSION,
  MSG_AUTH,
  NONCE_LENGTH,
  channelBindingHash,
  clientSignatureInput,
  decodeAuth,
  encodeHello,
  peekType,
  transcriptHash,
  type AuthBody,
  type HelloLimits,
  type SignedMessage,
} from './handshake.js';
import type { ResumeEntry, ResumeRegistry } from './resume.js';

/** What an `authenticate` hook returns for an accepted credential. */
export interface Authenticated {
  readonly identity: string;
  readonly roles?: readonly string[];
  /** When the credential expires (ms): the session is closed then ([HS-5.5]). */
  readonly expiresAt?: number;
}

export interface AuthenticateContext {
  /** The origin the client declared, already checked against the transport and the allow-list. */
  readonly origin: string;
  readonly peer: string | undefined;
  /** The previous session id the client named, for resume (spec/handshake.md §7). */
  readonly resume: Uint8Array | null;
}

/**
 * Maps a credential and the (already proven) client key to an identity. Throw a ProtocolError
 * `ERR_UNAUTHENTICATED`, `ERR_CREDENTIAL_EXPIRED` or `ERR_CREDENTIAL_KEY_MISMATCH` to refuse.
 */
export type Authenticate = (credential: Uint8Array | null, clientKey: PublicKey, context: AuthenticateContext) => Authenticated | Promise<Authenticated>;

export interface SessionPeer {
  /** Peer network address as the transport saw it. */
  readonly address?: string;
  /** The web origin the transport reported (a browser's `Origin` header). */
  readonly origin?: string;
  /** RFC 9266 tls-exporter value of this connection (TLS 1.3 only), when the adapter has one. */
  readonly tlsExporter?: Uint8Array;
}

/** What steps 1–8 check a ClientAuth against. */
export interface ClientAuthRules {
  readonly maxHandshakeSize: number;
  readonly maxSkewMs: number;
  readonly requireChannelBinding: boolean;
  readonly keys: KeyRing;
  /** The origin allow-list's verdict ([POL-5.1]). */
  allowsOrigin(origin: string): boolean;
}

/** A ClientAuth that passed steps 1–8: a holder of `clientKey` signed this transcript. */
export interface ProvenAuth {
  readonly auth: SignedMessage<AuthBody>;
  readonly clientKey: PublicKey;
  /** The ring's entry of the key before this handshake, if any. */
  readonly existing: KeyEntry | undefined;
  /** The transcript hash: the session id. */
  readonly th: Uint8Array;
}

function refuse(code: ErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message);
}

/** Step 1, before any decoding. @see [HS-3.4] */
function checkSize(bytes: Uint8Array, maxHandshakeSize: number): void {
  if (bytes.length > maxHandshakeSize) throw refuse('ERR_TOO_LARGE', 'handshake message too large');
}

/** Step 2: a ClientAuth (not another message, not an envelope's COSE tag), well formed. @see [HS-3.4] */
function checkShape(bytes: Uint8Array): SignedMessage<AuthBody> {
  const type = peekType(bytes);
  if ((type !== undefined && type !== MSG_AUTH) || bytes[0] === 0xd2) throw refuse('ERR_UNEXPECTED_MESSAGE', 'expected ClientAuth');
  return decodeAuth(bytes);
}

/** Step 3. @see [HS-3.4] */
function checkVersion(body: AuthBody): void {
  if (body.version !== HANDSHAKE_VERSION) throw refuse('ERR_UNSUPPORTED_VERSION', 'unsupported session version');
}

/** Step 4. @see [HS-3.4] */
function checkClock(body: AuthBody, now: number, maxSkewMs: number): void {
  if (Math.abs(now - body.time) > maxSkewMs) throw refuse('ERR_CLOCK_SKEW', 'client clock differs from the server clock');
}

/** Step 5: the declared origin is the transport's, and allowed. @see [HS-5.3] */
function checkOrigin(body: AuthBody, transportOrigin: string | undefined, allowsOrigin: (origin: string) => boolean): void {
  if (transportOrigin !== undefined && body.origin !== transportOrigin) throw refuse('ERR_ORIGIN', 'origin mismatch');
  if (!allowsOrigin(body.origin)) throw refuse('ERR_ORIGIN', 'origin not allowed');
}

/** Step 6: a binding must match our TLS connection; none is refused when one is required. @see [HS-4.3] */
function checkChannelBinding(body: AuthBody, exporter: Uint8Array | undefined, required: boolean): void {
  if (body.cbType === CB_TLS_EXPORTER) {
    if (exporter === undefined || !equalBytes(body.cb, channelBindingHash(exporter))) {
      throw refuse('ERR_CHANNEL_BINDING', 'the client TLS connection does not end at this server');
    }
  } else if (required) {
    throw refuse('ERR_CHANNEL_BINDING', 'channel binding required');
  }
}

/** Step 7: strict import (`ERR_BAD_KEY`), not revoked. @see [HS-3.4] */
function checkKey(body: AuthBody, keys: KeyRing): { clientKey: PublicKey; existing: KeyEntry | undefined } {
  const clientKey = importPublicKey(body.key, { backend: keys.backend });
  const existing = keys.get(clientKey.kid);
  if (existing?.revoked || keys.isRevoked(clientKey.kid)) throw refuse('ERR_KEY_REVOKED', 'key has been revoked');
  return { clientKey, existing };
}

/** Step 8: proof of possession over the transcript; returns the transcript hash. @see [HS-3.5] */
function checkSignature(hello: Uint8Array, auth: SignedMessage<AuthBody>, clientKey: PublicKey): Uint8Array {
  const th = transcriptHash(hello, auth.bodyBytes);
  if (!verifyStrict(clientKey.backend, clientKey.handle, clientSignatureInput(th), auth.signature)) {
    throw refuse('ERR_BAD_SIGNATURE', 'signature verification failed');
  }
  return th;
}

/** Steps 1–8, the cheap ones before the signature ([HS-3.5]). @see [HS-3.4] */
export function proveClientAuth(bytes: Uint8Array, hello: Uint8Array, rules: ClientAuthRules, peer: SessionPeer, now: number): ProvenAuth {
  checkSize(bytes, rules.maxHandshakeSize);
  const auth = checkShape(bytes);
  checkVersion(auth.body);
  checkClock(auth.body, now, rules.maxSkewMs);
  checkOrigin(auth.body, peer.origin, (o) => rules.allowsOrigin(o));
  checkChannelBinding(auth.body, peer.tlsExporter, rules.requireChannelBinding);
  const { clientKey, existing } = checkKey(auth.body, rules.keys);
  const th = checkSignature(hello, auth, clientKey);
  return { auth, clientKey, existing, th };
}

/**
 * Step 9: the credential, only for a key holder. Without a hook the key must already be in the
 * ring with an identity. A result that is not an {@link Authenticated} is the hook's bug: TypeError.
 * @see [HS-5.1]
 */
export async function checkCredential(proven: ProvenAuth, authenticate: Authenticate | undefined, peer: SessionPeer): Promise<Authenticated> {
  const b = proven.auth.body;
  if (authenticate === undefined) {
    if (proven.existing?.identity === undefined) throw refuse('ERR_UNAUTHENTICATED', 'unknown client key');
    return { identity: proven.existing.identity };
  }
  const who = await authenticate(b.credential === null ? null : b.credential.slice(), proven.clientKey, {
    origin: b.origin,
    peer: peer.address,
    resume: b.resume === null ? null : b.resume.slice(),
  });
  checkAuthenticated(who);
  return who;
}

/** Step 9's expiry, on the clock after the hook returned. @see [HS-5.5] */
export function checkExpiry(who: Authenticated, now: number): void {
  if (who.expiresAt !== undefined && who.expiresAt <= now) throw refuse('ERR_CREDENTIAL_EXPIRED', 'credential expired');
}

/**
 * Step 10: the identity's session rate and connection cap, as the admission policy answered: the
 * slot taken, or the refusal thrown. `ERR_STORE`: the shared limit store did not answer ([POL-4.7]).
 * @see [POL-4.3]
 */
export function checkIdentityAdmission(admitted: IdentityRefusal | 'ERR_STORE' | IdentitySlot): IdentitySlot {
  if (typeof admitted === 'function') return admitted;
  if (admitted === 'ERR_RATE_LIMITED') throw refuse('ERR_RATE_LIMITED', 'new sessions too fast for this identity');
  if (admitted === 'ERR_TOO_MANY_CONNECTIONS') throw refuse('ERR_TOO_MANY_CONNECTIONS', 'too many connections for this identity');
  throw refuse('ERR_STORE', 'the shared limit store did not answer');
}

/** One key names one identity: the ring's entry (if any) must be this identity's, unrevoked. @see [HS-5.4] */
export function checkKeyIdentity(entry: KeyEntry | undefined, identity: string): void {
  if (entry === undefined) return;
  if (entry.revoked) throw refuse('ERR_KEY_REVOKED', 'key has been revoked');
  if (entry.identity !== identity) throw refuse('ERR_UNAUTHENTICATED', 'key belongs to another identity');
}

/** Step 11: the named session is known, of this key and identity, and may still be resumed. @see [HS-7.2] */
export function checkResume(entry: ResumeEntry | undefined, keyId: string, identity: string): ResumeEntry {
  if (entry === undefined || entry.kid !== keyId || entry.identity !== identity) {
    throw refuse('ERR_RESUME_REFUSED', 'no resumable session of this key under that id');
  }
  if (resealBoundReached(entry.delivery.outbox)) {
    throw refuse('ERR_RESUME_REFUSED', 'resumed too often without acknowledging anything');
  }
  // [HS-7.12]: our signing key failed on that state's data stream; the gap could never be acknowledged.
  if (entry.delivery.signing.broken) throw refuse('ERR_RESUME_REFUSED', 'a signature failed on that session');
  return entry;
}

/**
 * What may change while the handshake awaits `authorize` or the server's key, checked again after
 * each such wait. True when nothing did.
 * @see [HS-5.5]
 */
export function checkUnchanged(
  proven: ProvenAuth,
  who: Authenticated,
  resumed: ResumeEntry | undefined,
  keys: KeyRing,
  resume: Pick<ResumeRegistry, 'find'>,
  now: number,
): boolean {
  const kid = proven.clientKey.kid;
  // [POL-6.1]: revocation closes registered sessions only; a key revoked during the wait would
  // otherwise get a session, and its rooms' traffic, until it sent something.
  if (keys.isRevoked(kid) || keys.get(kid)?.revoked) throw refuse('ERR_KEY_REVOKED', 'key has been revoked');
  if (resumed !== undefined && resume.find(proven.auth.body.resume!) !== resumed) {
    throw refuse('ERR_RESUME_REFUSED', 'the session was resumed concurrently');
  }
  // [HS-5.5]: a credential that ran out during the wait gets no Welcome and no resent data.
  checkExpiry(who, now);
  return true;
}

/**
 * A Renew's credential, checked as step 9 checks a ClientAuth's, with the session's proven key,
 * origin and peer; it must name the session's identity and not be expired.
 * @see [HS-8.6]
 */
export async function checkRenewal(
  credential: Uint8Array,
  proven: ProvenAuth,
  authenticate: Authenticate | undefined,
  peer: SessionPeer,
  identity: string,
  clock: () => number,
): Promise<Authenticated> {
  if (authenticate === undefined) throw refuse('ERR_FORBIDDEN', 'this server takes no credentials');
  const who = await authenticate(credential.slice(), proven.clientKey, { origin: proven.auth.body.origin, peer: peer.address, resume: null });
  checkAuthenticated(who);
  if (who.identity !== identity) throw refuse('ERR_UNAUTHENTICATED', 'a credential of another identity');
  checkExpiry(who, clock());
  return who;
}

function checkAuthenticated(who: Authenticated): void {
  if (who === null || typeof who !== 'object' || typeof who.identity !== 'string' || who.identity.length === 0) {
    throw new TypeError('authenticate() must return { identity: non-empty string, roles?, expiresAt? }');
  }
  if (who.roles !== undefined && (!Array.isArray(who.roles) || !who.roles.every((r) => typeof r === 'string'))) {
    throw new TypeError('authenticate() "roles" must be an array of strings');
  }
  if (who.expiresAt !== undefined && (typeof who.expiresAt !== 'number' || !Number.isSafeInteger(who.expiresAt))) {
    throw new TypeError('authenticate() "expiresAt" must be ms since the epoch');
  }
}

/** The hello of a new session: a fresh nonce, and the node set in force when it is made ([HS-2.1]). @see [NODE-3.3] */
export function makeHello(key: Uint8Array, limits: HelloLimits, nodes: Uint8Array | undefined, now: number): Uint8Array {
  return encodeHello({ versions: [HANDSHAKE_VERSION], nonce: randomBytes(NONCE_LENGTH), key, time: now, limits, ...(nodes ? { nodes } : {}) });
}
