// Picks the fastest backend this runtime offers, once, and lets the application override it.
import type { Ed25519Backend } from './backend.js';
import { createNobleBackend } from './noble.js';
import { createNodeBackend, loadNodeCrypto } from './node.js';
import { createSodiumBackend, loadSodium } from './sodium.js';

let defaultBackend: Ed25519Backend | undefined;
const cache = new Map<string, Ed25519Backend>();

/**
 * The Ed25519 backend of that name: `'sodium'`, `'node'` or `'noble'`. All three give the same
 * verdicts; they differ in speed and in where they run.
 *
 * @throws {RangeError} for any other name; {Error} when the named backend cannot run here
 *   (sodium-native not installed, no node:crypto).
 * @example
 * ```ts
 * const key = importPublicKey(bytes, { backend: getBackend('noble') })
 * ```
 */
export function getBackend(name: string): Ed25519Backend {
  let b = cache.get(name);
  if (b) return b;
  if (name === 'sodium') b = createSodiumBackend();
  else if (name === 'node') b = createNodeBackend();
  else if (name === 'noble') b = createNobleBackend();
  else throw new RangeError(`"backend" expected 'sodium', 'node' or 'noble', got '${name}'`);
  cache.set(name, b);
  return b;
}

/**
 * The backend used when an API call names none: libsodium when the optional sodium-native package
 * is installed (about 2× node:crypto, same verdicts: test/unit/crypto/sodium.test.ts), else node:crypto where
 * the runtime has it, else @noble/ed25519.
 *
 * @example
 * ```ts
 * console.log(getDefaultBackend().name) // 'node', 'sodium' or 'noble'
 * ```
 */
export function getDefaultBackend(): Ed25519Backend {
  if (defaultBackend) return defaultBackend;
  const node = loadNodeCrypto() !== undefined;
  defaultBackend = node && loadSodium() ? getBackend('sodium') : node ? getBackend('node') : getBackend('noble');
  return defaultBackend;
}

/**
 * Overrides the automatic choice for every later call that names no backend.
 *
 * @throws {RangeError} for an unknown backend name; {Error} when the named backend cannot run here.
 * @example
 * ```ts
 * setDefaultBackend('noble') // pure JavaScript, same verdicts everywhere
 * ```
 */
export function setDefaultBackend(backend: Ed25519Backend | string): void {
  defaultBackend = typeof backend === 'string' ? getBackend(backend) : backend;
}
