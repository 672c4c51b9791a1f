// The live mode's fixed test keys (the contract with a server or client under test): published
// seeds, so any implementation can load them. Test keys only; never use them anywhere else.
import { createHash } from 'node:crypto';
import { importPublicKey, importSigningKey, type PublicKey, type SigningKey } from '../../src/index.js';

/** seed = SHA-256("sealwire-live/" + name) */
export function liveSeed(name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`sealwire-live/${name}`).digest());
}

export const LIVE_IDENTITIES = ['alice', 'bob'] as const;
export type LiveIdentity = (typeof LIVE_IDENTITIES)[number];

export const liveServerKey = (): SigningKey => importSigningKey(liveSeed('server'));
export const liveServerPublic = (): PublicKey => importPublicKey(liveServerKey().publicKey);
export const liveClientKey = (id: LiveIdentity): SigningKey => importSigningKey(liveSeed(id));

/** The room every live check uses; the server under test must let both identities join and post. */
export const LIVE_ROOM = 'live';

/** The operator key of the live node-set checks (spec/nodes.md), and the service its sets name. */
export const liveOperatorKey = (): SigningKey => importSigningKey(liveSeed('operator'));
export const LIVE_SERVICE = 'live';
/** Another node of the service: our test server seals some room frames as this node would have relayed them. */
export const liveOtherNodeKey = (): SigningKey => importSigningKey(liveSeed('node-2'));
