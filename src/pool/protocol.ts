// The messages between a VerifyPool and its workers. Runtime-neutral (no `node:` import) so a Web
// Worker can speak it too. One batch is one transferable ArrayBuffer, so a postMessage costs the
// same for 1 or 64 requests and nothing is structured-cloned per request:
//
//   request i:  publicKey (32) || signature (64) || messageLength (u32 LE) || message
//
// The reply is one byte per request, in order: 1 = valid, 0 = not valid.

export const KEY_BYTES = 32;
export const SIG_BYTES = 64;
const RECORD_OVERHEAD = KEY_BYTES + SIG_BYTES + 4;

export const WORKER_KIND = 'sealwire-verify-pool';

/** Main thread → worker. */
export interface WorkerBatch {
  readonly id: number;
  readonly count: number;
  readonly buffer: ArrayBuffer;
}

/** Worker → main thread. `results` has one byte per request of batch `id`. */
export interface WorkerResult {
  readonly id: number;
  readonly results: Uint8Array;
}

/** What the worker is started with (workerData in Node, the first message in a browser). */
export interface WorkerConfig {
  /** Marks a thread started by a VerifyPool, so the worker module never attaches to another port. */
  readonly kind: typeof WORKER_KIND;
  /** Backend name for getBackend(); undefined = the worker's default (sodium → node → noble). */
  readonly backend: string | undefined;
}

export interface Request {
  readonly key: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

/** Bytes one request takes in a batch. */
export function recordLength(messageLength: number): number {
  return RECORD_OVERHEAD + messageLength;
}

/** Writes one request at `p` (the caller made room for {@link recordLength}); returns the end. */
export function writeRecord(bytes: Uint8Array, view: DataView, p: number, key: Uint8Array, signature: Uint8Array, message: Uint8Array): number {
  bytes.set(key, p);
  bytes.set(signature, p + KEY_BYTES);
  view.setUint32(p + KEY_BYTES + SIG_BYTES, message.length, true);
  bytes.set(message, p + RECORD_OVERHEAD);
  return p + RECORD_OVERHEAD + message.length;
}

/** Calls `each` with views into the batch; throws RangeError if the batch is malformed. */
export function unpackBatch(msg: WorkerBatch, each: (key: Uint8Array, message: Uint8Array, signature: Uint8Array, index: number) => void): void {
  const bytes = new Uint8Array(msg.buffer);
  const view = new DataView(msg.buffer);
  let p = 0;
  for (let i = 0; i < msg.count; i++) {
    if (p + RECORD_OVERHEAD > bytes.length) throw new RangeError('truncated verification batch');
    const key = bytes.subarray(p, p + KEY_BYTES);
    const signature = bytes.subarray(p + KEY_BYTES, p + KEY_BYTES + SIG_BYTES);
    const len = view.getUint32(p + KEY_BYTES + SIG_BYTES, true);
    p += RECORD_OVERHEAD;
    if (p + len > bytes.length) throw new RangeError('truncated verification batch');
    each(key, bytes.subarray(p, p + len), signature, i);
    p += len;
  }
  if (p !== bytes.length) throw new RangeError('trailing bytes in verification batch');
}
