// Session-binding vectors (spec/handshake.md [HS-6.3]): data-phase envelopes of the pinned
// handshake's session, opened under its own binding and under every other one.
import type { OpenGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import type { Bytes } from './cbor.js';
import { Signer } from './envelope.js';
import { PINNED, fill, transcript } from './handshake.js';
import { cat, enc, hex, seed } from './ref.js';
import { refs } from './refs.js';

export function sessionBinding(): VectorFile {
  const b = new FileBuilder<OpenGroup>('sealwire-session-binding-v1', 'envelope_open_schema.json', [
    'Data-phase envelopes of the pinned session (spec/handshake.md [HS-6.3]): external_aad binds',
    'session id || direction, 0x01 client->server, 0x02 server->client. The binding a receiver',
    'presents is its own session id and the direction it receives: opened anywhere else, the',
    'signature fails. Driver op: {"op":"open","publicKey","envelope","binding"}.',
  ]);
  const sid = transcript(PINNED).th;
  const other = transcript({ ...PINNED, clientNonce: fill(0x23) }).th;
  const bind = (id: Bytes, dir: number) => cat(id, Uint8Array.of(dir));
  const stream = seed('session binding stream').subarray(0, 16);
  for (const [who, s, dir] of [['client', PINNED.clientSeed, 1], ['server', PINNED.serverSeed, 2]] as const) {
    const signer = new Signer(s);
    const g = b.group({ type: 'EnvelopeOpen', publicKey: hex(signer.publicKey) });
    const payload = enc.encode(`${who} data`);
    const sealed = signer.seal({ seq: 0, ts: PINNED.clientTime, stream, ct: 60 }, payload, undefined, bind(sid, dir)).envelope;
    const base = { envelope: hex(sealed), flags: ['SessionBinding'], specRefs: refs('hsDataBinding', 'envBinding') };
    b.add(g, { ...base, comment: `${who}->peer envelope in its own session and direction`, binding: hex(bind(sid, dir)), result: 'valid', payload: hex(payload), seq: 0, ts: PINNED.clientTime, stream: hex(stream), kid: hex(signer.kid), contentType: 60 });
    b.add(g, { ...base, comment: `${who} envelope reflected back to its sender (direction 0x0${3 - dir})`, binding: hex(bind(sid, 3 - dir)), result: 'invalid', code: 'ERR_BAD_SIGNATURE' });
    b.add(g, { ...base, comment: `${who} envelope replayed into another session (same direction)`, binding: hex(bind(other, dir)), result: 'invalid', code: 'ERR_BAD_SIGNATURE' });
    b.add(g, { ...base, comment: `${who} envelope opened without the session binding`, result: 'invalid', code: 'ERR_BAD_SIGNATURE' });
    // [HS-1.5]: the peer's key is known only under its RFC 7638 thumbprint; any other kid is unknown.
    const ownKid = signer.seal({ seq: 0, ts: PINNED.clientTime, stream, ct: 60, kid: seed(`${who} custom kid`).subarray(0, 16) }, payload, undefined, bind(sid, dir)).envelope;
    b.add(g, { envelope: hex(ownKid), flags: ['SessionBinding'], specRefs: refs('hsDefaultKid'), comment: `${who} envelope correctly signed but under a kid other than the key's thumbprint`, binding: hex(bind(sid, dir)), result: 'invalid', code: 'ERR_UNKNOWN_KEY' });
  }
  return b.build();
}

