// The one base64url codec and the one integer option check every layer shares.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assertInt, fromBase64url, toBase64url } from '../../src/bytes.js';
import { jwkThumbprint } from '../../src/index.js';

describe('base64url', () => {
  it('agrees with node:buffer both ways for every length 0 to 64, random bytes', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      const text = Buffer.from(bytes).toString('base64url');
      expect(toBase64url(bytes)).toBe(text);
      expect(fromBase64url(text)).toEqual(bytes);
    }
  });

  it('refuses padding, the standard alphabet, a truncated quantum and a non-string', () => {
    const text = Buffer.from([0xfb, 0xff, 0xbf, 0x01]).toString('base64url');
    expect(fromBase64url(text)).toEqual(new Uint8Array([0xfb, 0xff, 0xbf, 0x01]));
    for (const bad of [`${text}==`, Buffer.from([0xfb, 0xff]).toString('base64'), 'abcde']) {
      expect(() => fromBase64url(bad), bad).toThrow(RangeError);
    }
    expect(() => fromBase64url(42 as unknown as string)).toThrow(TypeError);
  });

  it('the thumbprint is the base64url of the RFC 7638 hash JOSE computes', async () => {
    const { calculateJwkThumbprint } = await import('jose');
    const publicKey = new Uint8Array(randomBytes(32));
    const x = Buffer.from(publicKey).toString('base64url');
    expect(jwkThumbprint(publicKey)).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256'));
  });
});

describe('assertInt', () => {
  it('passes integers at both bounds and refuses one past each, fractions, NaN, unsafe and non-numbers', () => {
    expect(() => assertInt(1, 'n', 1, 8)).not.toThrow();
    expect(() => assertInt(8, 'n', 1, 8)).not.toThrow();
    for (const bad of [0, 9, 1.5, Number.NaN, '4', undefined, null]) {
      expect(() => assertInt(bad, 'n', 1, 8), String(bad)).toThrow(RangeError);
    }
    expect(() => assertInt(2 ** 53, 'n', 1, 2 ** 60)).toThrow(RangeError);
    expect(() => assertInt(9, 'maxThings', 1, 8)).toThrow('"maxThings" expected an integer from 1 to 8, got 9');
  });
});
