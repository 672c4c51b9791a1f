// The three handshake messages, their strict decoding, the transcript hash and the signature inputs
// (spec/handshake.md §1–§6). Pure functions of their inputs, so conformance vectors can pin bytes.
import { sha256 } from '../crypto/sha256.js';
import { ProtocolError } from '../errors.js';
import { CborReader, CborWriter, encodeCbor, type CborMap, type CborValue } from '../wire/cbor.js';

export const HANDSHAKE_VERSION = 1;
export const NONCE_LENGTH = 32;
const SESSION_ID_LENGTH = 32;
/** spec/handshake.md [HS-1.2] */
export const DEFAULT_MAX_HANDSHAKE_SIZE = 8192;

export const MSG_HELLO = 1;
export const MSG_AUTH = 2;
export const MSG_WELCOME = 3;

export const CB_NONE = 0;
export const CB_TLS_EXPORTER = 1;
/** RFC 9266 §2: the label of the tls-exporter channel binding. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
export const TLS_EXPORTER_LENGTH = 32;

export const LIMIT = { maxSkewMs: 1, maxMessageSize: 2, window: 3, handshakeTimeoutMs: 4 } as const;

export interface HelloLimits {
  readonly maxSkewMs: number;
  readonly maxMessageSize: number;
  readonly window: number;
  readonly handshakeTimeoutMs: number;
}

export interface Hello {
  readonly versions: readonly number[];
  readonly nonce: Uint8Array;
  readonly key: Uint8Array;
  readonly time: number;
  readonly limits: HelloLimits;
  /** A node set signed by the operator key (spec/nodes.md §3), when the server presents one. */
  readonly nodes?: Uint8Array;
}

export interface AuthBody {
  readonly version: number;
  readonly nonce: Uint8Array;
  readonly key: Uint8Array;
  readonly time: number;
  readonly origin: string;
  readonly cbType: typeof CB_NONE | typeof CB_TLS_EXPORTER;
  readonly cb: Uint8Array;
  readonly credential: Uint8Array | null;
  readonly resume: Uint8Array | null;
}

export interface WelcomeBody {
  readonly session: Uint8Array;
  readonly time: number;
  readonly identity: string;
  readonly roles: readonly string[];
  readonly expires: number | null;
}

/** A signed message as received: the body bytes exactly as they were hashed, and the signature. */
export interface SignedMessage<T> {
  readonly body: T;
  readonly bodyBytes: Uint8Array;
  readonly signature: Uint8Array;
}

// --- encoding -----------------------------------------------------------------------------------

export function encodeHello(h: Hello): Uint8Array {
  const limits: CborMap = new Map<number, CborValue>([
    [LIMIT.maxSkewMs, h.limits.maxSkewMs],
    [LIMIT.maxMessageSize, h.limits.maxMessageSize],
    [LIMIT.window, h.limits.window],
    [LIMIT.handshakeTimeoutMs, h.limits.handshakeTimeoutMs],
  ]);
  const members: CborValue[] = [MSG_HELLO, [...h.versions], h.nonce, h.key, h.time, limits];
  if (h.nodes !== undefined) members.push(h.nodes);
  return encodeCbor(members);
}

export function encodeAuthBody(b: AuthBody): Uint8Array {
  return encodeCbor([b.version, b.nonce, b.key, b.time, b.origin, b.cbType, b.cb, b.credential, b.resume]);
}

export function encodeWelcomeBody(b: WelcomeBody): Uint8Array {
  return encodeCbor([b.session, b.time, b.identity, [...b.roles], b.expires]);
}

export function encodeSigned(type: typeof MSG_AUTH | typeof MSG_WELCOME, bodyBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return new CborWriter(bodyBytes.length + 80).head(4, 3).int(type).bytes(bodyBytes).bytes(signature).finish();
}

// --- transcript and signature inputs (spec/handshake.md §3, §4, §6) -----------------------------

/** TH = SHA-256(CBOR(["sealwire/1 transcript", hello, body])); also the session id ([HS-3.2]). */
export function transcriptHash(helloBytes: Uint8Array, authBodyBytes: Uint8Array): Uint8Array {
  return sha256(encodeCbor(['sealwire/1 transcript', helloBytes, authBodyBytes]));
}

export function clientSignatureInput(th: Uint8Array): Uint8Array {
  return encodeCbor(['sealwire/1 client auth', th]);
}

export function serverSignatureInput(th: Uint8Array, welcomeBodyBytes: Uint8Array): Uint8Array {
  return encodeCbor(['sealwire/1 server welcome', th, welcomeBodyBytes]);
}

/** cb = SHA-256(CBOR(["sealwire/1 tls-exporter", E])) ([HS-4.2]). */
export function channelBindingHash(exporter: Uint8Array): Uint8Array {
  return sha256(encodeCbor(['sealwire/1 tls-exporter', exporter]));
}

// --- strict decoding ----------------------------------------------------------------------------

function malformed(what: string): ProtocolError {
  return new ProtocolError('ERR_HANDSHAKE_MALFORMED', `malformed handshake message: ${what}`);
}

/** Decodes one item with no trailing bytes; encoding errors keep their own codes ([HS-1.1]). */
function decodeExact(bytes: Uint8Array): CborValue {
  const r = new CborReader(bytes);
  const v = r.readValue();
  if (r.pos !== r.end) throw new ProtocolError('ERR_TRAILING_BYTES', 'bytes follow the handshake message');
  return v;
}

