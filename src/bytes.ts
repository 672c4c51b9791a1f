// Small byte helpers shared by every layer. Kept dependency-free so the core runs anywhere.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lower-case hex of `bytes`, for logs and key ids.
 *
 * @throws {TypeError} when `bytes` is not a Uint8Array.
 * @example
 * ```ts
 * toHex(new Uint8Array([0xca, 0xfe])) // 'cafe'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/**
 * The bytes of a hex string, either case.
 *
 * @throws {TypeError} when `hex` is not a string; {RangeError} for an odd length or a non-hex digit.
 * @example
 * ```ts
 * const publicKey = importPublicKey(fromHex(process.env.PEER_KEY!))
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError('"hex" expected string');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new RangeError(`"hex" expected an even number of hex digits, got length=${hex.length}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lexicographic byte order, as RFC 8949 §4.2.1 sorts map keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Rejects fakes (plain arrays, DataViews, objects with a length) before they reach a parser. */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`"${name}" expected Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`"${name}" expected Uint8Array of length ${length}, got length=${value.length}`);
  }
}

export function assertSafeUint(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`"${name}" expected a non-negative safe integer, got ${describe(value)}`);
  }
}

/**
 * The one payload rule of every sealing call: bytes as given, a string as its UTF-8 bytes,
 * anything else a TypeError naming `name`.
 */
export function payloadBytes(data: Uint8Array | string, name = 'payload'): Uint8Array {
  if (typeof data === 'string') return utf8Encoder.encode(data);
  assertBytes(data, name);
  return data;
}

/** Throws a RangeError naming `name` unless `value` is a safe integer in [min, max]: the one option check. */
export function assertInt(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`"${name}" expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Unpadded base64url (RFC 4648 §5), as JOSE writes keys and thumbprints. A table walk rather than
 * btoa plus three regex passes: every new key's kid goes through here (half the time).
 */
export function toBase64url(bytes: Uint8Array): string {
  const A = ALPHABET;
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += A[n >> 18]! + A[(n >> 12) & 63]! + A[(n >> 6) & 63]! + A[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out += A[n >> 18]! + A[(n >> 12) & 63]! + (rest === 2 ? A[(n >> 6) & 63]! : '');
  }
  return out;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** The bytes of unpadded base64url; a padded, standard-alphabet or truncated string is refused. */
export function fromBase64url(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('"text" expected string');
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw new RangeError('"text" expected unpadded base64url');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value === 'number' ? String(value) : typeof value;
}

export const utf8Encoder = new TextEncoder();
// fatal: a malformed UTF-8 string is an encoding error, not a string with replacement characters.
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}
