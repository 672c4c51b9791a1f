// Sessions over any transport (spec/handshake.md) with policy on the verified identity (spec/policy.md).
export { DEFAULT_MAX_PENDING_BYTES } from './inbox.js';
export { Session, type SessionEvents, type SessionMessage, type SessionState } from './session.js';
export { DEFAULT_MAX_BUFFERED_AMOUNT, errorFromClose, type CloseInfo, type Transport } from './transport.js';
export { ClientSession, type ClientSessionOptions } from './client-session.js';
export { ServerSession, type Authenticate, type AuthenticateContext, type Authenticated, type SessionPeer } from './server-session.js';
export {
  SecureServer,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type Admission,
  type AdmissionCheck,
  type SecureServerOptions,
  type ServerEvents,
  type RoomAckEvent,
  type ServerLimits,
  type ServerMessage,
  type ServerRateLimits,
} from './server.js';
export { jwkThumbprint } from './thumbprint.js';
export type { Logger } from './logger.js';
export type { Timers } from './timers.js';
export { DEFAULT_RECEIPT_DELAY_MS, DEFAULT_RECEIPT_EVERY, DEFAULT_SESSION_OUTBOX_BYTES, DEFAULT_SESSION_OUTBOX_CAPACITY } from './delivery.js';
export { DEFAULT_MAX_RESUMABLE, DEFAULT_RESUME_TTL_MS } from './resume.js';
export {
  DEFAULT_MAX_HANDSHAKE_SIZE,
  HANDSHAKE_VERSION,
  TLS_EXPORTER_LABEL,
  TLS_EXPORTER_LENGTH,
  channelBindingHash,
  clientSignatureInput,
  serverSignatureInput,
  transcriptHash,
} from './handshake.js';
