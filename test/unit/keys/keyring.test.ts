// Key ring (issue 2, item 4; spec/envelope.md §7): validity windows against the envelope's ts,
// rotation with overlapping windows, permanent revocation of one key, revocation of every key of an
// identity issued before a cutoff (including keys added later), and revocation listeners.
import { describe, expect, it, vi } from 'vitest';
import { KeyRing, ProtocolError, importPublicKey, importSigningKey, open, seal } from '../../../src/index.js';
import type { ErrorCode, KeyEntry, SigningKey } from '../../../src/index.js';

const STREAM = new Uint8Array(16).fill(1);
let seed = 1;
function newSigner(): SigningKey {
  return importSigningKey(new Uint8Array(32).fill(seed++));
}
function sealAt(signer: SigningKey, ts: number): Uint8Array {
  return seal(signer, Uint8Array.of(ts & 0xff), { seq: ts, ts, stream: STREAM });
}
function outcome(ring: KeyRing, envelope: Uint8Array): ErrorCode | string {
  try {
    return `ok:${open(envelope, { keys: ring }).identity ?? '-'}`;
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}
function codeOfThrow(fn: () => unknown): ErrorCode | 'no throw' {
  try {
    fn();
    return 'no throw';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

describe('validity windows are checked against the envelope timestamp', () => {
  const alice = newSigner();
  const ring = new KeyRing();
  ring.add(alice.publicKey, { identity: 'alice', notBefore: 1000, notAfter: 2000 });

  it.each([
    [0, 'ERR_KEY_NOT_YET_VALID'],
    [999, 'ERR_KEY_NOT_YET_VALID'],
    [1000, 'ok:alice'],
    [1500, 'ok:alice'],
    [2000, 'ok:alice'],
    [2001, 'ERR_KEY_EXPIRED'],
    [Number.MAX_SAFE_INTEGER, 'ERR_KEY_EXPIRED'],
  ] as const)('ts=%i → %s', (ts, expected) => {
    expect(outcome(ring, sealAt(alice, ts))).toBe(expected);
  });

  it('the close codes are the documented ones', () => {
    expect(codeOfThrow(() => ring.resolve(alice.kid, 999))).toBe('ERR_KEY_NOT_YET_VALID');
    expect(new ProtocolError('ERR_KEY_NOT_YET_VALID', '').closeCode).toBe(4023);
    expect(new ProtocolError('ERR_KEY_EXPIRED', '').closeCode).toBe(4022);
  });

  it('an unknown kid is ERR_UNKNOWN_KEY, whatever the time', () => {
    expect(outcome(ring, sealAt(newSigner(), 1500))).toBe('ERR_UNKNOWN_KEY');
  });

  it('the window does not depend on the wall clock (an auditor can open old envelopes)', () => {
    vi.useFakeTimers({ now: 10_000_000 });
    try {
      expect(outcome(ring, sealAt(alice, 1500))).toBe('ok:alice');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('rotation with overlap', () => {
  const oldKey = newSigner();
  const newKey = newSigner();
  const ring = new KeyRing();
  ring.add(oldKey.publicKey, { identity: 'svc', notBefore: 0, notAfter: 2000 });
  ring.add(newKey.publicKey, { identity: 'svc', notBefore: 1500 });

  it('in the overlap both keys open their envelopes, for the same identity', () => {
    for (const ts of [1500, 1750, 2000]) {
      expect(outcome(ring, sealAt(oldKey, ts)), `old @${ts}`).toBe('ok:svc');
      expect(outcome(ring, sealAt(newKey, ts)), `new @${ts}`).toBe('ok:svc');
    }
  });

  it('before the overlap only the old key, after it only the new key', () => {
    expect(outcome(ring, sealAt(oldKey, 1499))).toBe('ok:svc');
    expect(outcome(ring, sealAt(newKey, 1499))).toBe('ERR_KEY_NOT_YET_VALID');
    expect(outcome(ring, sealAt(oldKey, 2001))).toBe('ERR_KEY_EXPIRED');
    expect(outcome(ring, sealAt(newKey, 2001))).toBe('ok:svc');
  });

  it('keysOf lists both', () => {
    expect(ring.keysOf('svc').length).toBe(2);
    expect(ring.size).toBe(2);
  });
});

describe('revokeKey', () => {
  it('refuses the key with ERR_KEY_REVOKED from then on, without touching the identity\'s other keys', () => {
    const a1 = newSigner();
    const a2 = newSigner();
    const ring = new KeyRing();
    ring.add(a1.publicKey, { identity: 'alice' });
    ring.add(a2.publicKey, { identity: 'alice' });
    const before = sealAt(a1, 100);
    expect(outcome(ring, before)).toBe('ok:alice');
    expect(ring.revokeKey(a1.kid)).toBe(true);
    // Even envelopes made before revocation: revocation means the key can no longer be trusted.
    expect(outcome(ring, before)).toBe('ERR_KEY_REVOKED');
    expect(outcome(ring, sealAt(a1, 200))).toBe('ERR_KEY_REVOKED');
    expect(outcome(ring, sealAt(a2, 200))).toBe('ok:alice');
    expect(ring.get(a1.kid)?.revoked).toBe(true);
  });

  it('revoked is checked before the window (spec/envelope.md [ENV-7.5])', () => {
    const a = newSigner();
    const ring = new KeyRing();
    ring.add(a.publicKey, { notBefore: 1000, notAfter: 2000 });
    ring.revokeKey(a.kid);
    expect(outcome(ring, sealAt(a, 1))).toBe('ERR_KEY_REVOKED');
    expect(outcome(ring, sealAt(a, 5000))).toBe('ERR_KEY_REVOKED');
  });

  it('is permanent: the same key cannot be added back, under any options', () => {
    const a = newSigner();
    const ring = new KeyRing();
    ring.add(a.publicKey, { identity: 'alice' });
    ring.revokeKey(a.kid);
    expect(ring.revokeKey(a.kid)).toBe(false); // already revoked
    expect(codeOfThrow(() => ring.add(a.publicKey, { identity: 'alice' }))).toBe('ERR_KEY_REVOKED');
    expect(codeOfThrow(() => ring.add(a.publicKey, { identity: 'someone-else', notBefore: 5 }))).toBe('ERR_KEY_REVOKED');
    expect(codeOfThrow(() => ring.add(importPublicKey(a.publicKey)))).toBe('ERR_KEY_REVOKED');
  });

  it('revoking a kid the ring has never seen still blocks it when added later', () => {
    const a = newSigner();
    const ring = new KeyRing();
    expect(ring.revokeKey(a.kid)).toBe(false);
    expect(codeOfThrow(() => ring.add(a.publicKey))).toBe('ERR_KEY_REVOKED');
  });
});

describe('remove (spec/envelope.md [ENV-7.8])', () => {
  it('makes the kid unknown at once, even right after the same kid was looked up, and lets it come back', () => {
    const a = newSigner();
    const b = newSigner();
    const ring = new KeyRing();
    ring.add(a.publicKey, { identity: 'alice' });
    ring.add(b.publicKey, { identity: 'bob' });
    expect(outcome(ring, sealAt(a, 100))).toBe('ok:alice'); // a is now the ring's cached last lookup
    expect(ring.remove(a.kid)).toBe(true);
    expect(ring.size).toBe(1);
    expect(ring.get(a.kid)).toBeUndefined();
    expect(outcome(ring, sealAt(a, 101))).toBe('ERR_UNKNOWN_KEY');
    expect(ring.keysOf('alice')).toEqual([]);
    expect(outcome(ring, sealAt(b, 101))).toBe('ok:bob');
    expect(ring.remove(a.kid)).toBe(false);
    ring.add(a.publicKey, { identity: 'alice' });
    expect(outcome(ring, sealAt(a, 102))).toBe('ok:alice');
  });

  it('does not undo a revocation', () => {
    const a = newSigner();
    const ring = new KeyRing();
    ring.add(a.publicKey);
    ring.revokeKey(a.kid);
    expect(ring.remove(a.kid)).toBe(true);
    expect(ring.isRevoked(a.kid)).toBe(true);
    expect(codeOfThrow(() => ring.add(a.publicKey))).toBe('ERR_KEY_REVOKED');
  });

  it('refuses a kid that is not bytes', () => {
    const ring = new KeyRing();
    expect(() => ring.remove('00' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('revokeIdentity(identity, issuedBefore)', () => {
  it('revokes the keys issued before the cutoff, keeps later ones and other identities', () => {
    const old1 = newSigner();
    const old2 = newSigner();
    const fresh = newSigner();
    const bob = newSigner();
    const ring = new KeyRing();
    ring.add(old1.publicKey, { identity: 'alice', issuedAt: 100 });
    ring.add(old2.publicKey, { identity: 'alice', notBefore: 200 }); // issuedAt defaults to notBefore
    ring.add(fresh.publicKey, { identity: 'alice', issuedAt: 500 });
    ring.add(bob.publicKey, { identity: 'bob', issuedAt: 100 });
    expect(ring.revokeIdentity('alice', 500)).toBe(2);
    expect(outcome(ring, sealAt(old1, 1000))).toBe('ERR_KEY_REVOKED');
    expect(outcome(ring, sealAt(old2, 1000))).toBe('ERR_KEY_REVOKED');
    expect(outcome(ring, sealAt(fresh, 1000))).toBe('ok:alice'); // issuedAt == cutoff is not "before"
    expect(outcome(ring, sealAt(bob, 1000))).toBe('ok:bob');
  });

  it('applies to keys added after the call', () => {
    const ring = new KeyRing();
    ring.revokeIdentity('carol', 1000);
    expect(codeOfThrow(() => ring.add(newSigner().publicKey, { identity: 'carol', issuedAt: 999 }))).toBe('ERR_KEY_REVOKED');
    expect(codeOfThrow(() => ring.add(newSigner().publicKey, { identity: 'carol', notBefore: 10 }))).toBe('ERR_KEY_REVOKED');
    const later = newSigner();
    ring.add(later.publicKey, { identity: 'carol', issuedAt: 1000 });
    expect(outcome(ring, sealAt(later, 2000))).toBe('ok:carol');
  });

  it('a later, earlier cutoff never un-revokes anything', () => {
    const ring = new KeyRing();
    ring.revokeIdentity('dave', 1000);
    ring.revokeIdentity('dave', 10);
    expect(codeOfThrow(() => ring.add(newSigner().publicKey, { identity: 'dave', issuedAt: 500 }))).toBe('ERR_KEY_REVOKED');
  });

  it('keys without an identity are never caught by it', () => {
    const anon = newSigner();
    const ring = new KeyRing();
    ring.add(anon.publicKey, { issuedAt: 1 });
    expect(ring.revokeIdentity('alice', 10_000)).toBe(0);
    expect(outcome(ring, sealAt(anon, 5))).toBe('ok:-');
  });
});

describe('onRevoke listeners', () => {
  it('are called synchronously, once per newly revoked key, with the revoked entry', () => {
    const ring = new KeyRing();
    const a = newSigner();
    const b = newSigner();
    const c = newSigner();
    ring.add(a.publicKey, { identity: 'alice', issuedAt: 1 });
    ring.add(b.publicKey, { identity: 'alice', issuedAt: 2 });
    ring.add(c.publicKey, { identity: 'alice', issuedAt: 3 });
    const seen: KeyEntry[] = [];
    ring.onRevoke((e) => seen.push(e));
    ring.revokeKey(a.kid);
    expect(seen.length).toBe(1);
    expect(seen[0]!.kid).toEqual(a.kid);
    expect(seen[0]!.revoked).toBe(true);
    ring.revokeKey(a.kid); // no second notification
    expect(ring.revokeIdentity('alice', 3)).toBe(1); // only b: a already revoked, c issued at the cutoff
    expect(seen.map((e) => e.kid)).toEqual([a.kid, b.kid]);
  });

  it('unsubscribe stops notifications; several listeners all hear each revocation', () => {
    const ring = new KeyRing();
    const k1 = newSigner();
    const k2 = newSigner();
    ring.add(k1.publicKey);
    ring.add(k2.publicKey);
    const l1 = vi.fn();
    const l2 = vi.fn();
    const off1 = ring.onRevoke(l1);
    ring.onRevoke(l2);
    ring.revokeKey(k1.kid);
    off1();
    ring.revokeKey(k2.kid);
    expect(l1).toHaveBeenCalledTimes(1);
    expect(l2).toHaveBeenCalledTimes(2);
  });

  it('a throwing listener cannot leave keys of a revoked identity trusted', () => {
    const ring = new KeyRing();
    const k1 = newSigner();
    const k2 = newSigner();
    ring.add(k1.publicKey, { identity: 'eve', issuedAt: 1 });
    ring.add(k2.publicKey, { identity: 'eve', issuedAt: 2 });
    const after = vi.fn();
    ring.onRevoke(() => {
      throw new Error('listener bug');
    });
    ring.onRevoke(after);
    expect(() => ring.revokeIdentity('eve', 100)).toThrow('listener bug');
    // Whatever a listener does, revocation itself is complete and every listener was told.
    expect(outcome(ring, sealAt(k1, 50))).toBe('ERR_KEY_REVOKED');
    expect(outcome(ring, sealAt(k2, 50))).toBe('ERR_KEY_REVOKED');
    expect(after).toHaveBeenCalledTimes(2);
  });
});

describe('add() argument checks', () => {
  it('refuses a duplicate kid with RangeError, notAfter < notBefore with RangeError, bad times with TypeError', () => {
    const ring = new KeyRing();
    const a = newSigner();
    ring.add(a.publicKey);
    expect(() => ring.add(a.publicKey)).toThrow(RangeError);
    expect(() => ring.add(newSigner().publicKey, { notBefore: 10, notAfter: 5 })).toThrow(RangeError);
    expect(() => ring.add(newSigner().publicKey, { notBefore: -1 })).toThrow(TypeError);
    expect(() => ring.add(newSigner().publicKey, { notAfter: 1.5 })).toThrow(TypeError);
    expect(() => ring.add(newSigner().publicKey, { issuedAt: Number.NaN })).toThrow(TypeError);
  });

  it('a custom kid is what envelopes must carry', () => {
    const kid = Uint8Array.of(1, 2, 3);
    const signer = importSigningKey(new Uint8Array(32).fill(99), { kid });
    const ring = new KeyRing();
    ring.add(signer.publicKey, { kid, identity: 'k' });
    expect(outcome(ring, sealAt(signer, 1))).toBe('ok:k');
    expect(outcome(ring, sealAt(importSigningKey(new Uint8Array(32).fill(99)), 1))).toBe('ERR_UNKNOWN_KEY');
  });
});

describe('only imported keys verify', () => {
  it('a hand-built PublicKey around the identity point is refused everywhere a key is taken', async () => {
    const { KeyRing: Ring, importPublicKey: imp, open: openEnv, getBackend: gb, isPublicKey: isPk, Receiver: Recv } = await import('../../../src/index.js');
    const { verifySign1: v1 } = await import('../../../src/protocol.js');
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const backend = gb('node');
    const fake = { bytes: identity, kid: new Uint8Array(32), backend, handle: backend.importPublicKey(identity) };
    expect(isPk(fake)).toBe(false);
    expect(isPk(imp(generateKeyPairForBrand()))).toBe(true);
    const env = new Uint8Array([0xd2]);
    expect(() => openEnv(env, { keys: fake as never })).toThrow(TypeError);
    expect(() => v1(env, fake as never)).toThrow(TypeError);
    expect(() => new Ring().add(fake as never)).toThrow(TypeError);
    expect(() => new Recv({ keys: fake as never })).toThrow(TypeError);
  });
});

function generateKeyPairForBrand(): Uint8Array {
  // Any valid key: RFC 8032 TEST 1.
  return Uint8Array.from(Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'));
}
