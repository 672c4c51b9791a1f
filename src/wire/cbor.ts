// Deterministic CBOR (RFC 8949 §4.2.1) for the subset sealwire uses: integers, byte and text
// strings, arrays, maps, tags, false/true/null. The reader accepts exactly one encoding per value
// and names the first rule a byte sequence breaks (spec/envelope.md §5).
import { ProtocolError } from '../errors.js';
import { compareBytes, utf8Decoder, utf8Encoder } from '../bytes.js';

export type CborValue = number | bigint | string | Uint8Array | boolean | null | CborValue[] | CborMap | CborTag;

export type CborMap = Map<number | bigint | string, CborValue>;

export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

/** Nesting deeper than this is refused: no legitimate sealwire structure comes close. */
const MAX_DEPTH = 16;

/**
 * A cursor over one buffer. Every length is checked against the bytes that remain before anything
 * is sliced, so a hostile length can never make the reader allocate.
 */
export class CborReader {
  pos: number;
  readonly end: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Reads an initial byte and its argument; `ai === 31` is returned as `-1` (indefinite). */
  readHead(): { major: number; arg: number | bigint } {
    if (this.pos >= this.end) throw new ProtocolError('ERR_TRUNCATED', 'input ended inside a CBOR item');
    const ib = this.bytes[this.pos++]!;
    const major = ib >> 5;
    const ai = ib & 0x1f;
    if (ai < 24) return { major, arg: ai };
    if (ai === 31) {
      if (major === 2 || major === 3 || major === 4 || major === 5 || major === 7) {
        throw new ProtocolError('ERR_INDEFINITE_LENGTH', 'indefinite-length items are not allowed');
      }
      throw new ProtocolError('ERR_MALFORMED', 'reserved additional information value');
    }
    if (ai > 27) throw new ProtocolError('ERR_MALFORMED', 'reserved additional information value');
    // Major type 7 is decided by the initial byte alone (spec/envelope.md §5.2): floats (ai 25–27)
    // and one-byte simple values (ai 24) are refused before their argument bytes are read, so
    // their code never depends on the bit pattern of the value that follows.
    if (major === 7) throw unsupportedSimple();
    const size = 1 << (ai - 24);
    if (this.remaining < size) throw new ProtocolError('ERR_TRUNCATED', 'input ended inside a CBOR head');
    const b = this.bytes;
    const p = this.pos;
    this.pos += size;
    let arg: number | bigint;
    let min: number;
    if (size === 1) {
      arg = b[p]!;
      min = 24;
    } else if (size === 2) {
      arg = (b[p]! << 8) | b[p + 1]!;
      min = 0x100;
    } else if (size === 4) {
      arg = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      min = 0x10000;
    } else {
      const hi = ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      const lo = ((b[p + 4]! << 24) >>> 0) + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!);
      if (hi === 0) throw nonPreferred();
      arg = hi < 0x200000 ? hi * 0x1_0000_0000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
      return { major, arg };
    }
    if (arg < min) throw nonPreferred();
    return { major, arg };
  }

  /** A length argument, bounded by what the buffer can still hold. */
  readLength(arg: number | bigint, unitBytes: number): number {
    if (typeof arg === 'bigint' || arg * unitBytes > this.remaining) {
      throw new ProtocolError('ERR_TRUNCATED', 'declared length exceeds the input');
    }
    return arg;
  }

  readValue(depth = 0): CborValue {
    if (depth > MAX_DEPTH) throw new ProtocolError('ERR_MALFORMED', 'CBOR nesting too deep');
    const { major, arg } = this.readHead();
    switch (major) {
      case 0:
        return arg;
      case 1:
        return typeof arg === 'number' && arg < Number.MAX_SAFE_INTEGER ? -1 - arg : -1n - BigInt(arg);
      case 2: {
        const len = this.readLength(arg, 1);
        const out = this.bytes.subarray(this.pos, this.pos + len);
        this.pos += len;
        return out;
      }
      case 3: {
        const len = this.readLength(arg, 1);
        const start = this.pos;
        this.pos += len;
        // Short ASCII (room names, actions) needs no decoder: ASCII is UTF-8, byte for character.
        if (len <= 32) {
          const ascii = asciiString(this.bytes, start, this.pos);
          if (ascii !== undefined) return ascii;
        }
        const raw = this.bytes.subarray(start, this.pos);
        try {
          return utf8Decoder.decode(raw);
        } catch {
          throw new ProtocolError('ERR_MALFORMED', 'text string is not valid UTF-8');
        }
      }
      case 4: {
        const n = this.readLength(arg, 1);
        const out = new Array<CborValue>(n);
        for (let i = 0; i < n; i++) out[i] = this.readValue(depth + 1);
        return out;
      }
      case 5:
        return this.readMapBody(this.readLength(arg, 2), depth);
      case 6: {
        if (typeof arg !== 'number') throw new ProtocolError('ERR_MALFORMED', 'tag number out of range');
        return new CborTag(arg, this.readValue(depth + 1));
      }
      default:
        if (arg === 20) return false;
        if (arg === 21) return true;
        if (arg === 22) return null;
        throw unsupportedSimple();
    }
  }

  /** Map labels are integers or text; keys must ascend in encoded-byte order with no repeats. */
  readMapBody(count: number, depth: number): CborMap {
    const map: CborMap = new Map();
    let previous: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const keyStart = this.pos;
      const key = this.readValue(depth + 1);
      if (typeof key !== 'number' && typeof key !== 'bigint' && typeof key !== 'string') {
        throw new ProtocolError('ERR_MALFORMED', 'map labels must be integers or text strings');
      }
      const keyBytes = this.bytes.subarray(keyStart, this.pos);
      // Duplicates are reported as such even when they are not adjacent (spec/envelope.md §5.4).
      if (map.has(key)) {
        throw new ProtocolError('ERR_DUPLICATE_LABEL', 'duplicate map label');
      }
      if (previous !== undefined && compareBytes(previous, keyBytes) > 0) {
        throw new ProtocolError('ERR_MAP_ORDER', 'map labels are not in deterministic order');
      }
      previous = keyBytes;
      map.set(key, this.readValue(depth + 1));
    }
    return map;
  }
}

