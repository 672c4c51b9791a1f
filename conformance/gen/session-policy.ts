// Server policy on a live server (spec/policy.md §1–§6) as step transcripts: token buckets with a
// small burst (no vector here advances the server clock, so no bucket refills), connection caps per identity and
// per address, the origin allow-list at admission, authorize refusals per action, and revocation.
// Close codes come from the table of spec/errors.md (CLOSE in sessions.ts).
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { PINNED, type Inputs } from './handshake.js';
import { hex, thumbprint } from './ref.js';
import { BOB, CLIENT, STREAM2, add, closes, openFails, data, join, leave, ok, openStep, reset, result, sendCloses, sendOk, sendTo, type B, type StepIn } from './sessions.js';

const fill = (byte: number, n = 32): Uint8Array => new Uint8Array(n).fill(byte);
/** A refusal at admission: the code only, no hello and no close code (no WebSocket exists yet). */
const refused = (code: string, s: StepIn): OpStep => ({ ...s, result: 'invalid', code });

export function sessionPolicy(): VectorFile {
  const b: B = new FileBuilder<StepsGroup>('sealwire-session-v1', 'steps_schema.json', [
    'Server policy on a live server (spec/policy.md), with the session ops of session_data.json.',
    'session.reset also takes `rateLimit` ({connection, identity}: {perSecond, burst} token buckets;',
    'they refill only as session.advance moves the clock), `maxConnectionsPerIdentity`,',
    '`maxConnectionsPerIp`, `origins` (the allow-list) and `refuse` (authorize refuses a request',
    'matching every member a rule gives: action, channel, identity). session.open takes',
    '`peerOrigin`/`peerAddress` (what the transport reported); a refusal at admission answers the',
    'code alone. session.revoke revokes a kid in the server\'s key ring and answers as session.advance.',
  ]);
  const g = b.group({ type: 'Steps' });
  const P = PINNED;
  const { step: open, sid } = openStep(P);
  // A second, fresh session of the same client key and identity (not a resume), on its own stream.
  const second: Inputs = { ...P, serverNonce: fill(0x12), clientNonce: fill(0x23) };
  const s2 = openStep(second);
  const onSecond = (seq: number, payload: Uint8Array) => data(s2.sid, seq, payload, { stream: STREAM2 });
  const rate = (connection?: { perSecond: number; burst: number }, identity?: { perSecond: number; burst: number }) =>
    reset(P, { policy: { rateLimit: { ...(connection ? { connection } : {}), ...(identity ? { identity } : {}) } } });
  const forged = (bytes: Uint8Array): Uint8Array => {
    const f = bytes.slice();
    f[f.length - 1]! ^= 0x01;
    return f;
  };

  // [POL-3.1], [POL-3.2] token buckets.
  add(b, g, 'connection bucket of burst 2: the third envelope closes the session with ERR_RATE_LIMITED', ['RateLimit'], ['polRateLimited'], [
    rate({ perSecond: 1, burst: 2 }), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    sendOk(data(sid, 1, sendTo('lobby', 'hi')), []),
    sendCloses('ERR_RATE_LIMITED', data(sid, 2, sendTo('lobby', 'one too many'))),
  ]);
  add(b, g, 'the identity bucket is shared by the identity\'s connections', ['RateLimit'], ['polRateLimited'], [
    rate(undefined, { perSecond: 1, burst: 2 }), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    s2.step,
    sendOk(onSecond(0, join('lobby')), [result(0, null)]),
    sendCloses('ERR_RATE_LIMITED', onSecond(1, sendTo('lobby', 'third for alice'))),
  ]);
  // [POL-3.1]: an envelope the connection bucket refuses still spends the identity's token.
  add(b, g, 'the connection bucket refuses, and the identity bucket is charged all the same: the identity\'s next connection finds it empty', ['RateLimit'], ['polRateLimited', 'polBuckets'], [
    rate({ perSecond: 1, burst: 1 }, { perSecond: 1, burst: 2 }), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    sendCloses('ERR_RATE_LIMITED', data(sid, 1, sendTo('lobby', 'one too many for the connection'))),
    s2.step,
    sendCloses('ERR_RATE_LIMITED', onSecond(0, join('lobby'))),
  ]);
  // [POL-1.2] charged before the signature: a forgery spends the identity's token.
  add(b, g, 'a forged envelope is charged before its signature is checked: the identity\'s next connection finds the bucket empty', ['RateLimit', 'Forged'], ['polChargeFirst', 'polRateLimited'], [
    rate(undefined, { perSecond: 1, burst: 1 }), open,
    sendCloses('ERR_BAD_SIGNATURE', forged(data(sid, 0, join('lobby')))),
    s2.step,
    sendCloses('ERR_RATE_LIMITED', onSecond(0, join('lobby'))),
  ]);
  // [POL-1.1] the order around the rate limit, with the connection bucket empty after one envelope.
  const empty = (comment: string, code: string, bytes: Uint8Array, refs: ('polOrder' | 'polChargeFirst')[] = ['polOrder']) =>
    add(b, g, `bucket empty: ${comment}`, ['RateLimit', 'CheckOrder'], refs, [
      rate({ perSecond: 1, burst: 1 }), open,
      sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
      sendCloses(code, bytes),
    ]);
  empty('a replay is ERR_REPLAY (the replay pre-check comes first)', 'ERR_REPLAY', data(sid, 0, join('lobby')));
  empty('another known key is ERR_SESSION_KEY (the session key comes first)', 'ERR_SESSION_KEY', data(sid, 1, join('lobby'), { by: BOB }));
  empty('another stream is ERR_WRONG_STREAM (the stream comes first)', 'ERR_WRONG_STREAM', data(sid, 1, join('lobby'), { stream: STREAM2 }));
  empty('beyond the acknowledgement range is ERR_RATE_LIMITED (the rate limit comes first)', 'ERR_RATE_LIMITED', data(sid, 1 + 1025, join('lobby')));
  empty('a forged envelope is ERR_RATE_LIMITED (the rate limit precedes the signature)', 'ERR_RATE_LIMITED', forged(data(sid, 1, join('lobby'))), ['polOrder', 'polChargeFirst']);

  // [POL-4.2] connection caps.
  const caps = (policy: Record<string, unknown>) => reset(P, { policy });
  add(b, g, 'per-identity cap 1: a second connection of the identity closes with ERR_TOO_MANY_CONNECTIONS', ['ConnectionCap'], ['polConnectionCap'], [
    caps({ maxConnectionsPerIdentity: 1 }), open,
    openFails('ERR_TOO_MANY_CONNECTIONS', second),
  ]);
  add(b, g, 'per-identity cap 1: a connection that ended makes room', ['ConnectionCap'], ['polConnectionCap'], [
    caps({ maxConnectionsPerIdentity: 1 }), open, ok({ op: 'session.drop' }), s2.step,
  ]);
  add(b, g, 'per-address cap 1: a second connection from the address is refused at admission', ['ConnectionCap'], ['polConnectionCap'], [
    caps({ maxConnectionsPerIp: 1 }),
    ok({ op: 'session.open', serverNonce: hex(P.serverNonce), peerAddress: '192.0.2.1' }),
    ok({ op: 'session.open', serverNonce: hex(second.serverNonce), peerAddress: '192.0.2.2' }),
    refused('ERR_TOO_MANY_CONNECTIONS', { op: 'session.open', serverNonce: hex(fill(0x13)), peerAddress: '192.0.2.1' }),
  ]);

  // [POL-5.1] the origin allow-list at admission, before any handshake work.
  const listed = reset(P, { policy: { origins: [P.origin] } });
  add(b, g, 'origin allow-list: a listed origin is admitted and the handshake completes', ['Origin'], ['polOriginList', 'hsOrigin'], [
    listed, openStep(P, undefined, [], { peerOrigin: P.origin }).step,
  ]);
  add(b, g, 'origin allow-list: an unlisted origin is refused at admission with ERR_ORIGIN', ['Origin'], ['polOriginList'], [
    listed, refused('ERR_ORIGIN', { op: 'session.open', serverNonce: hex(P.serverNonce), peerOrigin: 'https://evil.example' }),
  ]);
  add(b, g, 'origin allow-list: a connection without an Origin is refused at admission with ERR_ORIGIN', ['Origin'], ['polOriginList'], [
    listed, refused('ERR_ORIGIN', { op: 'session.open', serverNonce: hex(P.serverNonce) }),
  ]);

  // [POL-2.1], [POL-2.3] authorize per action, membership after a refusal.
  const refuse = (...rules: Record<string, string>[]) => reset(P, { policy: { refuse: rules } });
  add(b, g, 'a refused Join does not make the session a member: a Send to that room is ERR_NOT_JOINED', ['Authorization'], ['polNotJoined'], [
    refuse({ action: 'join', channel: 'vault' }), open,
    sendOk(data(sid, 0, join('vault')), [result(0, 'ERR_FORBIDDEN')]),
    sendOk(data(sid, 1, sendTo('vault', 'let me in')), [result(1, 'ERR_NOT_JOINED')]),
  ]);
  add(b, g, 'authorize is asked for every Send: a member\'s refused Send is ERR_FORBIDDEN and the session stays open', ['Authorization'], ['polAuthorize', 'errCloseOrDrop'], [
    refuse({ action: 'send', channel: 'lobby' }), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    sendOk(data(sid, 1, sendTo('lobby', 'hi')), [result(1, 'ERR_FORBIDDEN')]),
    sendOk(data(sid, 2, leave('lobby')), [result(2, null)]),
  ]);
  add(b, g, 'authorize is asked for every Leave', ['Authorization'], ['polAuthorize'], [
    refuse({ action: 'leave', channel: 'lobby' }), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    sendOk(data(sid, 1, leave('lobby')), [result(1, 'ERR_FORBIDDEN')]),
  ]);
  add(b, g, 'authorize is given the verified identity: a rule for alice refuses her Join, not another room\'s', ['Authorization'], ['polAuthorize'], [
    refuse({ identity: P.identity, channel: 'vault' }), open,
    sendOk(data(sid, 0, join('vault')), [result(0, 'ERR_FORBIDDEN')]),
    sendOk(data(sid, 1, join('lobby')), [result(1, null)]),
  ]);
  add(b, g, 'a rule for another identity does not refuse alice', ['Authorization'], ['polAuthorize'], [
    refuse({ identity: 'bob', channel: 'vault' }), open,
    sendOk(data(sid, 0, join('vault')), [result(0, null)]),
  ]);

  // [POL-6.1] revocation closes the key's sessions.
  add(b, g, 'revoking the session\'s key in the server\'s ring closes it with ERR_KEY_REVOKED', ['Revocation'], ['polRevokeCloses'], [
    reset(P), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    closes('ERR_KEY_REVOKED', { op: 'session.revoke', kid: hex(thumbprint(CLIENT.publicKey)) }),
  ]);
  add(b, g, 'revoking another key leaves the session open', ['Revocation'], ['polRevokeCloses'], [
    reset(P), open, ok({ op: 'session.revoke', kid: hex(thumbprint(BOB.publicKey)) }),
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
  ]);
  return b.build();
}
