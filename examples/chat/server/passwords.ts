// Password hashes: scrypt (RFC 7914) from node:crypto, compared in constant time.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const MAX_PASSWORD_LENGTH = 256;
// Policy: N=2^14, r=8, p=1 (~16 MiB, ~50 ms): OWASP's scrypt minimum is N=2^17 for production;
// the demo keeps start-up and tests fast. The parameters travel in the hash, so raising them
// later needs no migration.
const DEFAULT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url) for a new password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = DEFAULT_PARAMS;
  const key = await derive(password, salt, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function parse(stored: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((v) => Number.isSafeInteger(v) && v > 0) || N > 1 << 20 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 16 || key.length !== KEY_LENGTH) return undefined;
  return { N, r, p, salt, key };
}

// Verifying an unknown user's password against this costs the same as against a real hash, so
// the response time does not tell which user names exist.
const DUMMY = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** True when `password` matches `stored`; `stored` undefined (no such user) still costs one scrypt. */
export async function verifyPassword(password: unknown, stored: string | undefined): Promise<boolean> {
  const params = parse(stored ?? DUMMY);
  if (params === undefined) throw new RangeError('"stored" is not a scrypt$N$r$p$salt$hash string');
  const candidate = typeof password === 'string' && password.length <= MAX_PASSWORD_LENGTH ? password : '';
  const key = await derive(candidate, params.salt, params.N, params.r, params.p);
  const equal = timingSafeEqual(key, params.key);
  return equal && stored !== undefined && typeof password === 'string' && password.length > 0 && password.length <= MAX_PASSWORD_LENGTH;
}
