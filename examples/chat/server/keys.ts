// The chat server's two long-lived keys, kept in the data directory (mode 0600) so a restart is
// the same server: its sealwire signing seed (pages pin its public key) and the JWT issuer key
// (tokens issued before the restart stay valid until they expire). Without a data directory the
// keys are made anew each start, as a throwaway server's should be.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair as joseKeyPair, importJWK, type CryptoKey as KeyLike, type JWK } from 'jose';
import { fromHex, generateKeyPair, toHex } from '../../../src/index.js';

export interface ServerKeys {
  readonly serverSeed: Uint8Array;
  readonly issuer: { readonly privateKey: KeyLike; readonly publicKey: KeyLike };
}

interface Stored {
  readonly serverSeed: string;
  readonly issuer: JWK;
}

async function fresh(): Promise<{ keys: ServerKeys; stored: Stored }> {
  const issuer = await joseKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const serverSeed = generateKeyPair().secretKey;
  return { keys: { serverSeed, issuer }, stored: { serverSeed: toHex(serverSeed), issuer: await exportJWK(issuer.privateKey) } };
}

export async function loadOrCreateServerKeys(dataDir: string | undefined): Promise<ServerKeys> {
  if (dataDir === undefined) return (await fresh()).keys;
  const file = join(dataDir, 'server-keys.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
    const privateKey = (await importJWK(stored.issuer, 'EdDSA')) as KeyLike;
    const { d: _d, ...publicJwk } = stored.issuer;
    const publicKey = (await importJWK(publicJwk, 'EdDSA')) as KeyLike;
    return { serverSeed: fromHex(stored.serverSeed), issuer: { privateKey, publicKey } };
  }
  const { keys, stored } = await fresh();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  chmodSync(file, 0o600);
  return keys;
}
