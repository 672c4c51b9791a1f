// The Sig_structure of a COSE_Sign1 (RFC 9052 §4.4) written in one pass into a buffer of exactly
// the right size, or into a reused scratch buffer for synchronous verification. Profiling open()
// showed the general CBOR writer (grow, then copy out) at a third of the non-signature time and
// two payload copies per envelope (bench/RESULTS.md); this writes each byte once.
//
//   84                    array(4)
//   6A "Signature1"       text(10)
//   <bstr head> protected
//   <bstr head> external_aad
//   <bstr head> payload

const PREFIX = Uint8Array.of(0x84, 0x6a, 0x53, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65, 0x31);

function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1_0000_0000 ? 5 : 9;
}

// Major type 2 (byte string) head in preferred form (RFC 8949 §4.2.1). Lengths here are below 2^32:
// every member is a view into one envelope, itself bounded by maxEnvelopeSize.
function writeHead(out: Uint8Array, p: number, n: number): number {
  if (n < 24) {
    out[p] = 0x40 | n;
    return p + 1;
  }
  if (n < 0x100) {
    out[p] = 0x58;
    out[p + 1] = n;
    return p + 2;
  }
  if (n < 0x10000) {
    out[p] = 0x59;
    out[p + 1] = n >>> 8;
    out[p + 2] = n & 0xff;
    return p + 3;
  }
  if (n >= 0x1_0000_0000) throw new RangeError('Sig_structure member longer than 2^32 - 1 bytes');
  out[p] = 0x5a;
  out[p + 1] = n >>> 24;
  out[p + 2] = (n >>> 16) & 0xff;
  out[p + 3] = (n >>> 8) & 0xff;
  out[p + 4] = n & 0xff;
  return p + 5;
}

export function sigStructureLength(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): number {
  return (
    PREFIX.length +
    headLength(protectedBytes.length) +
    protectedBytes.length +
    headLength(externalAad.length) +
    externalAad.length +
    headLength(payload.length) +
    payload.length
  );
}

/** Writes the Sig_structure at the start of `out` (which must be long enough); returns its length. */
export function writeSigStructure(out: Uint8Array, protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): number {
  out.set(PREFIX, 0);
  let p = writeHead(out, PREFIX.length, protectedBytes.length);
  out.set(protectedBytes, p);
  p = writeHead(out, p + protectedBytes.length, externalAad.length);
  out.set(externalAad, p);
  p = writeHead(out, p + externalAad.length, payload.length);
  out.set(payload, p);
  return p + payload.length;
}

// Kept between calls up to this size; larger inputs get a buffer of their own each time.
const MAX_SCRATCH = 256 * 1024;
let scratch = new Uint8Array(1024);

/**
 * The Sig_structure in a shared scratch buffer: a view that is valid only until the next call.
 * For a verification that completes synchronously (every Ed25519Backend's `verify`); anything that
 * keeps the bytes past that, or hands them to another thread, must use `sigStructure()`.
 */
export function sigStructureScratch(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  const len = sigStructureLength(protectedBytes, externalAad, payload);
  let out = scratch;
  if (len > out.length) {
    let size = out.length;
    while (size < len) size *= 2;
    out = new Uint8Array(size);
    if (size <= MAX_SCRATCH) scratch = out;
  }
  writeSigStructure(out, protectedBytes, externalAad, payload);
  return out.subarray(0, len);
}