function arrayOf(v: CborValue, length: number, what: string): CborValue[] {
  if (!Array.isArray(v) || v.length !== length) throw malformed(`${what} must be an array of ${length}`);
  return v;
}

function bstr(v: CborValue | undefined, what: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) {
    throw malformed(length === undefined ? `${what} must be a byte string` : `${what} must be ${length} bytes`);
  }
  return v;
}

function ms(v: CborValue | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(`${what} must be an unsigned integer below 2^53`);
  return v;
}

function tstr(v: CborValue | undefined, what: string): string {
  if (typeof v !== 'string') throw malformed(`${what} must be a text string`);
  return v;
}

/** The message type of a handshake message, or undefined when it is not a handshake array. */
export function peekType(bytes: Uint8Array): number | undefined {
  // Handshake messages are arrays of 3 (auth, welcome) or 6 or 7 (hello) whose first member is 1..3.
  if (bytes.length < 2) return undefined;
  const b0 = bytes[0]!;
  if (b0 !== 0x83 && b0 !== 0x86 && b0 !== 0x87) return undefined;
  const t = bytes[1]!;
  return t >= 1 && t <= 3 ? t : undefined;
}

export function decodeHello(bytes: Uint8Array): Hello {
  // A seventh member is the node set of spec/nodes.md [NODE-3.1].
  const whole = decodeExact(bytes);
  const a = arrayOf(whole, Array.isArray(whole) && whole.length === 7 ? 7 : 6, 'ServerHello');
  if (a[0] !== MSG_HELLO) throw malformed('not a ServerHello');
  const versionsRaw = a[1];
  if (!Array.isArray(versionsRaw) || versionsRaw.length === 0 || versionsRaw.length > 16) {
    throw malformed('versions must be a non-empty array');
  }
  const versions: number[] = [];
  for (const v of versionsRaw) {
    const n = ms(v, 'version');
    if (versions.length > 0 && n <= versions[versions.length - 1]!) throw malformed('versions must ascend');
    versions.push(n);
  }
  const limitsRaw = a[5];
  if (!(limitsRaw instanceof Map)) throw malformed('limits must be a map');
  const limit = (label: number, name: string): number => {
    const v = limitsRaw.get(label);
    if (v === undefined) throw malformed(`limits.${name} missing`);
    return ms(v, `limits.${name}`);
  };
  for (const [k, v] of limitsRaw) {
    // Unknown labels are advisory and ignored ([HS-2.4]), but must still be uint => uint.
    if (typeof k !== 'number' || k < 0) throw malformed('limit labels must be unsigned integers');
    ms(v, 'limit');
  }
  return {
    versions,
    nonce: bstr(a[2], 'nonce', NONCE_LENGTH),
    key: bstr(a[3], 'key', 32),
    time: ms(a[4], 'time'),
    limits: {
      maxSkewMs: limit(LIMIT.maxSkewMs, 'max_skew_ms'),
      maxMessageSize: limit(LIMIT.maxMessageSize, 'max_message_size'),
      window: limit(LIMIT.window, 'window'),
      handshakeTimeoutMs: limit(LIMIT.handshakeTimeoutMs, 'handshake_timeout_ms'),
    },
    ...(a.length === 7 ? { nodes: bstr(a[6], 'nodes') } : {}),
  };
}

function decodeSignedOuter(bytes: Uint8Array, type: number, what: string): { bodyBytes: Uint8Array; signature: Uint8Array } {
  const a = arrayOf(decodeExact(bytes), 3, what);
  if (a[0] !== type) throw malformed(`not a ${what}`);
  return { bodyBytes: bstr(a[1], 'body'), signature: bstr(a[2], 'signature', 64) };
}

export function decodeAuth(bytes: Uint8Array): SignedMessage<AuthBody> {
  const { bodyBytes, signature } = decodeSignedOuter(bytes, MSG_AUTH, 'ClientAuth');
  const b = arrayOf(decodeExact(bodyBytes), 9, 'AuthBody');
  const cbType = b[5];
  if (cbType !== CB_NONE && cbType !== CB_TLS_EXPORTER) throw malformed('cb_type must be 0 or 1');
  const cb = bstr(b[6], 'cb', cbType === CB_NONE ? 0 : 32);
  const credential = b[7] === null ? null : bstr(b[7], 'credential');
  const resume = b[8] === null ? null : bstr(b[8], 'resume', SESSION_ID_LENGTH);
  const body: AuthBody = {
    version: ms(b[0], 'version'),
    nonce: bstr(b[1], 'nonce', NONCE_LENGTH),
    key: bstr(b[2], 'key', 32),
    time: ms(b[3], 'time'),
    origin: tstr(b[4], 'origin'),
    cbType,
    cb,
    credential,
    resume,
  };
  return { body, bodyBytes, signature };
}

export function decodeWelcome(bytes: Uint8Array): SignedMessage<WelcomeBody> {
  const { bodyBytes, signature } = decodeSignedOuter(bytes, MSG_WELCOME, 'Welcome');
  const b = arrayOf(decodeExact(bodyBytes), 5, 'WelcomeBody');
  const rolesRaw = b[3];
  if (!Array.isArray(rolesRaw)) throw malformed('roles must be an array');
  const body: WelcomeBody = {
    session: bstr(b[0], 'session', SESSION_ID_LENGTH),
    time: ms(b[1], 'time'),
    identity: tstr(b[2], 'identity'),
    roles: rolesRaw.map((r) => tstr(r, 'role')),
    expires: b[4] === null ? null : ms(b[4], 'expires'),
  };
  return { body, bodyBytes, signature };
}
