// sealwire/e2ee: end-to-end encrypted rooms (spec/e2ee.md, wire format EXPERIMENTAL). Portable:
// runs wherever the client session runs, browsers included.
export {
  encryptedRoom,
  E2eeRoom,
  type DecryptedMessage,
  type E2eeRefusal,
  type E2eeRoomEvents,
  type E2eeRoomOptions,
  type E2eeSession,
  type RoomDevice,
} from './room.js';
export { generateDeviceKey, signDeviceStatement, verifyDeviceStatement, DEVICE_AAD, type DeviceKey, type DeviceStatement } from './device.js';
export {
  sealDistribution,
  openDistribution,
  decodeDistribution,
  encodeDistribution,
  copyInfo,
  encodeKeyRequest,
  decodeKeyRequest,
  type KeyDistribution,
  type Copy,
  type Recipient,
  type OpenContext,
} from './distribution.js';
export { Chain, step, type MessageKey } from './chain.js';
export { encryptMessage, decryptMessage, decodeMessage, messageAad, type MessageContext, type DecodedMessage } from './encrypt0.js';
export {
  COSE_HPKE_DRAFT,
  DEVICE_CONTENT_TYPE,
  KEYS_CONTENT_TYPE,
  MESSAGE_CONTENT_TYPE,
  REQUEST_CONTENT_TYPE,
  MAX_SKIP,
  MAX_HELD,
  HOLD_MS,
  hpkeSuite,
} from './suite.js';
