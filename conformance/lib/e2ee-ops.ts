// The driver's encrypted-room ops (conformance/README.md, spec/e2ee.md): each stateless, each
// answering what sealwire/e2ee computes or the code it refuses with.
import { equalBytes, toHex } from '../../src/bytes.js';
import { ProtocolError } from '../../src/errors.js';
import { importPublicKey } from '../../src/keys/keys.js';
import { Chain, step } from '../../src/e2ee/chain.js';
import { verifyDeviceStatement } from '../../src/e2ee/device.js';
import { openDistribution } from '../../src/e2ee/distribution.js';
import { decodeMessage, decryptMessage, messageAad, type MessageContext } from '../../src/e2ee/encrypt0.js';
import { hpkeSuite } from '../../src/e2ee/suite.js';
import { RequestError, hex, optHex, string, uint, type Answer, type Request } from './fields.js';
import type { E2eeMemberOps } from './e2ee-member-ops.js';

const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer;

function context(req: Request): MessageContext {
  return { room: string(req, 'room'), epoch: hex(req, 'epoch', 16), author: hex(req, 'author'), stream: hex(req, 'stream', 16), seq: uint(req, 'seq') };
}

/** RFC 9180 single-shot: with `pt`, SealBase with the ephemeral key derived from `ikmE`; else OpenBase. */
export async function e2eeHpke(req: Request): Promise<Answer> {
  const suite = hpkeSuite();
  const r = await suite.kem.deriveKeyPair(buf(hex(req, 'ikmR')));
  const info = hex(req, 'info');
  const aad = hex(req, 'aad');
  const pt = optHex(req, 'pt');
  if (pt !== undefined) {
    const e = await suite.kem.deriveKeyPair(buf(hex(req, 'ikmE')));
    const s = await suite.seal({ recipientPublicKey: r.publicKey, info, ekm: e }, pt, aad);
    const pkRm = new Uint8Array(await suite.kem.serializePublicKey(r.publicKey));
    return { ok: true, pkRm: toHex(pkRm), enc: toHex(new Uint8Array(s.enc)), ct: toHex(new Uint8Array(s.ct)) };
  }
  try {
    const out = await suite.open({ recipientKey: r.privateKey, enc: hex(req, 'enc', 32), info }, hex(req, 'ct'), aad);
    return { ok: true, pt: toHex(new Uint8Array(out)) };
  } catch {
    throw new ProtocolError('ERR_E2EE_DECRYPT', 'decryption failed');
  }
}

export function e2eeChain(req: Request): Answer {
  const index = uint(req, 'index');
  let ck = hex(req, 'chainKey', 32);
  for (let i = 0; i < index; i++) ck = step(ck).next;
  const s = step(ck);
  return { ok: true, key: toHex(s.message.key), nonce: toHex(s.message.nonce), next: toHex(s.next) };
}

export function e2eeAad(req: Request): Answer {
  return { ok: true, externalAad: toHex(messageAad(context(req))) };
}

/** A message under a fresh receiver chain from `chainKey`, with its checks in order. */
export function e2eeDecrypt(req: Request): Answer {
  const c = context(req);
  const chain = new Chain(hex(req, 'chainKey', 32));
  const d = decodeMessage(hex(req, 'message'));
  return { ok: true, plaintext: toHex(decryptMessage(d, chain.take(d.index), c)) };
}

export async function e2eeKeys(req: Request): Promise<Answer> {
  const seen = req['seen'];
  if (!Array.isArray(seen) || !seen.every((s) => typeof s === 'string')) throw new RequestError('"seen" expected an array of hex strings');
  const seenBytes = seen.map((s) => hex({ s }, 's'));
  const device = await hpkeSuite().kem.deriveKeyPair(buf(hex(req, 'deviceSeed', 32)));
  const opened = await openDistribution(hex(req, 'distribution'), {
    room: string(req, 'room'),
    epoch: hex(req, 'epoch', 16),
    sender: hex(req, 'sender'),
    me: hex(req, 'me'),
    privateKey: device.privateKey,
    seen: (chain) => seenBytes.some((s) => equalBytes(s, chain)),
  });
  return { ok: true, chain: toHex(opened.chain), chainKey: opened.chainKey === undefined ? null : toHex(opened.chainKey) };
}

export function e2eeDevice(req: Request): Answer {
  const s = verifyDeviceStatement(hex(req, 'statement'), importPublicKey(hex(req, 'publicKey', 32)), 1024);
  return { ok: true, x25519: toHex(s.x25519) };
}

export const E2EE_OPS: ReadonlySet<string> = new Set(
  ['hpke', 'chain', 'aad', 'decrypt', 'keys', 'device', 'member.reset', 'member.receive', 'member.send'].map((o) => `e2ee.${o}`),
);

/** Every `e2ee.*` op: the stateless ones here, the member's on `member`. */
export function e2eeOp(req: Request, member: E2eeMemberOps): Answer | Promise<Answer> {
  switch (req['op']) {
    case 'e2ee.hpke':
      return e2eeHpke(req);
    case 'e2ee.chain':
      return e2eeChain(req);
    case 'e2ee.aad':
      return e2eeAad(req);
    case 'e2ee.decrypt':
      return e2eeDecrypt(req);
    case 'e2ee.keys':
      return e2eeKeys(req);
    case 'e2ee.device':
      return e2eeDevice(req);
    case 'e2ee.member.reset':
      return member.reset(req);
    case 'e2ee.member.receive':
      return member.receive(req);
    case 'e2ee.member.send':
      return member.send(req);
    default:
      throw new RequestError(`unknown op: ${JSON.stringify(req['op'] ?? null)}`);
  }
}
