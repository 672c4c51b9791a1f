// Frames on a byte stream: a 1-byte type, a 4-byte big-endian length, then that many bytes.
// Type 0 carries one sealwire message; type 1 ends the session with a close code (2 bytes, big
// endian) and a short UTF-8 reason. A length over the cap is refused from the header alone, before
// anything is buffered for it ([POL-1.1]).

export const FRAME_MESSAGE = 0;
export const FRAME_CLOSE = 1;
const HEADER = 5;
const MAX_REASON = 123;

/** One message frame around `payload`. */
export function messageFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  out[0] = FRAME_MESSAGE;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, HEADER);
  return out;
}

/** The close frame for `code` and `reason` (cut to 123 bytes, as a WebSocket close reason). */
export function closeFrame(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, MAX_REASON);
  const out = new Uint8Array(HEADER + 2 + text.length);
  const view = new DataView(out.buffer);
  out[0] = FRAME_CLOSE;
  view.setUint32(1, 2 + text.length);
  view.setUint16(HEADER, code);
  out.set(text, HEADER + 2);
  return out;
}

export interface FrameSink {
  message(payload: Uint8Array): void;
  close(code: number, reason: string): void;
  /** The stream broke the framing (unknown type, oversized length, malformed close): end it. */
  invalid(reason: 'too-large' | 'malformed'): void;
}

/** Cuts a byte stream into frames; holds at most one frame of `maxMessageSize` bytes. */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #failed = false;

  constructor(
    private readonly maxMessageSize: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.#failed) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (!this.#failed && this.#buffered >= HEADER) {
      const head = this.#peek(HEADER);
      const type = head[0]!;
      const length = new DataView(head.buffer, head.byteOffset, HEADER).getUint32(1);
      if (type !== FRAME_MESSAGE && type !== FRAME_CLOSE) return this.#fail('malformed');
      if (type === FRAME_MESSAGE && length > this.maxMessageSize) return this.#fail('too-large');
      if (type === FRAME_CLOSE && (length < 2 || length > 2 + MAX_REASON)) return this.#fail('malformed');
      if (this.#buffered < HEADER + length) return;
      const frame = this.#take(HEADER + length).subarray(HEADER);
      if (type === FRAME_MESSAGE) {
        this.sink.message(frame);
      } else {
        const code = new DataView(frame.buffer, frame.byteOffset, 2).getUint16(0);
        this.sink.close(code, new TextDecoder().decode(frame.subarray(2)));
      }
    }
  }

  #fail(reason: 'too-large' | 'malformed'): void {
    this.#failed = true;
    this.#chunks = [];
    this.#buffered = 0;
    this.sink.invalid(reason);
  }

  #peek(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return this.#join().subarray(0, n);
  }

  /** Removes and returns the next `n` bytes, as one owned array. */
  #take(n: number): Uint8Array {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : this.#join();
    const out = all.slice(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered -= n;
    return out;
  }

  #join(): Uint8Array {
    const all = new Uint8Array(this.#buffered);
    let p = 0;
    for (const c of this.#chunks) {
      all.set(c, p);
      p += c.length;
    }
    this.#chunks = [all];
    return all;
  }
}
