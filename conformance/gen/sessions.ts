// Live-session vectors (spec/handshake.md §3.6, §5, §6–§8): the pinned handshake of §10 on a real
// server, then client envelopes in the data phase, time passing, JWT credentials and resume, as step
// transcripts. Every client message is rebuilt with the reference signer and the generator's CBOR.
import { createHash } from 'node:crypto';
import type { OpStep, StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { arr, bstr, NULL, tstr, uint, type Bytes } from './cbor.js';
import { Signer } from './envelope.js';
import { PINNED, authBody, transcript, type Inputs } from './handshake.js';
import { cat, enc, hex, publicKeyOf, seed, signRef, thumbprint } from './ref.js';
import { refs, type RefName } from './refs.js';

const fill = (byte: number, n = 32): Bytes => new Uint8Array(n).fill(byte);
const sha256 = (b: Bytes): Bytes => new Uint8Array(createHash('sha256').update(b).digest());
const b64u = (b: Bytes | string): string => Buffer.from(b).toString('base64url');

// Close codes of spec/errors.md, restated.
export const CLOSE: Record<string, number> = {
  ERR_UNKNOWN_KEY: 4020,
  ERR_BAD_SIGNATURE: 4025,
  ERR_REPLAY: 4030,
  ERR_HANDSHAKE_TIMEOUT: 4041,
  ERR_CREDENTIAL_EXPIRED: 4045,
  ERR_CREDENTIAL_KEY_MISMATCH: 4046,
  ERR_UNAUTHENTICATED: 4044,
  ERR_SESSION_KEY: 4047,
  ERR_UNEXPECTED_MESSAGE: 4048,
  ERR_MESSAGE_MALFORMED: 4050,
  ERR_WRONG_STREAM: 4052,
  ERR_ACK_RANGE: 4096,
  ERR_KEY_REVOKED: 4021,
  ERR_RATE_LIMITED: 4072,
  ERR_TOO_MANY_CONNECTIONS: 4073,
  ERR_RESUME_REFUSED: 4097,
};

export const CLIENT = new Signer(PINNED.clientSeed);
export const BOB = new Signer(seed('session other known client'));
const STRANGER = new Signer(seed('session unknown key'));
export const BOB_TOKEN = enc.encode('bob token');
export const STREAM = seed('session client data stream').subarray(0, 16);
export const STREAM2 = seed('session client second stream').subarray(0, 16);
export const T = PINNED.serverTime;

// spec/handshake.md §8 messages.
export const join = (room: string): Bytes => arr(uint(1), tstr(room));
export const leave = (room: string): Bytes => arr(uint(2), tstr(room));
export const sendTo = (room: string, data: string): Bytes => arr(uint(3), tstr(room), bstr(enc.encode(data)));
export const result = (refSeq: number, code: string | null): string => hex(arr(uint(17), uint(refSeq), code === null ? NULL : tstr(code)));

/** A client data envelope of session `sid` (direction 0x01, content type 60). */
export function data(sid: Bytes, seq: number, payload: Bytes, o: { by?: Signer; stream?: Bytes; ct?: number | string } = {}): Bytes {
  return (o.by ?? CLIENT).seal({ seq, ts: T, stream: o.stream ?? STREAM, ct: o.ct ?? 60 }, payload, undefined, cat(sid, Uint8Array.of(0x01))).envelope;
}

// [HS-5.2]: JWT credentials, minted here (EdDSA over the JWS signing input).
const ISSUER_SEED = seed('session jwt issuer');
export const JWT_OPTS = { issuerKey: publicKeyOf(ISSUER_SEED), issuer: 'https://auth.example', audience: 'chat' };
/** Claims the JWT hook accepts for the pinned client key, expiring at `exp` (seconds). */
export const jwtClaims = (exp: number): Record<string, unknown> => ({
  iss: JWT_OPTS.issuer,
  aud: JWT_OPTS.audience,
  sub: 'alice',
  exp,
  cnf: { jkt: b64u(thumbprint(publicKeyOf(PINNED.clientSeed))) },
  roles: ['user'],
});
export function jwtToken(claims: Record<string, unknown>, signer = ISSUER_SEED): Bytes {
  const input = `${b64u(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}`;
  return enc.encode(`${input}.${b64u(signRef(signer, enc.encode(input)))}`);
}

export type B = FileBuilder<StepsGroup>;
export type StepIn = { op: string; comment?: string; expect?: Record<string, unknown>; [field: string]: unknown };
export const ok = (s: StepIn): OpStep => ({ ...s, result: 'valid' });
export const closes = (code: string, s: StepIn): OpStep => ({ ...s, result: 'invalid', code, expect: { closeCode: CLOSE[code]! } });

export function add(b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], steps: OpStep[]): void {
  const last = steps[steps.length - 1]!;
  // A session ended with a code: its close code is the table's ([ERR-1.5]) and a close-row code
  // closes ([ERR-1.6]). A drop-row refusal (a Result, a resent duplicate) is cited by its test.
  const closed = steps.some((s) => s.expect !== undefined && 'closeCode' in s.expect);
  const cite = closed ? [...r, 'errCloseCode', 'errCloseOrDrop'].filter((x, i, l) => l.indexOf(x) === i) as RefName[] : r;
  b.add(g, { comment, flags, specRefs: refs(...cite), steps, result: last.result, ...(last.code !== undefined ? { code: last.code } : {}) });
}

