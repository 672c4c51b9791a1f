// Sessions over any transport (spec/handshake.md) with policy on the verified identity (spec/policy.md).
export { SecureChannel, errorFromClose, type ChannelEvents, type ChannelMessage, type ChannelState, type CloseInfo, type Transport } from './channel.js';
export { ClientSession, type ClientSessionOptions } from './client-session.js';
export { ServerSession, type Authenticate, type AuthenticateContext, type Authenticated, type SessionPeer } from './server-session.js';
export { SecureServer, DEFAULT_HANDSHAKE_TIMEOUT_MS, type Admission, type SecureServerOptions, type ServerEvents, type ServerLimits, type ServerMessage } from './server.js';
export { jwkThumbprint } from './thumbprint.js';
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
