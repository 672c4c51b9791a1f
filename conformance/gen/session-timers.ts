// Timer boundaries of a live session (spec/handshake.md [HS-3.6], [HS-5.5]) to the millisecond:
// session.advance moves a virtual clock, so a vector can tell `bound − 1` (still open) from `bound`
// (closed with its code), which a driver sleeping in real time could not.
import type { StepsGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { PINNED, type Inputs } from './handshake.js';
import { arr, bstr, uint } from './cbor.js';
import { enc, hex } from './ref.js';
import { BOB_TOKEN, JWT_OPTS, T, add, closes, data, join, jwtClaims, jwtToken, ok, openStep, reset, result, sendOk, type B } from './sessions.js';

const advance = (ms: number, comment?: string): { op: string; ms: number; comment?: string } => ({
  op: 'session.advance',
  ms,
  ...(comment ? { comment } : {}),
});

export function sessionTimers(): VectorFile {
  const b: B = new FileBuilder<StepsGroup>('sealwire-session-v1', 'steps_schema.json', [
    'Timer boundaries of a live session, with the session ops of session_data.json. Time is virtual:',
    'session.reset starts the server clock at serverTime, and session.advance moves it by exactly `ms`,',
    'firing every server timer due by then (a timer armed for d ms fires on the advance that reaches d,',
    'never one that stops at d − 1). The handshake timeout runs from the hello, credential expiry from',
    'the Welcome (serverTime): each vector pins a bound at bound − 1 (open) and at bound (closed).',
  ]);
  const g = b.group({ type: 'Steps' });
  const P = PINNED;
  const timeout = P.limits.handshakeTimeoutMs;
  const hello = ok({ op: 'session.open', serverNonce: hex(P.serverNonce) });
  const TIMEOUT = ['Timer', 'Boundary'];

  // [HS-3.6]: the bound is exclusive; at handshake_timeout_ms the server has timed out.
  add(b, g, 'no ClientAuth: the connection is still open at handshake_timeout_ms − 1', TIMEOUT, ['hsTimeout'], [reset(P), hello, ok(advance(timeout - 1))]);
  add(
    b,
    g,
    'no ClientAuth: closed with ERR_HANDSHAKE_TIMEOUT at exactly handshake_timeout_ms',
    TIMEOUT,
    ['hsTimeout'],
    [reset(P), hello, closes('ERR_HANDSHAKE_TIMEOUT', advance(timeout))],
  );
  add(
    b,
    g,
    'no ClientAuth: open after handshake_timeout_ms − 1, closed by the next 1 ms',
    TIMEOUT,
    ['hsTimeout'],
    [reset(P), hello, ok(advance(timeout - 1)), closes('ERR_HANDSHAKE_TIMEOUT', advance(1))],
  );
  add(
    b,
    g,
    'a ClientAuth in time: the session outlives handshake_timeout_ms',
    ['Timer'],
    ['hsTimeout'],
    [reset(P), openStep(P).step, ok(advance(2 * timeout))],
  );

  // [HS-5.5]: closed when the clock reaches expires, not after it.
  const life = 60_000;
  const expiring: Inputs = { ...P, expires: T + life };
  const e = openStep(expiring);
  add(
    b,
    g,
    'the credential expires 60 s after the Welcome: at expires − 1 the session is open and answers a Join',
    TIMEOUT,
    ['hsExpiry'],
    [reset(expiring), e.step, ok(advance(life - 1)), sendOk(data(e.sid, 0, join('lobby')), [result(0, null)])],
  );
  add(
    b,
    g,
    'closed with ERR_CREDENTIAL_EXPIRED when the clock reaches expires',
    TIMEOUT,
    ['hsExpiry'],
    [reset(expiring), e.step, closes('ERR_CREDENTIAL_EXPIRED', advance(life))],
  );
  add(
    b,
    g,
    'open at expires − 1, closed with ERR_CREDENTIAL_EXPIRED by the next 1 ms',
    TIMEOUT,
    ['hsExpiry'],
    [reset(expiring), e.step, ok(advance(life - 1)), closes('ERR_CREDENTIAL_EXPIRED', advance(1))],
  );
  const brief: Inputs = { ...P, expires: T + 1 };
  add(
    b,
    g,
    'expires 1 ms after the Welcome: accepted (not yet expired), open after 0 ms, closed at 1 ms',
    TIMEOUT,
    ['hsExpiry'],
    [reset(brief), openStep(brief).step, ok(advance(0)), closes('ERR_CREDENTIAL_EXPIRED', advance(1))],
  );

  // [HS-5.2]: a JWT session ends at `exp` (seconds), i.e. at exp × 1000 on the server clock.
  const exp = Math.floor(T / 1000) + 1;
  const jwt: Inputs = { ...P, credential: jwtToken(jwtClaims(exp)) };
  add(
    b,
    g,
    'a JWT session is open 1 ms before exp and closed with ERR_CREDENTIAL_EXPIRED at exp',
    ['Jwt', ...TIMEOUT],
    ['hsJwt', 'hsExpiry'],
    [reset(jwt, { jwt: JWT_OPTS }), openStep(jwt).step, ok(advance(exp * 1000 - T - 1)), closes('ERR_CREDENTIAL_EXPIRED', advance(1))],
  );
  // [HS-8.6]: a Renew is checked as the ClientAuth's credential was, answered with a Result, and on
  // success the session's expiry becomes the new credential's; a refusal changes nothing.
  const renew = (credential: Uint8Array) => arr(uint(5), bstr(credential));
  const later = enc.encode('renewed credential');
  const stale = enc.encode('expired credential');
  const unknown = enc.encode('credential nobody issued');
  const accounts = [
    { credential: hex(expiring.credential!), identity: expiring.identity, roles: [...expiring.roles], expires: T + life },
    { credential: hex(BOB_TOKEN), identity: 'bob', roles: [] },
    { credential: hex(later), identity: expiring.identity, roles: [...expiring.roles], expires: T + 3 * life },
    { credential: hex(stale), identity: expiring.identity, roles: [...expiring.roles], expires: T - 1 },
  ];
  const renewing = reset(expiring, { policy: { accounts } });
  const RENEW = ['Timer', 'Boundary'];
  add(
    b,
    g,
    'a Renew with a later credential is answered with a Result, and the session outlives the first credential until the new one expires',
    RENEW,
    ['hsRenew', 'hsExpiry'],
    [
      renewing,
      e.step,
      sendOk(data(e.sid, 0, renew(later)), [result(0, null)]),
      ok(advance(life, 'the first credential would have expired here')),
      ok(advance(2 * life - 1)),
      closes('ERR_CREDENTIAL_EXPIRED', advance(1)),
    ],
  );
  add(
    b,
    g,
    'a Renew with a credential of another identity is refused with ERR_UNAUTHENTICATED in a Result; the session keeps its expiry',
    RENEW,
    ['hsRenew', 'hsExpiry'],
    [
      renewing,
      e.step,
      sendOk(data(e.sid, 0, renew(BOB_TOKEN)), [result(0, 'ERR_UNAUTHENTICATED')]),
      ok(advance(life - 1)),
      closes('ERR_CREDENTIAL_EXPIRED', advance(1)),
    ],
  );
  add(
    b,
    g,
    'a Renew with a credential the hook does not know is refused in a Result, and the session stays open',
    ['Timer'],
    ['hsRenew'],
    [renewing, e.step, sendOk(data(e.sid, 0, renew(unknown)), [result(0, 'ERR_UNAUTHENTICATED')]), sendOk(data(e.sid, 1, join('lobby')), [result(1, null)])],
  );
  add(
    b,
    g,
    'a Renew with an expired credential is refused with ERR_CREDENTIAL_EXPIRED in a Result; the session keeps its expiry',
    RENEW,
    ['hsRenew', 'hsExpiry'],
    [
      renewing,
      e.step,
      sendOk(data(e.sid, 0, renew(stale)), [result(0, 'ERR_CREDENTIAL_EXPIRED')]),
      ok(advance(life - 1)),
      closes('ERR_CREDENTIAL_EXPIRED', advance(1)),
    ],
  );
  return b.build();
}
