// sealwire/protocol: the wire constants, codecs and handshake inputs an implementer or a
// conformance driver needs. Applications use the root entry; nothing here is needed to send
// or receive messages, and each name is defined by spec/*.md rather than by convenience.
export { DEFAULT_MAX_ENVELOPE_SIZE } from './envelope/open.js';
export { verifySign1, type VerifiedSign1 } from './envelope/cose.js';
export {
  ALG_ED25519,
  ALG_EDDSA,
  DEFAULT_CONTENT_TYPE,
  ENVELOPE_VERSION,
  LABEL,
  STREAM_ID_LENGTH,
  decodeEnvelope,
  externalAad,
  type DecodedEnvelope,
} from './wire/envelope.js';
export { SEQ_LIMIT } from './envelope/sender.js';
export { DEFAULT_MAX_STREAMS, replayStateBytesPerStream } from './replay/memory.js';
export { DEFAULT_WINDOW, MIN_WINDOW, MAX_WINDOW } from './replay/window.js';
export { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_SKEW_MS } from './replay/freshness.js';
export { MAX_SACK_BITS, RECEIPT_CONTENT_TYPE, RECEIPT_VERSION, decodeReceipt, encodeReceipt, highestAcked, sackedSeqs } from './delivery/receipt.js';
export { receiptFromOpened } from './delivery/verify.js';
export { ReceiptBuilder, DEFAULT_MAX_RECEIPT_STREAMS, type AcceptedRef, type ReceiptBuilderOptions, type ReceiptSealer } from './delivery/builder.js';
export { Outbox, DEFAULT_OUTBOX_CAPACITY, DEFAULT_OUTBOX_MAX_BYTES, type OutboxOptions } from './delivery/outbox.js';
export {
  DEFAULT_MAX_PENDING_BYTES,
  Session,
  DEFAULT_MAX_BUFFERED_AMOUNT,
  errorFromClose,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_RECEIPT_DELAY_MS,
  DEFAULT_RECEIPT_EVERY,
  DEFAULT_SESSION_OUTBOX_BYTES,
  DEFAULT_SESSION_OUTBOX_CAPACITY,
  DEFAULT_MAX_RESUMABLE,
  DEFAULT_RESUME_TTL_MS,
  DEFAULT_MAX_HANDSHAKE_SIZE,
  HANDSHAKE_VERSION,
  TLS_EXPORTER_LABEL,
  TLS_EXPORTER_LENGTH,
  channelBindingHash,
  clientSignatureInput,
  serverSignatureInput,
  transcriptHash,
} from './session/index.js';
export {
  DEFAULT_CONNECTION_RATE,
  DEFAULT_IDENTITY_RATE,
  DEFAULT_IDENTITY_SESSION_RATE,
  DEFAULT_IP_SESSION_RATE,
  TokenBucket,
  DEFAULT_MAX_CONNECTIONS_PER_IDENTITY,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
} from './policy/index.js';