/**
 * The argument of the head at `b[p]` when it has major type `major`, is in preferred form, has at
 * most 4 argument bytes and ends by `limit`; else -1. For the byte-level readers of the common
 * envelope and message, which leave every other form (and its error) to the reader above.
 */
export function preferredArg(b: Uint8Array, p: number, limit: number, major: number): number {
  if (p >= limit) return -1;
  const ib = b[p]!;
  if (ib >> 5 !== major) return -1;
  const ai = ib & 0x1f;
  if (ai < 24) return ai;
  if (ai > 26 || p + 1 + (1 << (ai - 24)) > limit) return -1;
  if (ai === 24) return b[p + 1]! >= 24 ? b[p + 1]! : -1;
  if (ai === 25) {
    const v = (b[p + 1]! << 8) | b[p + 2]!;
    return v >= 0x100 ? v : -1;
  }
  const v = ((b[p + 1]! << 24) >>> 0) + ((b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!);
  return v >= 0x10000 ? v : -1;
}

/** Bytes taken by the head whose initial byte is `ib` (additional information below 28). */
export function headLength(ib: number): number {
  const ai = ib & 0x1f;
  return ai < 24 ? 1 : 1 + (1 << (ai - 24));
}

function asciiString(b: Uint8Array, start: number, end: number): string | undefined {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x80) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

// Floats, undefined and other simple values have no place in a sealwire structure.
function unsupportedSimple(): ProtocolError {
  return new ProtocolError('ERR_MALFORMED', 'unsupported CBOR simple value or float');
}

function nonPreferred(): ProtocolError {
  return new ProtocolError('ERR_NON_PREFERRED', 'integer or length not in its shortest form');
}

// --- writer -------------------------------------------------------------------------------------

/** Appends deterministic encodings to a growable buffer. */
export class CborWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  head(major: number, arg: number | bigint): this {
    if (typeof arg === 'bigint') {
      if (arg < 0n || arg > 0xffff_ffff_ffff_ffffn) throw new RangeError('CBOR argument out of range');
      if (arg <= BigInt(Number.MAX_SAFE_INTEGER)) return this.head(major, Number(arg));
      this.ensure(9);
      this.buf[this.len++] = (major << 5) | 27;
      for (let shift = 56n; shift >= 0n; shift -= 8n) this.buf[this.len++] = Number((arg >> shift) & 0xffn);
      return this;
    }
    if (!Number.isSafeInteger(arg) || arg < 0) throw new RangeError('CBOR argument out of range');
    const m = major << 5;
    this.ensure(9);
    const b = this.buf;
    if (arg < 24) b[this.len++] = m | arg;
    else if (arg < 0x100) {
      b[this.len++] = m | 24;
      b[this.len++] = arg;
    } else if (arg < 0x10000) {
      b[this.len++] = m | 25;
      b[this.len++] = arg >> 8;
      b[this.len++] = arg & 0xff;
    } else if (arg < 0x1_0000_0000) {
      b[this.len++] = m | 26;
      b[this.len++] = arg >>> 24;
      b[this.len++] = (arg >>> 16) & 0xff;
      b[this.len++] = (arg >>> 8) & 0xff;
      b[this.len++] = arg & 0xff;
    } else {
      const hi = Math.floor(arg / 0x1_0000_0000);
      const lo = arg >>> 0;
      b[this.len++] = m | 27;
      b[this.len++] = hi >>> 24;
      b[this.len++] = (hi >>> 16) & 0xff;
      b[this.len++] = (hi >>> 8) & 0xff;
      b[this.len++] = hi & 0xff;
      b[this.len++] = lo >>> 24;
      b[this.len++] = (lo >>> 16) & 0xff;
      b[this.len++] = (lo >>> 8) & 0xff;
      b[this.len++] = lo & 0xff;
    }
    return this;
  }

  int(value: number | bigint): this {
    if (typeof value === 'bigint') return value < 0n ? this.head(1, -1n - value) : this.head(0, value);
    return value < 0 ? this.head(1, -1 - value) : this.head(0, value);
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  bytes(value: Uint8Array): this {
    return this.head(2, value.length).raw(value);
  }

  text(value: string): this {
    const encoded = utf8Encoder.encode(value);
    return this.head(3, encoded.length).raw(encoded);
  }

  value(v: CborValue): this {
    if (typeof v === 'number' || typeof v === 'bigint') return this.int(v);
    if (typeof v === 'string') return this.text(v);
    if (v instanceof Uint8Array) return this.bytes(v);
    if (v === false) return this.raw(Uint8Array.of(0xf4));
    if (v === true) return this.raw(Uint8Array.of(0xf5));
    if (v === null) return this.raw(Uint8Array.of(0xf6));
    if (Array.isArray(v)) {
      this.head(4, v.length);
      for (const item of v) this.value(item);
      return this;
    }
    if (v instanceof CborTag) return this.head(6, v.tag).value(v.value);
    // Maps: sort by the deterministic encoding of each key (RFC 8949 §4.2.1).
    const entries = [...v.entries()].map(([k, val]) => [encodeCbor(k), val] as const);
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    for (let i = 1; i < entries.length; i++) {
      if (compareBytes(entries[i - 1]![0], entries[i]![0]) === 0) throw new RangeError('duplicate map key');
    }
    this.head(5, entries.length);
    for (const [k, val] of entries) this.raw(k).value(val);
    return this;
  }

  /** A copy of what was written: the internal buffer is reused and must never leak. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * One CBOR array with nothing after it, or undefined for anything else (an encoding fault, another
 * type, trailing bytes): for signed payloads where every such fault is one code.
 */
export function decodeWholeArray(bytes: Uint8Array): CborValue[] | undefined {
  try {
    const r = new CborReader(bytes);
    const v = r.readValue();
    return r.pos === r.end && Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function encodeCbor(value: CborValue): Uint8Array {
  return new CborWriter(64).value(value).finish();
}
