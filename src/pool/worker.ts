// A verification worker: the strict rule of spec/verification.md, whole, on its own thread. Keys
// are imported here under the same rule K1–K4 as on the main thread (once per key, cached), and
// every signature goes through verifyStrict — a worker never trusts the sender of a batch more than
// open() would. Runs as a Node worker_thread or, unchanged, as a module Web Worker.
import { getBackend, getDefaultBackend } from '../crypto/select.js';
import { verifyStrict } from '../crypto/ed25519.js';
import { importPublicKey, type PublicKey } from '../keys/keys.js';
import { toHex } from '../bytes.js';
import type { Ed25519Backend } from '../crypto/backend.js';
import { WORKER_KIND, unpackBatch, type WorkerBatch, type WorkerResult, type WorkerConfig } from './protocol.js';

interface Port {
  postMessage(value: unknown, transfer: ArrayBuffer[]): void;
}

/** Imported keys; bounded so a stream of distinct keys cannot grow a worker without limit. */
const MAX_CACHED_KEYS = 4096;

export function createHandler(config: WorkerConfig, port: Port): (msg: WorkerBatch) => void {
  const backend: Ed25519Backend = config.backend === undefined ? getDefaultBackend() : getBackend(config.backend);
  const keys = new Map<string, PublicKey | null>();
  let lastKey: Uint8Array | undefined;
  let lastHandle: PublicKey | null = null;

  function keyFor(bytes: Uint8Array): PublicKey | null {
    if (lastKey !== undefined && sameBytes(lastKey, bytes)) return lastHandle;
    const id = toHex(bytes);
    let k = keys.get(id);
    if (k === undefined) {
      try {
        k = importPublicKey(bytes, { backend });
      } catch {
        k = null; // refused by the import rule: every signature under it is invalid
      }
      if (keys.size >= MAX_CACHED_KEYS) keys.clear();
      keys.set(id, k);
    }
    lastKey = bytes.slice();
    lastHandle = k;
    return k;
  }

  return (msg) => {
    const results = new Uint8Array(msg.count);
    try {
      unpackBatch(msg, (key, message, signature, i) => {
        const k = keyFor(key);
        results[i] = k !== null && verifyStrict(backend, k.handle, message, signature) ? 1 : 0;
      });
    } catch {
      results.fill(0); // a malformed batch verifies nothing
    }
    const reply: WorkerResult = { id: msg.id, results };
    port.postMessage(reply, [results.buffer]);
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Entry point: Node worker_threads when present, else a Web Worker's global scope.
const wt = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:worker_threads') as
  typeof import('node:worker_threads') | undefined;
if (wt?.parentPort && (wt.workerData as Partial<WorkerConfig> | undefined)?.kind === WORKER_KIND) {
  const port = wt.parentPort;
  const handle = createHandler(wt.workerData as WorkerConfig, port);
  port.on('message', (msg: WorkerBatch) => handle(msg));
} else if (wt === undefined && typeof (globalThis as { postMessage?: unknown }).postMessage === 'function') {
  const scope = globalThis as unknown as Port & { onmessage: ((e: { data: unknown }) => void) | null };
  let handle: ((msg: WorkerBatch) => void) | undefined;
  scope.onmessage = (e) => {
    if (handle !== undefined) handle(e.data as WorkerBatch);
    else if ((e.data as Partial<WorkerConfig> | null)?.kind === WORKER_KIND) handle = createHandler(e.data as WorkerConfig, scope);
  };
}