export function reset(i: Inputs, o: { jwt?: { issuerKey: Bytes; issuer: string; audience: string }; forbidden?: string[]; policy?: Record<string, unknown> } = {}): OpStep {
  return ok({
    op: 'session.reset',
    serverSeed: hex(i.serverSeed),
    serverTime: i.serverTime,
    limits: { ...i.limits },
    exporter: i.exporter === null ? null : hex(i.exporter),
    keys: [{ publicKey: hex(BOB.publicKey), identity: 'bob' }],
    ...(o.jwt
      ? { jwt: { issuerKey: hex(o.jwt.issuerKey), issuer: o.jwt.issuer, audience: o.jwt.audience } }
      : {
          accounts: [
            { credential: i.credential === null ? null : hex(i.credential), identity: i.identity, roles: [...i.roles], ...(i.expires !== null ? { expires: i.expires } : {}) },
            { credential: hex(BOB_TOKEN), identity: 'bob', roles: [] },
          ],
        }),
    ...(o.forbidden ? { forbidden: o.forbidden } : {}),
    ...o.policy,
  });
}

/** session.open with the ClientAuth of `i` (optionally resuming `resume`); answers the session id. */
export function openStep(i: Inputs, resume?: Bytes, sent: string[] = [], peer: { peerOrigin?: string; peerAddress?: string } = {}): { step: OpStep; sid: Bytes } {
  const t = transcript(i, resume === undefined ? {} : { body: authBody(i, { resume }) });
  return { sid: t.th, step: ok({ op: 'session.open', serverNonce: hex(i.serverNonce), clientAuth: hex(t.clientAuth), ...peer, expect: { sessionId: hex(t.th), sent } }) };
}
export function openFails(code: string, i: Inputs, resume?: Bytes): OpStep {
  const t = transcript(i, resume === undefined ? {} : { body: authBody(i, { resume }) });
  return closes(code, { op: 'session.open', serverNonce: hex(i.serverNonce), clientAuth: hex(t.clientAuth) });
}
export const sendOk = (bytes: Bytes, sent: string[], comment?: string): OpStep => ok({ op: 'session.send', envelope: hex(bytes), expect: { sent }, ...(comment ? { comment } : {}) });
export const sendCloses = (code: string, bytes: Bytes, comment?: string): OpStep => closes(code, { op: 'session.send', envelope: hex(bytes), ...(comment ? { comment } : {}) });

