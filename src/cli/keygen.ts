// `sealwire keygen`: a fresh Ed25519 key pair as JSON, hex encoded.
import { writeFile } from 'node:fs/promises';
import { toHex } from '../bytes.js';
import { generateKeyPair, keyId } from '../keys/keys.js';

export interface KeyFile {
  readonly kid: string;
  readonly publicKey: string;
  readonly secretKey: string;
}

export function newKeyFile(): KeyFile {
  const { secretKey, publicKey } = generateKeyPair();
  return { kid: toHex(keyId(publicKey)), publicKey: toHex(publicKey), secretKey: toHex(secretKey) };
}

/**
 * Writes the key pair to `path`, created with mode 0600 and never over an existing file (flag
 * `wx`): a secret key silently replaced is a lost identity. Returns the public part, to print.
 */
export async function writeKeyFile(path: string, key: KeyFile): Promise<Omit<KeyFile, 'secretKey'>> {
  await writeFile(path, JSON.stringify(key, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return { kid: key.kid, publicKey: key.publicKey };
}
