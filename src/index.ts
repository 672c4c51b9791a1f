// sealwire: signed, replay-protected envelopes for real-time messaging over any transport.
export { ProtocolError, ERROR_CODES, isProtocolError, type ErrorCode } from './errors.js';
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
export { seal, sealAsync, type SealOptions } from './envelope/seal.js';
export { open, DEFAULT_MAX_ENVELOPE_SIZE, type OpenOptions, type Opened } from './envelope/open.js';
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
  type ContentType,
  type DecodedEnvelope,
  type EnvelopeHeader,
} from './wire/envelope.js';
export { Receiver, type ReceiverOptions, type OpenContext } from './envelope/receiver.js';
export { Sender, SEQ_LIMIT, type SealContext, type SenderOptions, type SeqReservation } from './envelope/sender.js';
export type { ReplayStore, ReplayRequest, ReplayVerdict } from './replay/store.js';
export {
  MemoryReplayStore,
  DEFAULT_MAX_STREAMS,
  replayStateBytesPerStream,
  type MemoryReplayStoreOptions,
  type StreamState,
} from './replay/memory.js';
export { AsyncMemoryReplayStore, type AsyncMemoryReplayStoreOptions } from './replay/async-memory.js';
export { DEFAULT_WINDOW, MIN_WINDOW, MAX_WINDOW } from './replay/window.js';
export { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_SKEW_MS } from './replay/freshness.js';
export {
  MAX_SACK_BITS,
  RECEIPT_CONTENT_TYPE,
  RECEIPT_VERSION,
  acknowledges,
  decodeReceipt,
  encodeReceipt,
  highestAcked,
  sackedSeqs,
  type Receipt,
} from './delivery/receipt.js';
export { receiptFromOpened, verifyReceipt, type VerifiedReceipt } from './delivery/verify.js';
export { ReceiptBuilder, type AcceptedRef, type ReceiptBuilderOptions, type ReceiptSealer } from './delivery/builder.js';
export { Outbox, type AckResult, type DeliveryState, type OutboxOptions } from './delivery/outbox.js';
export * from './session/index.js';
export * from './policy/index.js';