export function sessionData(): VectorFile {
  const b = new FileBuilder<StepsGroup>('sealwire-session-v1', 'steps_schema.json', [
    'Live sessions on a real server (spec/handshake.md). session.reset starts a server with the',
    'handshake.server fields (accounts as the authenticate hook, or `jwt` {issuerKey, issuer,',
    'audience} for a JWT verifier per [HS-5.2]; `forbidden` rooms refused by authorize); session.open',
    'accepts a connection with `serverNonce` and presents `clientAuth` (answering sessionId, or the',
    'code and closeCode); session.send presents a client data envelope and answers `sent` (payloads',
    'of the application messages the server sent back, receipts left out) or the code and closeCode',
    'the session ended with; session.advance moves the server clock (which starts at serverTime) by',
    'exactly `ms` of virtual time, firing the timers due by then in order, and answers ok while the',
    'session is up; session.drop loses the transport (close 1006).',
  ]);
  const g = b.group({ type: 'Steps' });
  const P = PINNED;
  const { step: open, sid } = openStep(P);

  // §8 application messages.
  add(b, g, 'Join, Leave and a refused Send are answered with a Result naming the envelope seq', ['Session'], ['hsResult'], [
    reset(P), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    sendOk(data(sid, 1, leave('lobby')), [result(1, null)]),
    sendOk(data(sid, 2, sendTo('lobby', 'hi')), [result(2, 'ERR_NOT_JOINED')]),
  ]);
  add(b, g, 'an accepted Send is not answered; a refused Join is, and the session stays open', ['Session'], ['hsResult', 'errCloseOrDrop'], [
    reset(P, { forbidden: ['vault'] }), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    sendOk(data(sid, 1, sendTo('lobby', 'hi')), []),
    sendOk(data(sid, 2, join('vault')), [result(2, 'ERR_FORBIDDEN')]),
    sendOk(data(sid, 3, sendTo('lobby', 'still here')), []),
  ]);
  // [HS-8.7]: a Leave of a room not joined is decided by authorize alone, never ERR_NOT_JOINED.
  add(b, g, 'a Leave of a room never joined is accepted (Result null) and changes nothing', ['Session'], ['hsLeaveNotJoined', 'hsResult'], [
    reset(P), open,
    sendOk(data(sid, 0, leave('lobby')), [result(0, null)]),
    sendOk(data(sid, 1, sendTo('lobby', 'hi')), [result(1, 'ERR_NOT_JOINED')]),
  ]);
  add(b, g, 'a second Leave of a room just left is accepted again', ['Session'], ['hsLeaveNotJoined', 'hsResult'], [
    reset(P), open,
    sendOk(data(sid, 0, join('lobby')), [result(0, null)]),
    sendOk(data(sid, 1, leave('lobby')), [result(1, null)]),
    sendOk(data(sid, 2, leave('lobby')), [result(2, null)]),
  ]);
  add(b, g, 'a Leave of a room not joined that authorize refuses: ERR_FORBIDDEN, not ERR_NOT_JOINED', ['Session'], ['hsLeaveNotJoined', 'hsResult', 'errFirstCheck', 'errPrecedence'], [
    reset(P, { forbidden: ['vault'] }), open,
    sendOk(data(sid, 0, leave('vault')), [result(0, 'ERR_FORBIDDEN')]),
  ]);
  add(b, g, 'a verified payload that is no application message closes the session', ['Session'], ['hsMessageShape', 'hsFailCloses'], [
    reset(P), open, sendCloses('ERR_MESSAGE_MALFORMED', data(sid, 0, arr(uint(9), tstr('lobby')))),
  ]);
  add(b, g, 'a Join with an empty room name closes the session', ['Session'], ['hsMessageShape'], [
    reset(P), open, sendCloses('ERR_MESSAGE_MALFORMED', data(sid, 0, join(''))),
  ]);

  // [HS-8.1]: DEL (U+007F) is a control character in a room name, as C0 and C1 are; the common
  // Send, read on a fast path, gets the same verdict as every other message.
  for (const [name, room] of [['DEL (U+007F)', 'lobby\u007f'], ['U+0080 (C1)', 'lobby\u0080'], ['U+009F (C1)', 'lobby\u009f'], ['U+001F (C0)', 'lobby\u001f']] as const) {
    add(b, g, `a Join to a room name ending in ${name} closes the session`, ['Session'], ['hsMessageShape'], [
      reset(P), open, sendCloses('ERR_MESSAGE_MALFORMED', data(sid, 0, join(room))),
    ]);
  }
  add(b, g, 'a Send to a room name with DEL closes the session (not a Result ERR_NOT_JOINED)', ['Session'], ['hsMessageShape', 'errFirstCheck', 'errPrecedence'], [
    reset(P), open, sendCloses('ERR_MESSAGE_MALFORMED', data(sid, 0, sendTo('lob\u007fby', 'hi'))),
  ]);
  add(b, g, 'room names with ~ (U+007E) and U+00A0, next to the control ranges, are accepted', ['Session', 'Boundary'], ['hsMessageShape', 'hsResult'], [
    reset(P), open,
    sendOk(data(sid, 0, join('lobby~')), [result(0, null)]),
    sendOk(data(sid, 1, join('lobby\u00a0')), [result(1, null)]),
    sendOk(data(sid, 2, sendTo('lobby~', 'hi')), []),
  ]);

  // [HS-8.8]: a data envelope carries content type 60, the integer, and no other.
  for (const [what, ct] of [['42 (application/octet-stream)', 42], ['the text application/cbor', 'application/cbor'], ['61', 61]] as const) {
    add(b, g, `a correctly signed Join with content type ${what} closes with ERR_MESSAGE_MALFORMED`, ['Session'], ['hsContentType', 'hsMessageShape', 'hsFailCloses'], [
      reset(P), open, sendCloses('ERR_MESSAGE_MALFORMED', data(sid, 0, join('lobby'), { ct })),
    ]);
  }
  add(b, g, 'after an accepted Join, a Send with content type 42 closes the session', ['Session'], ['hsContentType', 'hsFailCloses'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), sendCloses('ERR_MESSAGE_MALFORMED', data(sid, 1, sendTo('lobby', 'hi'), { ct: 42 })),
  ]);
  const forged42 = data(sid, 0, join('lobby'), { ct: 42 }).slice();
  forged42[forged42.length - 1]! ^= 0x01;
  add(b, g, 'order: the signature before the content type (a forged envelope of content type 42)', ['Session', 'Forged', 'CheckOrder'], ['hsContentType', 'hsFailCloses', 'errFirstCheck', 'errPrecedence'], [
    reset(P), open, sendCloses('ERR_BAD_SIGNATURE', forged42),
  ]);

  // [HS-1.4]: a handshake message in the data phase, told apart from an envelope by its first byte.
  add(b, g, 'the ClientAuth again, byte for byte, after the Welcome: ERR_UNEXPECTED_MESSAGE', ['Session', 'StateMachine'], ['hsUnexpected', 'hsFailCloses', 'errPrecedence'], [
    reset(P), open, closes('ERR_UNEXPECTED_MESSAGE', { op: 'session.send', envelope: hex(transcript(P).clientAuth) }),
  ]);
  const otherAuth = transcript({ ...P, clientNonce: fill(0x26) }).clientAuth;
  add(b, g, 'a second ClientAuth (another nonce) after an accepted Join: ERR_UNEXPECTED_MESSAGE', ['Session', 'StateMachine'], ['hsUnexpected', 'hsFailCloses', 'errPrecedence'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), closes('ERR_UNEXPECTED_MESSAGE', { op: 'session.send', envelope: hex(otherAuth) }),
  ]);

  // §6 data-phase checks.
  add(b, g, 'an envelope of another key the server knows: ERR_SESSION_KEY before the signature', ['Session'], ['hsSessionKey', 'hsFailCloses'], [
    reset(P), open, sendCloses('ERR_SESSION_KEY', data(sid, 0, join('lobby'), { by: BOB })),
  ]);
  const bobForged = data(sid, 0, join('lobby'), { by: BOB }).slice();
  bobForged[bobForged.length - 1]! ^= 0x01;
  add(b, g, 'the session-key check precedes the signature: a forged envelope of the other key', ['Session', 'Forged'], ['hsSessionKey'], [
    reset(P), open, sendCloses('ERR_SESSION_KEY', bobForged),
  ]);
  add(b, g, 'an envelope of a key the server does not know: ERR_UNKNOWN_KEY', ['Session'], ['hsSessionKey', 'hsFailCloses'], [
    reset(P), open, sendCloses('ERR_UNKNOWN_KEY', data(sid, 0, join('lobby'), { by: STRANGER })),
  ]);
  const forged = data(sid, 0, join('lobby')).slice();
  forged[forged.length - 1]! ^= 0x01;
  add(b, g, 'a forged envelope of the peer ends the session with 4025', ['Session', 'Forged'], ['hsFailCloses'], [reset(P), open, sendCloses('ERR_BAD_SIGNATURE', forged)]);
  add(b, g, 'a replayed envelope ends a session that was not resumed', ['Session', 'Duplicate'], ['hsFailCloses', 'hsResentDuplicate'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), sendCloses('ERR_REPLAY', data(sid, 0, join('lobby'))),
  ]);
  add(b, g, 'the first data envelope fixes the data stream; a second stream is refused', ['Session'], ['hsStreamPin', 'hsFailCloses'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), sendCloses('ERR_WRONG_STREAM', data(sid, 0, join('lobby'), { stream: STREAM2 })),
  ]);
  add(b, g, 'an envelope beyond the acknowledgement range (seq next + 1025) closes with ERR_ACK_RANGE', ['Session', 'Boundary'], ['hsAcknowledge', 'rcpAckRange'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), sendCloses('ERR_ACK_RANGE', data(sid, 1026, leave('lobby'))),
  ]);
  add(b, g, 'seq next + 1024 is acknowledgeable and accepted', ['Session', 'Boundary'], ['hsAcknowledge', 'rcpAckRange'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), sendOk(data(sid, 1025, leave('lobby')), [result(1025, null)]),
  ]);
  // A second session of the same client that resumes none.
  const f2 = openStep({ ...P, serverNonce: fill(0x14), clientNonce: fill(0x25) });
  add(b, g, 'a new data stream that does not start at seq 0 is refused with ERR_WRONG_STREAM', ['Session', 'Boundary'], ['hsNewStream', 'hsFailCloses'], [
    reset(P), open, sendCloses('ERR_WRONG_STREAM', data(sid, 1, join('lobby'))),
  ]);
  add(b, g, 'a fresh session cannot reuse the data stream of an earlier one: its seq 0 is a replay', ['Session', 'Duplicate'], ['hsNewStream', 'hsFailCloses'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), ok({ op: 'session.drop' }), f2.step,
    sendCloses('ERR_REPLAY', data(f2.sid, 0, join('lobby'))),
  ]);
  add(b, g, 'a fresh session cannot continue the data stream of an earlier one', ['Session'], ['hsNewStream', 'hsFailCloses'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), ok({ op: 'session.drop' }), f2.step,
    sendCloses('ERR_WRONG_STREAM', data(f2.sid, 1, leave('lobby'))),
  ]);

  // [HS-3.6], [HS-5.5]: time passes.
  const quick: Inputs = { ...P, limits: { ...P.limits, handshakeTimeoutMs: 30 } };
  add(b, g, 'no ClientAuth within handshake_timeout_ms: ERR_HANDSHAKE_TIMEOUT', ['Timer'], ['hsTimeout'], [
    reset(quick),
    ok({ op: 'session.open', serverNonce: hex(quick.serverNonce) }),
    closes('ERR_HANDSHAKE_TIMEOUT', { op: 'session.advance', ms: 60 }),
  ]);
  const q = openStep(quick);
  add(b, g, 'a ClientAuth in time: the timeout no longer applies', ['Timer'], ['hsTimeout'], [reset(quick), q.step, ok({ op: 'session.advance', ms: 60 })]);
  // The Join is answered at T, before any time passes (session_timers.json pins the bound itself).
