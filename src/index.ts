// sealwire: signed, replay-protected envelopes for real-time messaging over any transport.
// The root holds what an application uses; wire constants and handshake internals for
// implementers live in 'sealwire/protocol', the error type alone in 'sealwire/errors'.
export { ProtocolError, ERROR_CODES, isProtocolError, type ErrorCode } from './errors.js';
export { DEFAULTS, type Defaults, type DefaultRate } from './defaults.js';
export { toHex, fromHex } from './bytes.js';
export type { Ed25519Backend } from './crypto/backend.js';
export { getBackend, getDefaultBackend, setDefaultBackend } from './crypto/select.js';
export {
  generateKeyPair,
  importPublicKey,
  isPublicKey,
  importSigningKey,
  importCryptoKeyPair,
  isAsyncSigningKey,
  keyId,
  publicKeyOf,
  type AsyncSigningKey,
  type KeyOptions,
  type PublicKey,
  type SigningKey,
} from './keys/keys.js';
export { KeyRing, type KeyEntry, type KeyEntryOptions, type RevocationListener } from './keys/keyring.js';
export { NodeKeys, type NodeKeysOptions } from './nodes/node-keys.js';
export { signNodeSet, type NodeSet, type NodeEntry, type NodeSetInput } from './nodes/node-set.js';
export { seal, sealAsync, type SealOptions } from './envelope/seal.js';
export { open, type OpenOptions, type Opened } from './envelope/open.js';
export type { ContentType, EnvelopeHeader } from './wire/envelope.js';
export { Receiver, type ReceiverOptions, type OpenContext, type Verifier, type VerifyFunction } from './envelope/receiver.js';
export { Sender, type SealContext, type SenderOptions, type SeqReservation } from './envelope/sender.js';
export type { ReplayStore, ReplayRequest, ReplayVerdict } from './replay/store.js';
export { MemoryReplayStore, type MemoryReplayStoreOptions, type StreamState } from './replay/memory.js';
export { AsyncMemoryReplayStore, type AsyncMemoryReplayStoreOptions } from './replay/async-memory.js';
export type { Receipt } from './delivery/receipt.js';
export { acknowledges } from './delivery/receipt.js';
export { verifyReceipt, type VerifiedReceipt } from './delivery/verify.js';
export type { AckResult, DeliveryStatus } from './delivery/outbox.js';
export {
  ClientSession,
  ServerSession,
  SecureServer,
  jwkThumbprint,
  type SessionEvents,
  type SessionMessage,
  type SessionState,
  type CloseInfo,
  type Transport,
  type ClientSessionOptions,
  type Authenticate,
  type AuthenticateContext,
  type Authenticated,
  type SessionPeer,
  type Admission,
  type AdmissionCheck,
  type SecureServerOptions,
  type ServerEvents,
  type RoomAckEvent,
  type ServerLimits,
  type ServerMessage,
  type ServerRateLimits,
  type Timers,
} from './session/index.js';
export type {
  Action,
  Authorize,
  AuthorizeRequest,
  Validate,
  ValidateRequest,
  SecurityEvent,
  SecurityEventSink,
  SecurityEventType,
  RateLimit,
} from './policy/index.js';
export type { RoomOptions } from './session/server-options.js';
export type { RoomLog } from './rooms/log.js';
export type { RoomVerify } from './rooms/pipeline.js';
export type { AsyncVerify } from './crypto/webcrypto.js';
