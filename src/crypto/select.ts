// Picks the fastest backend this runtime offers, once, and lets the application override it.
import type { Ed25519Backend } from './backend.js';
import { createNobleBackend } from './noble.js';
import { createNodeBackend, loadNodeCrypto } from './node.js';

let defaultBackend: Ed25519Backend | undefined;
const cache = new Map<string, Ed25519Backend>();

/** `'node'` or `'noble'`; throws when the named backend cannot run here. */
export function getBackend(name: string): Ed25519Backend {
  let b = cache.get(name);
  if (b) return b;
  if (name === 'node') b = createNodeBackend();
  else if (name === 'noble') b = createNobleBackend();
  else throw new RangeError(`"backend" expected 'node' or 'noble', got '${name}'`);
  cache.set(name, b);
  return b;
}

/**
 * The backend used when an API call names none: node:crypto where the runtime has Ed25519 in it,
 * @noble/ed25519 everywhere else.
 */
export function getDefaultBackend(): Ed25519Backend {
  if (defaultBackend) return defaultBackend;
  defaultBackend = loadNodeCrypto() ? getBackend('node') : getBackend('noble');
  return defaultBackend;
}

/** Overrides the automatic choice for every later call that names no backend. */
export function setDefaultBackend(backend: Ed25519Backend | string): void {
  defaultBackend = typeof backend === 'string' ? getBackend(backend) : backend;
}