const expiring: Inputs = { ...P, expires: T + 250 };
  const e = openStep(expiring);
  add(b, g, 'the credential expires 250 ms into the session: closed with ERR_CREDENTIAL_EXPIRED', ['Timer'], ['hsExpiry'], [
    reset(expiring), e.step,
    sendOk(data(e.sid, 0, join('lobby')), [result(0, null)]),
    closes('ERR_CREDENTIAL_EXPIRED', { op: 'session.advance', ms: 400 }),
  ]);

  // [HS-5.2]: JWT credentials, the token minted here (EdDSA over the JWS signing input).
  const jwtOpts = JWT_OPTS;
  const now = Math.floor(T / 1000);
  const base = jwtClaims(now + 3600);
  const withToken = (claims: Record<string, unknown>, signer?: Bytes): Inputs => ({ ...P, credential: jwtToken(claims, signer) });
  const jwtCase = (comment: string, expect: string, claims: Record<string, unknown>, signer?: Bytes): void => {
    const i = withToken(claims, signer);
    add(b, g, comment, ['Jwt'], ['hsJwt'], [reset(i, { jwt: jwtOpts }), expect === 'ok' ? openStep(i).step : openFails(expect, i)]);
  };
  jwtCase('a token of the issuer, bound to the handshake key, exp in the future', 'ok', base);
  jwtCase('exp one second after the server clock', 'ok', { ...base, exp: now + 1 });
  jwtCase('exp equal to the server clock: no longer in the future', 'ERR_CREDENTIAL_EXPIRED', { ...base, exp: now });
  jwtCase('exp in the past', 'ERR_CREDENTIAL_EXPIRED', { ...base, exp: now - 60 });
  jwtCase('cnf.jkt names another key (a stolen token)', 'ERR_CREDENTIAL_KEY_MISMATCH', { ...base, cnf: { jkt: b64u(thumbprint(BOB.publicKey)) } });
  jwtCase('signed by another key than the issuer\'s', 'ERR_UNAUTHENTICATED', base, seed('session jwt impostor'));
  jwtCase('another issuer', 'ERR_UNAUTHENTICATED', { ...base, iss: 'https://evil.example' });
  jwtCase('another audience', 'ERR_UNAUTHENTICATED', { ...base, aud: 'billing' });

  // §7 resume.
  const second: Inputs = { ...P, serverNonce: fill(0x12), clientNonce: fill(0x23) };
  add(b, g, 'resume naming a session the server never had: ERR_RESUME_REFUSED', ['Resume'], ['hsResumeRefused'], [
    reset(P), openFails('ERR_RESUME_REFUSED', P, sha256(enc.encode('no such session'))),
  ]);
  // The client never acknowledged the Result of its Join: the resumed server resends it ([HS-7.5]).
  const r2 = openStep(second, sid, [result(0, null)]);
  add(b, g, 'resume of an ended session of the same key and identity is accepted', ['Resume'], ['hsResumeRefused'], [
    reset(P), open, ok({ op: 'session.drop' }), openStep(second, sid).step,
  ]);
  add(b, g, 'resume: the server at once resends what the client did not acknowledge, re-sealed for the new session', ['Resume'], ['hsResend', 'rcpResend'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), ok({ op: 'session.drop' }), r2.step,
  ]);
  const bobInputs: Inputs = { ...second, clientSeed: BOB.secretKey, credential: BOB_TOKEN, identity: 'bob', roles: [] };
  add(b, g, 'resume of another key\'s session: ERR_RESUME_REFUSED', ['Resume'], ['hsResumeRefused'], [
    reset(P), open, ok({ op: 'session.drop' }), openFails('ERR_RESUME_REFUSED', bobInputs, sid),
  ]);
  add(b, g, 'the resumed session keeps the client\'s data stream and rooms: a Send is not refused', ['Resume'], ['hsResumeTakeover'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), ok({ op: 'session.drop' }), r2.step,
    sendOk(data(r2.sid, 1, sendTo('lobby', 'after resume')), []),
  ]);
  add(b, g, 'the resumed session keeps the fixed data stream: another stream is refused', ['Resume'], ['hsResumeTakeover', 'hsStreamPin'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), ok({ op: 'session.drop' }), r2.step,
    sendCloses('ERR_WRONG_STREAM', data(r2.sid, 0, join('lobby'), { stream: STREAM2 })),
  ]);
  add(b, g, 'a resent duplicate of the continued stream is dropped without ending the session', ['Resume', 'Duplicate'], ['hsResentDuplicate', 'errCloseOrDrop'], [
    reset(P), open, sendOk(data(sid, 0, join('lobby')), [result(0, null)]), ok({ op: 'session.drop' }), r2.step,
    sendOk(data(r2.sid, 0, join('lobby')), [], 'seq 0 re-sealed for the new session'),
    sendOk(data(r2.sid, 1, leave('lobby')), [result(1, null)]),
  ]);
  return b.build();
}
