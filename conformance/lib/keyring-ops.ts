// The driver's key-ring ops (conformance/README.md): keys added with their validity and identity,
// revoked by kid or by identity, removed. Deterministic: no op reads the clock.
import { ProtocolError } from '../../src/errors.js';
import type { KeyRing } from '../../src/keys/keyring.js';
import { RequestError, hex, optHex, optString, optUint, uint, type Answer, type Request } from './fields.js';

/** Adds one key of a `reset` or `keyring.add` request; throws the ring's ProtocolError on refusal. */
export function addKey(ring: KeyRing, k: Request): void {
  const publicKey = hex(k, 'publicKey');
  const kid = optHex(k, 'kid');
  const identity = optString(k, 'identity');
  const notBefore = optUint(k, 'notBefore');
  const notAfter = optUint(k, 'notAfter');
  const issuedAt = optUint(k, 'issuedAt');
  ring.add(publicKey, {
    ...(kid ? { kid } : {}),
    ...(identity !== undefined ? { identity } : {}),
    ...(notBefore !== undefined ? { notBefore } : {}),
    ...(notAfter !== undefined ? { notAfter } : {}),
    // Deterministic: without an explicit issuedAt the ring would read the clock.
    issuedAt: issuedAt ?? notBefore ?? 0,
  });
}

/** `keyring.add`, `keyring.revoke`, `keyring.remove`, `keyring.revokeIdentity` on `ring`. */
export function keyringOp(req: Request, ring: KeyRing): Answer {
  switch (req['op']) {
    case 'keyring.add':
      try {
        addKey(ring, req);
        return { ok: true };
      } catch (err) {
        if (err instanceof ProtocolError) return { ok: false, code: err.code };
        throw err;
      }
    case 'keyring.revoke':
      ring.revokeKey(hex(req, 'kid'));
      return { ok: true };
    case 'keyring.remove':
      ring.remove(hex(req, 'kid'));
      return { ok: true };
    case 'keyring.revokeIdentity': {
      const identity = optString(req, 'identity');
      if (identity === undefined) throw new RequestError('"identity" expected a string');
      ring.revokeIdentity(identity, uint(req, 'issuedBefore'));
      return { ok: true };
    }
    default:
      throw new RequestError(`unknown op: ${JSON.stringify(req['op'] ?? null)}`);
  }
}
