// Handshake vectors (spec/handshake.md §10): every byte of the three messages for fixed keys,
// nonces and times, rebuilt here from the spec's CDDL and signature inputs with the generator's own
// CBOR writer, node:crypto's SHA-256 and the reference signer — nothing from src/session. Each
// rejection breaks one rule (or, for the order vectors, two: the earlier check's code wins).
import { createHash } from 'node:crypto';
import type { HandshakeGroup, HandshakeServer, HandshakeTest, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { NULL, arr, bstr, head, headLong, mapRaw, nint, tag, tstr, uint, type Bytes } from './cbor.js';
import { Signer } from './envelope.js';
import { cat, enc, hex, publicKeyOf, seed, signRef, thumbprint } from './ref.js';
import { refs, type RefName } from './refs.js';

const sha256 = (b: Bytes): Bytes => new Uint8Array(createHash('sha256').update(b).digest());
export const fill = (byte: number, n = 32): Bytes => new Uint8Array(n).fill(byte);

export interface Limits {
  maxSkewMs: number;
  maxMessageSize: number;
  window: number;
  handshakeTimeoutMs: number;
}

/** The inputs of one handshake; a vector varies one of them or breaks one message. */
export interface Inputs {
  serverSeed: Bytes;
  clientSeed: Bytes;
  serverNonce: Bytes;
  clientNonce: Bytes;
  serverTime: number;
  clientTime: number;
  limits: Limits;
  origin: string;
  exporter: Bytes | null;
  credential: Bytes | null;
  identity: string;
  roles: string[];
  expires: number | null;
}

/** spec/handshake.md §10, the pinned vector. */
export const PINNED: Inputs = {
  serverSeed: fill(0x01),
  clientSeed: fill(0x02),
  serverNonce: fill(0x11),
  clientNonce: fill(0x22),
  serverTime: 1_700_000_000_000,
  clientTime: 1_700_000_000_250,
  limits: { maxSkewMs: 5000, maxMessageSize: 65536, window: 1024, handshakeTimeoutMs: 10000 },
  origin: 'https://chat.example',
  exporter: fill(0x33),
  credential: enc.encode('token'),
  identity: 'alice',
  roles: ['user'],
  expires: null,
};
export const PINNED_SESSION_ID = 'a5be3fb3f178f08063c86edc3b1804666e5711b7fb5b511e0295b493dca9c085';

// --- the three messages, from the CDDL of §1 ----------------------------------------------------

export function limitsMap(l: Limits, extra: [number, number][] = []): Bytes {
  const entries: [Bytes, Bytes][] = [
    [uint(1), uint(l.maxSkewMs)],
    [uint(2), uint(l.maxMessageSize)],
    [uint(3), uint(l.window)],
    [uint(4), uint(l.handshakeTimeoutMs)],
    ...extra.map(([k, v]): [Bytes, Bytes] => [uint(k), uint(v)]),
  ];
  return mapRaw(entries);
}

export function hello(i: Inputs, o: { versions?: number[]; limits?: Bytes } = {}): Bytes {
  return arr(uint(1), arr(...(o.versions ?? [1]).map(uint)), bstr(i.serverNonce), bstr(publicKeyOf(i.serverSeed)), uint(i.serverTime), o.limits ?? limitsMap(i.limits));
}

/** cb = SHA-256(CBOR(["sealwire/1 tls-exporter", E])) ([HS-4.2]). */
export const cbOf = (e: Bytes): Bytes => sha256(arr(tstr('sealwire/1 tls-exporter'), bstr(e)));

export function authBody(i: Inputs, o: { version?: number; key?: Bytes; cbType?: number; cb?: Bytes; resume?: Bytes } = {}): Bytes {
  const cbType = o.cbType ?? (i.exporter === null ? 0 : 1);
  const cb = o.cb ?? (i.exporter === null ? new Uint8Array(0) : cbOf(i.exporter));
  return arr(
    uint(o.version ?? 1),
    bstr(i.clientNonce),
    bstr(o.key ?? publicKeyOf(i.clientSeed)),
    uint(i.clientTime),
    tstr(i.origin),
    uint(cbType),
    bstr(cb),
    i.credential === null ? NULL : bstr(i.credential),
    o.resume === undefined ? NULL : bstr(o.resume),
  );
}

/** TH = SHA-256(CBOR(["sealwire/1 transcript", hello, body])) ([HS-3.1]); the session id ([HS-3.2]). */
export const transcriptHash = (helloBytes: Bytes, body: Bytes): Bytes => sha256(arr(tstr('sealwire/1 transcript'), bstr(helloBytes), bstr(body)));
export const clientInput = (th: Bytes): Bytes => arr(tstr('sealwire/1 client auth'), bstr(th));
export const serverInput = (th: Bytes, welcomeBody: Bytes): Bytes => arr(tstr('sealwire/1 server welcome'), bstr(th), bstr(welcomeBody));
export const signed = (type: 2 | 3, body: Bytes, sig: Bytes): Bytes => arr(uint(type), bstr(body), bstr(sig));

export function welcomeBody(th: Bytes, i: Inputs): Bytes {
  // The server's clock is constant in a vector, so the Welcome's time is serverTime.
  return arr(bstr(th), uint(i.serverTime), tstr(i.identity), arr(...i.roles.map(tstr)), i.expires === null ? NULL : uint(i.expires));
}

export interface Transcript {
  hello: Bytes;
  authBody: Bytes;
  clientAuth: Bytes;
  th: Bytes;
  welcomeBody: Bytes;
  welcome: Bytes;
}

export function transcript(i: Inputs, o: { hello?: Bytes; body?: Bytes } = {}): Transcript {
  const h = o.hello ?? hello(i);
  const body = o.body ?? authBody(i);
  const th = transcriptHash(h, body);
  const clientAuth = signed(2, body, signRef(i.clientSeed, clientInput(th)));
  const wb = welcomeBody(th, i);
  const welcome = signed(3, wb, signRef(i.serverSeed, serverInput(th, wb)));
  return { hello: h, authBody: body, clientAuth, th, welcomeBody: wb, welcome };
}

// --- the vector file ------------------------------------------------------------------------------

const HEADER = [
  'Handshake transcripts with fixed keys, nonces and times (spec/handshake.md §10). Both clocks are',
  'constant during a vector; the Welcome\'s time is serverTime. "side" says which end is tested:',
  'client: {"op":"handshake.client",...} with hello (and welcome, when present) must answer clientAuth',
  '(and sessionId) or the code; server: {"op":"handshake.server",...} with clientAuth must answer',
  'hello, then welcome and sessionId or the code; both: client then server then client again.',
];

type B = FileBuilder<HandshakeGroup>;

function baseTest(i: Inputs): Pick<HandshakeTest, 'serverSeed' | 'clientSeed' | 'serverKey' | 'serverNonce' | 'clientNonce' | 'serverTime' | 'clientTime' | 'limits' | 'origin' | 'exporter' | 'credential'> {
  return {
    serverSeed: hex(i.serverSeed),
    clientSeed: hex(i.clientSeed),
    serverKey: hex(publicKeyOf(i.serverSeed)),
    serverNonce: hex(i.serverNonce),
    clientNonce: hex(i.clientNonce),
    serverTime: i.serverTime,
    clientTime: i.clientTime,
    limits: { ...i.limits },
    origin: i.origin,
    exporter: i.exporter === null ? null : hex(i.exporter),
    credential: i.credential === null ? null : hex(i.credential),
  };
}

/** The server's account table: the credential of `i` maps to its identity, roles and expiry. */
function accountsOf(i: Inputs): HandshakeServer {
  return {
    accounts: [
      {
        credential: i.credential === null ? null : hex(i.credential),
        identity: i.identity,
        roles: [...i.roles],
        ...(i.expires !== null ? { expires: i.expires } : {}),
      },
    ],
  };
}

interface Case {
  comment: string;
  flags: string[];
  refs: RefName[];
  side: 'client' | 'server' | 'both';
  inputs?: Partial<Inputs>;
  /** Replace parts of the transcript (already-broken bytes). */
  hello?: Bytes;
  body?: Bytes;
  clientAuth?: Bytes;
  welcome?: Bytes;
  serverKey?: Bytes;
  server?: HandshakeServer;
  expect: string;
}

function add(b: B, g: HandshakeGroup, c: Case): void {
  const i: Inputs = { ...PINNED, ...c.inputs };
  const t = transcript(i, { ...(c.hello ? { hello: c.hello } : {}), ...(c.body ? { body: c.body } : {}) });
  const clientAuth = c.clientAuth ?? t.clientAuth;
  const welcome = c.welcome ?? t.welcome;
  const ok = c.expect === 'ok';
  // What the driver must produce: the valid parts of the transcript up to the failure.
  const test: Omit<HandshakeTest, 'tcId'> = {
    comment: c.comment,
    flags: c.flags,
    specRefs: refs(...c.refs),
    side: c.side,
    ...baseTest(i),
    ...(c.serverKey ? { serverKey: hex(c.serverKey) } : {}),
    // Without an account table the server has no authenticate hook and uses its ring ([HS-5.1]).
    server: c.server?.keys !== undefined ? c.server : { ...accountsOf(i), ...c.server },
    identity: i.identity,
    roles: [...i.roles],
    expires: i.expires,
    hello: hex(t.hello),
    authBody: hex(t.authBody),
    clientAuth: hex(clientAuth),
    welcomeBody: hex(t.welcomeBody),
    welcome: hex(welcome),
    sessionId: hex(t.th),
    result: ok ? 'valid' : 'invalid',
    ...(ok ? {} : { code: c.expect }),
  };
  b.add(g, test);
}

export function handshake(): VectorFile {
  const b: B = new FileBuilder('sealwire-handshake-v1', 'handshake_schema.json', HEADER);
  const g = b.group({ type: 'Handshake' });
  const P = PINNED;
  const pinned = transcript(P);
  if (hex(pinned.th) !== PINNED_SESSION_ID) throw new Error(`the pinned session id is ${hex(pinned.th)}, spec/handshake.md §10 says ${PINNED_SESSION_ID}`);
  const clientPub = publicKeyOf(P.clientSeed);
  const clientKid = hex(thumbprint(clientPub));
  const sig = (i: Inputs, h: Bytes, body: Bytes) => signRef(i.clientSeed, clientInput(transcriptHash(h, body)));
  /** A ClientAuth around `body`, correctly signed over the pinned hello. */
  const authOf = (body: Bytes, i: Inputs = P) => signed(2, body, sig(i, hello(i), body));
  const HS34: RefName[] = ['hsAuthOrder'];

  // Happy paths.
  add(b, g, { comment: 'the pinned transcript of spec/handshake.md §10', flags: ['Handshake'], refs: ['hsEncoding', 'hsTranscript', 'hsSessionId', 'hsClientSig', 'hsServerSig', 'hsWelcomeCheck', 'hsCbHash', 'hsHelloCheck', 'hsLimits', 'hsAuthOrder', 'hsIdentity'], side: 'both', expect: 'ok' });
  add(b, g, { comment: 'no channel binding (cb_type 0), no credential, two roles, an expiry', flags: ['Handshake'], refs: ['hsTranscript', 'hsCbHash', 'hsIdentity'], side: 'both', inputs: { exporter: null, credential: null, roles: ['admin', 'user'], expires: P.serverTime + 3_600_000, clientNonce: fill(0x44), serverNonce: fill(0x55) }, server: { exporter: null }, expect: 'ok' });
  add(b, g, { comment: 'an empty origin (no browser) and other keys', flags: ['Handshake'], refs: ['hsTranscript', 'hsOrigin'], side: 'both', inputs: { origin: '', serverSeed: seed('handshake server B'), clientSeed: seed('handshake client B'), identity: 'device-7', roles: [] }, expect: 'ok' });
  add(b, g, { comment: 'the server has the exporter and does not require binding: a browser (cb_type 0) is accepted', flags: ['ChannelBinding'], refs: ['hsCbOptional'], side: 'both', inputs: { exporter: null }, server: { exporter: hex(P.exporter!) }, expect: 'ok' });

  // Client: ServerHello checks, in the order of [HS-2.2].
  const oversizeHello = (target: number): Bytes => {
    // Unknown limit labels are advisory ([HS-2.4]): n 4-byte entries pad the hello, and r of them
    // carry the value 24 (2 bytes instead of 1) to make the size exact.
    const build = (n: number, r: number) => hello(P, { limits: limitsMap(P.limits, Array.from({ length: n }, (_, k): [number, number] => [1000 + k, k < r ? 24 : 0])) });
    const estimate = Math.floor((target - hello(P).length) / 4);
    for (let n = estimate - 2; n <= estimate + 2; n++) {
      const r = target - build(n, 0).length;
      if (r >= 0 && r <= n && build(n, r).length === target) return build(n, r);
    }
    throw new Error(`cannot pad a hello to ${target} bytes`);
  };
  add(b, g, { comment: 'unknown limit labels are ignored and hashed verbatim', flags: ['Handshake', 'Advisory'], refs: ['hsLimits', 'hsTranscript'], side: 'client', hello: hello(P, { limits: limitsMap(P.limits, [[5, 1], [4096, 7]]) }), expect: 'ok' });
  add(b, g, { comment: 'a hello of exactly max_handshake_size (8192) bytes', flags: ['TooLarge', 'Boundary'], refs: ['hsSize'], side: 'client', hello: oversizeHello(8192), expect: 'ok' });
  add(b, g, { comment: 'a hello of 8193 bytes', flags: ['TooLarge', 'Boundary'], refs: ['hsSize'], side: 'client', hello: oversizeHello(8193), expect: 'ERR_TOO_LARGE' });
  add(b, g, { comment: 'versions [1, 2]: the client picks 1', flags: ['Version'], refs: ['hsHelloCheck'], side: 'client', hello: hello(P, { versions: [1, 2] }), expect: 'ok' });
  add(b, g, { comment: 'versions [2]: nothing in common', flags: ['Version'], refs: ['hsHelloCheck'], side: 'client', hello: hello(P, { versions: [2] }), expect: 'ERR_UNSUPPORTED_VERSION' });
  add(b, g, { comment: 'versions not ascending', flags: ['HandshakeShape'], refs: ['hsShape'], side: 'client', hello: hello(P, { versions: [2, 1] }), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'versions empty', flags: ['HandshakeShape'], refs: ['hsShape'], side: 'client', hello: hello(P, { versions: [] }), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'the hello key is not the pinned server key', flags: ['ServerIdentity'], refs: ['hsHelloCheck'], side: 'client', serverKey: publicKeyOf(seed('handshake other server')), expect: 'ERR_SERVER_IDENTITY' });
  add(b, g, { comment: 'order: an unsupported version is reported before the server key', flags: ['ServerIdentity', 'Version', 'CheckOrder'], refs: ['hsHelloCheck'], side: 'client', serverKey: publicKeyOf(seed('handshake other server')), hello: hello(P, { versions: [2] }), expect: 'ERR_UNSUPPORTED_VERSION' });
  for (const [d, expect] of [[5000, 'ok'], [5001, 'ERR_CLOCK_SKEW'], [-5000, 'ok'], [-5001, 'ERR_CLOCK_SKEW']] as const) {
    add(b, g, { comment: `client clock = server time ${d < 0 ? '-' : '+'} ${Math.abs(d)} (max_skew_ms 5000)`, flags: ['ClockSkew', 'Boundary'], refs: ['hsHelloCheck', 'hsSkewClose'], side: 'client', inputs: { clientTime: P.serverTime + d }, expect });
  }
  add(b, g, { comment: 'order: the server key is reported before clock skew', flags: ['ServerIdentity', 'ClockSkew', 'CheckOrder'], refs: ['hsHelloCheck'], side: 'client', serverKey: publicKeyOf(seed('handshake other server')), inputs: { clientTime: P.serverTime + 60_000 }, expect: 'ERR_SERVER_IDENTITY' });
  add(b, g, { comment: 'max_skew_ms comes from the hello: 0 with clocks 250 ms apart', flags: ['ClockSkew'], refs: ['hsHelloCheck', 'hsLimits'], side: 'client', inputs: { limits: { ...P.limits, maxSkewMs: 0 } }, expect: 'ERR_CLOCK_SKEW' });
  add(b, g, { comment: 'limits without label 4 (handshake_timeout_ms)', flags: ['HandshakeShape'], refs: ['hsLimits', 'hsShape'], side: 'client', hello: hello(P, { limits: mapRaw([[uint(1), uint(5000)], [uint(2), uint(65536)], [uint(3), uint(1024)]]) }), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'limits labels out of order', flags: ['MapOrder'], refs: ['hsEncoding'], side: 'client', hello: hello(P, { limits: mapRaw([[uint(2), uint(65536)], [uint(1), uint(5000)], [uint(3), uint(1024)], [uint(4), uint(10000)]]) }), expect: 'ERR_MAP_ORDER' });
  add(b, g, { comment: 'a limits label twice', flags: ['DuplicateLabel'], refs: ['hsEncoding'], side: 'client', hello: hello(P, { limits: mapRaw([[uint(1), uint(5000)], [uint(1), uint(5000)], [uint(2), uint(65536)], [uint(3), uint(1024)], [uint(4), uint(10000)]]) }), expect: 'ERR_DUPLICATE_LABEL' });
  const helloParts = (time: Bytes, nonce: Bytes = bstr(P.serverNonce), version: Bytes = uint(1)) => arr(uint(1), arr(version), nonce, bstr(publicKeyOf(P.serverSeed)), time, limitsMap(P.limits));
  add(b, g, { comment: 'hello version 1 in a non-preferred 2-byte head', flags: ['NonPreferred'], refs: ['hsEncoding'], side: 'client', hello: helloParts(uint(P.serverTime), bstr(P.serverNonce), headLong(0, 1, 1)), expect: 'ERR_NON_PREFERRED' });
  add(b, g, { comment: 'hello time 1700000000000 needs the 8-byte head: preferred, accepted', flags: ['NonPreferred', 'Boundary'], refs: ['hsEncoding'], side: 'client', hello: helloParts(headLong(0, P.serverTime, 8)), expect: 'ok' });
  add(b, g, { comment: 'hello followed by a byte', flags: ['TrailingBytes'], refs: ['hsEncoding'], side: 'client', hello: cat(hello(P), Uint8Array.of(0x00)), expect: 'ERR_TRAILING_BYTES' });
  add(b, g, { comment: 'hello cut short', flags: ['Truncated'], refs: ['hsEncoding'], side: 'client', hello: hello(P).subarray(0, 40), expect: 'ERR_TRUNCATED' });
  add(b, g, { comment: 'hello as an indefinite-length array', flags: ['IndefiniteLength'], refs: ['hsEncoding'], side: 'client', hello: cat(Uint8Array.of(0x9f), hello(P).subarray(1), Uint8Array.of(0xff)), expect: 'ERR_INDEFINITE_LENGTH' });
  add(b, g, { comment: 'hello nonce of 31 bytes', flags: ['HandshakeShape'], refs: ['hsShape'], side: 'client', hello: helloParts(uint(P.serverTime), bstr(fill(0x11, 31))), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'hello with 5 members', flags: ['HandshakeShape'], refs: ['hsShape'], side: 'client', hello: arr(uint(1), arr(uint(1)), bstr(P.serverNonce), bstr(publicKeyOf(P.serverSeed)), uint(P.serverTime)), expect: 'ERR_HANDSHAKE_MALFORMED' });
  const sixParts = [uint(1), arr(uint(1)), bstr(P.serverNonce), bstr(publicKeyOf(P.serverSeed)), uint(P.serverTime), limitsMap(P.limits)] as const;
  add(b, g, { comment: 'hello with a seventh member, a node set: a client pinning the key ignores it, and it is hashed', flags: ['Handshake'], refs: ['nodeHelloShape', 'hsTranscript'], side: 'client', hello: arr(...sixParts, bstr(fill(0x4e, 40))), expect: 'ok' });
  add(b, g, { comment: 'hello whose seventh member is not a byte string', flags: ['HandshakeShape'], refs: ['nodeHelloShape', 'hsShape'], side: 'client', hello: arr(...sixParts, tstr('nodes')), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'hello time as a text string', flags: ['HandshakeShape'], refs: ['hsShape'], side: 'client', hello: helloParts(tstr('now')), expect: 'ERR_HANDSHAKE_MALFORMED' });
  // [HS-1.6]: an integer of 2^53 or more is a shape fault wherever it is, before any later check.
  const big = 2 ** 53;
  add(b, g, { comment: 'versions [1, 2^53]: refused as malformed, not answered with version 1', flags: ['HandshakeShape', 'Boundary'], refs: ['hsIntBound', 'hsShape'], side: 'client', hello: hello(P, { versions: [1, big] }), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'versions [1, 2^53 - 1]: the largest u53 decodes, the client picks 1', flags: ['Version', 'Boundary'], refs: ['hsIntBound', 'hsHelloCheck'], side: 'client', hello: hello(P, { versions: [1, big - 1] }), expect: 'ok' });
  add(b, g, { comment: 'versions [2^53]: malformed before the version check (not ERR_UNSUPPORTED_VERSION)', flags: ['HandshakeShape', 'CheckOrder'], refs: ['hsIntBound', 'hsHelloCheck', 'errPrecedence'], side: 'client', hello: hello(P, { versions: [big] }), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'an unknown limits label with the value 2^53: not ignored, malformed', flags: ['HandshakeShape', 'Boundary'], refs: ['hsIntBound', 'hsLimits'], side: 'client', hello: hello(P, { limits: limitsMap(P.limits, [[5, big]]) }), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'an unknown limits label 2^53: not ignored, malformed', flags: ['HandshakeShape', 'Boundary'], refs: ['hsIntBound', 'hsLimits'], side: 'client', hello: hello(P, { limits: limitsMap(P.limits, [[big, 1]]) }), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'an unknown limits label 2^53 - 1 is ignored', flags: ['Advisory', 'Boundary'], refs: ['hsIntBound', 'hsLimits'], side: 'client', hello: hello(P, { limits: limitsMap(P.limits, [[big - 1, big - 1]]) }), expect: 'ok' });
  // [HS-1.7]: the message array is read at depth 0, so a member is at depth 1; `k` arrays nested
  // as a member put the innermost integer at depth k + 1, and depth 17 is refused.
  const nested = (k: number): Bytes => (k === 0 ? uint(1) : arr(nested(k - 1)));
  add(b, g, { comment: 'versions nested in 15 arrays (an integer at depth 16): decodes, then a shape fault', flags: ['HandshakeShape', 'Boundary'], refs: ['hsDepth', 'hsShape'], side: 'client', hello: arr(uint(1), nested(15), bstr(P.serverNonce), bstr(publicKeyOf(P.serverSeed)), uint(P.serverTime), limitsMap(P.limits)), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'versions nested in 16 arrays (an integer at depth 17): ERR_MALFORMED before the shape', flags: ['BadCbor', 'Boundary', 'CheckOrder'], refs: ['hsDepth', 'hsEncoding', 'hsDecodeOrder', 'errPrecedence'], side: 'client', hello: arr(uint(1), nested(16), bstr(P.serverNonce), bstr(publicKeyOf(P.serverSeed)), uint(P.serverTime), limitsMap(P.limits)), expect: 'ERR_MALFORMED' });
  add(b, g, { comment: 'a Welcome where the hello is expected', flags: ['StateMachine'], refs: ['hsUnexpected'], side: 'client', hello: pinned.welcome, expect: 'ERR_UNEXPECTED_MESSAGE' });
  add(b, g, { comment: 'a data envelope where the hello is expected', flags: ['StateMachine'], refs: ['hsUnexpected'], side: 'client', hello: tag(18, arr(bstr(new Uint8Array(0)), mapRaw([]), bstr(new Uint8Array(0)), bstr(new Uint8Array(64)))), expect: 'ERR_UNEXPECTED_MESSAGE' });

  // Client: Welcome checks ([HS-6.2]).
  const otherTh = sha256(enc.encode('another session'));
  const wbOther = welcomeBody(otherTh, P);
  add(b, g, { comment: 'a Welcome naming another session id (correctly signed)', flags: ['WelcomeCheck'], refs: ['hsWelcomeCheck'], side: 'client', welcome: signed(3, wbOther, signRef(P.serverSeed, serverInput(otherTh, wbOther))), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'a Welcome signed by another key', flags: ['WelcomeCheck', 'BadSignature'], refs: ['hsWelcomeCheck'], side: 'client', welcome: signed(3, pinned.welcomeBody, signRef(seed('handshake other server'), serverInput(pinned.th, pinned.welcomeBody))), expect: 'ERR_BAD_SIGNATURE' });
  add(b, g, { comment: 'a Welcome signed over the client-auth domain', flags: ['WelcomeCheck', 'BadSignature'], refs: ['hsWelcomeCheck', 'hsServerSig'], side: 'client', welcome: signed(3, pinned.welcomeBody, signRef(P.serverSeed, clientInput(pinned.th))), expect: 'ERR_BAD_SIGNATURE' });
  const flipped = pinned.welcomeBody.slice();
  flipped[flipped.length - 10]! ^= 0x01; // inside the identity text: still well-formed
  add(b, g, { comment: 'a Welcome body changed after signing', flags: ['WelcomeCheck', 'BadSignature'], refs: ['hsWelcomeCheck'], side: 'client', welcome: signed(3, flipped, signRef(P.serverSeed, serverInput(pinned.th, pinned.welcomeBody))), expect: 'ERR_BAD_SIGNATURE' });
  add(b, g, { comment: 'a Welcome body with 4 members', flags: ['HandshakeShape'], refs: ['hsShape'], side: 'client', welcome: signed(3, arr(bstr(pinned.th), uint(P.serverTime), tstr('alice'), arr(tstr('user'))), new Uint8Array(64)), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'a second hello where the Welcome is expected', flags: ['StateMachine'], refs: ['hsUnexpected'], side: 'client', welcome: pinned.hello, expect: 'ERR_UNEXPECTED_MESSAGE' });

  // Server: ClientAuth checks, each step of [HS-3.4] failing alone.
  const padCredential = (target: number): Bytes => {
    // ClientAuth = 0x83 0x02 bstr(body) bstr(sig[64]): its size follows from the body alone.
    for (let n = target - 400; n < target; n++) {
      const bodyLen = authBody({ ...P, credential: fill(0x61, n) }).length;
      if (2 + head(2, bodyLen).length + bodyLen + 2 + 64 === target) return fill(0x61, n);
    }
    throw new Error(`no credential gives a ClientAuth of ${target} bytes`);
  };
  add(b, g, { comment: 'a ClientAuth of exactly max_handshake_size (8192) bytes', flags: ['TooLarge', 'Boundary'], refs: ['hsSize', ...HS34], side: 'server', inputs: { credential: padCredential(8192) }, expect: 'ok' });
  add(b, g, { comment: 'step 1: a ClientAuth of 8193 bytes', flags: ['TooLarge', 'Boundary'], refs: ['hsSize', ...HS34], side: 'server', inputs: { credential: padCredential(8193) }, expect: 'ERR_TOO_LARGE' });
  const body = pinned.authBody;
  add(b, g, { comment: 'step 2: bytes after the ClientAuth', flags: ['TrailingBytes'], refs: ['hsEncoding', ...HS34], side: 'server', clientAuth: cat(pinned.clientAuth, Uint8Array.of(0xf6)), expect: 'ERR_TRAILING_BYTES' });
  add(b, g, { comment: 'step 2: ClientAuth cut short', flags: ['Truncated'], refs: ['hsEncoding', ...HS34], side: 'server', clientAuth: pinned.clientAuth.subarray(0, pinned.clientAuth.length - 1), expect: 'ERR_TRUNCATED' });
  const ncBody = arr(headLong(0, 1, 1), bstr(P.clientNonce), bstr(clientPub), uint(P.clientTime), tstr(P.origin), uint(1), bstr(cbOf(P.exporter!)), bstr(P.credential!), NULL);
  add(b, g, { comment: 'step 2: a non-preferred integer inside the signed body', flags: ['NonPreferred'], refs: ['hsEncoding', ...HS34], side: 'server', clientAuth: authOf(ncBody), expect: 'ERR_NON_PREFERRED' });
  add(b, g, { comment: 'step 2: the body bstr followed by a byte inside it', flags: ['TrailingBytes'], refs: ['hsEncoding', ...HS34], side: 'server', clientAuth: authOf(cat(body, Uint8Array.of(0x00))), expect: 'ERR_TRAILING_BYTES' });
  const shape = (comment: string, b2: Bytes) => add(b, g, { comment: `step 2: ${comment}`, flags: ['HandshakeShape'], refs: ['hsShape', ...HS34], side: 'server', clientAuth: authOf(b2), expect: 'ERR_HANDSHAKE_MALFORMED' });
  const bodyWith = (k: number, item: Bytes): Bytes => {
    const items = [uint(1), bstr(P.clientNonce), bstr(clientPub), uint(P.clientTime), tstr(P.origin), uint(1), bstr(cbOf(P.exporter!)), bstr(P.credential!), NULL];
    items[k] = item;
    return arr(...items);
  };
  shape('body with 8 members', arr(uint(1), bstr(P.clientNonce), bstr(clientPub), uint(P.clientTime), tstr(P.origin), uint(1), bstr(cbOf(P.exporter!)), bstr(P.credential!)));
  shape('client nonce of 31 bytes', bodyWith(1, bstr(fill(0x22, 31))));
  shape('client key of 33 bytes', bodyWith(2, bstr(cat(clientPub, Uint8Array.of(0)))));
  shape('time negative', bodyWith(3, nint(-1)));
  shape('origin as a byte string', bodyWith(4, bstr(enc.encode(P.origin))));
  shape('cb_type 2', bodyWith(5, uint(2)));
  shape('cb of 31 bytes with cb_type 1', bodyWith(6, bstr(fill(0x33, 31))));
  shape('credential as a text string', bodyWith(7, tstr('token')));
  shape('resume of 31 bytes', bodyWith(8, bstr(fill(0x77, 31))));
  shape('version as a text string', bodyWith(0, tstr('1')));
  add(b, g, { comment: 'step 2: signature of 63 bytes', flags: ['HandshakeShape'], refs: ['hsShape', ...HS34], side: 'server', clientAuth: arr(uint(2), bstr(body), bstr(fill(0, 63))), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'step 2: ClientAuth with 4 members', flags: ['HandshakeShape'], refs: ['hsShape', ...HS34], side: 'server', clientAuth: arr(uint(2), bstr(body), bstr(fill(0, 64)), NULL), expect: 'ERR_HANDSHAKE_MALFORMED' });
  const bigAuth = (comment: string, item: Bytes, k = 0) =>
    add(b, g, { comment, flags: ['HandshakeShape', 'CheckOrder', 'Boundary'], refs: ['hsIntBound', ...HS34, 'errPrecedence'], side: 'server', clientAuth: authOf(bodyWith(k, item)), expect: 'ERR_HANDSHAKE_MALFORMED' });
  bigAuth('step 2 before step 3: version 2^53 is malformed, not ERR_UNSUPPORTED_VERSION', uint(2n ** 53n));
  bigAuth('step 2 before step 3: version 2^64 - 1 is malformed, not ERR_UNSUPPORTED_VERSION', uint(2n ** 64n - 1n));
  bigAuth('step 2 before step 4: time 2^53 is malformed, not ERR_CLOCK_SKEW', uint(2n ** 53n), 3);
  add(b, g, { comment: 'step 3: version 2^53 - 1 decodes and is not in the hello', flags: ['Version', 'Boundary'], refs: ['hsIntBound', 'hsAuthOrder'], side: 'server', clientAuth: authOf(bodyWith(0, uint(2n ** 53n - 1n))), expect: 'ERR_UNSUPPORTED_VERSION' });
  // [HS-1.8]: message encoding, message shape, body encoding, body shape.
  const hs18 = (comment: string, clientAuth: Bytes, expect: string) =>
    add(b, g, { comment: `order: ${comment}`, flags: ['CheckOrder'], refs: ['hsDecodeOrder', ...HS34, 'errFirstCheck', 'errPrecedence'], side: 'server', clientAuth, expect });
  hs18('an encoding fault of the message before its shape (4 members, the last non-preferred)', arr(uint(2), bstr(body), bstr(fill(0, 64)), headLong(0, 1, 1)), 'ERR_NON_PREFERRED');
  hs18('the message\'s shape before the body\'s encoding (63-byte signature, non-preferred body)', arr(uint(2), bstr(ncBody), bstr(fill(0, 63))), 'ERR_HANDSHAKE_MALFORMED');
  hs18('the body\'s encoding before its shape (8 members, one non-preferred)', authOf(arr(headLong(0, 1, 1), bstr(P.clientNonce), bstr(clientPub), uint(P.clientTime), tstr(P.origin), uint(1), bstr(cbOf(P.exporter!)), bstr(P.credential!))), 'ERR_NON_PREFERRED');
  // [HS-1.7]: the body is decoded on its own, from depth 0 again (not from its depth in the message).
  add(b, g, { comment: 'step 2: body time nested in 15 arrays (depth 16 counted from the body): a shape fault', flags: ['HandshakeShape', 'Boundary'], refs: ['hsDepth', 'hsShape', ...HS34], side: 'server', clientAuth: authOf(bodyWith(3, nested(15))), expect: 'ERR_HANDSHAKE_MALFORMED' });
  add(b, g, { comment: 'step 2: body time nested in 16 arrays (depth 17 counted from the body): ERR_MALFORMED', flags: ['BadCbor', 'Boundary'], refs: ['hsDepth', 'hsEncoding', ...HS34], side: 'server', clientAuth: authOf(bodyWith(3, nested(16))), expect: 'ERR_MALFORMED' });
  add(b, g, { comment: 'a ServerHello sent to the server', flags: ['StateMachine'], refs: ['hsUnexpected'], side: 'server', clientAuth: pinned.hello, expect: 'ERR_UNEXPECTED_MESSAGE' });
  add(b, g, { comment: 'a data envelope before the Welcome', flags: ['StateMachine'], refs: ['hsUnexpected'], side: 'server', clientAuth: new Signer(P.clientSeed).seal({ seq: 0, ts: P.clientTime, stream: fill(0x0a, 16) }, enc.encode('early')).envelope, expect: 'ERR_UNEXPECTED_MESSAGE' });
  add(b, g, { comment: 'step 3: version 2, not in the hello', flags: ['Version'], refs: ['hsAuthOrder'], side: 'server', clientAuth: authOf(authBody(P, { version: 2 })), expect: 'ERR_UNSUPPORTED_VERSION' });
  for (const [d, expect] of [[5000, 'ok'], [5001, 'ERR_CLOCK_SKEW'], [-5000, 'ok'], [-5001, 'ERR_CLOCK_SKEW']] as const) {
    add(b, g, { comment: `step 4: client time = server time ${d < 0 ? '-' : '+'} ${Math.abs(d)}`, flags: ['ClockSkew', 'Boundary'], refs: ['hsAuthOrder'], side: 'server', inputs: { clientTime: P.serverTime + d }, expect });
  }
  add(b, g, { comment: 'step 5: origin differs from the one the transport reported', flags: ['Origin'], refs: ['hsOrigin', ...HS34], side: 'server', server: { peerOrigin: 'https://evil.example' }, expect: 'ERR_ORIGIN' });
  add(b, g, { comment: 'step 5: origin equals the transport\'s and is in the allow-list', flags: ['Origin'], refs: ['hsOrigin'], side: 'server', server: { peerOrigin: P.origin, origins: [P.origin, 'https://other.example'] }, expect: 'ok' });
  add(b, g, { comment: 'step 5: origin not in the allow-list (the transport\'s origin is)', flags: ['Origin'], refs: ['hsOrigin', ...HS34], side: 'server', inputs: { origin: 'https://evil.example' }, server: { peerOrigin: 'https://other.example', origins: ['https://other.example'] }, expect: 'ERR_ORIGIN' });
  add(b, g, { comment: 'step 6: cb from another TLS connection', flags: ['ChannelBinding'], refs: ['hsCbCheck', ...HS34], side: 'server', server: { exporter: hex(fill(0x34)) }, expect: 'ERR_CHANNEL_BINDING' });
  add(b, g, { comment: 'step 6: cb_type 1 at a server without an exporter', flags: ['ChannelBinding'], refs: ['hsCbCheck', ...HS34], side: 'server', server: { exporter: null }, expect: 'ERR_CHANNEL_BINDING' });
  add(b, g, { comment: 'step 6: the raw exporter sent instead of its hash', flags: ['ChannelBinding'], refs: ['hsCbHash', 'hsCbCheck'], side: 'server', body: authBody(P, { cb: P.exporter! }), expect: 'ERR_CHANNEL_BINDING' });
  add(b, g, { comment: 'step 6: binding required, cb_type 0', flags: ['ChannelBinding'], refs: ['hsCbOptional', ...HS34], side: 'server', inputs: { exporter: null }, server: { exporter: hex(P.exporter!), requireChannelBinding: true }, expect: 'ERR_CHANNEL_BINDING' });
  const lowOrder = Uint8Array.of(1, ...new Uint8Array(31)); // the identity point
  add(b, g, { comment: 'step 7: the client key is the identity point (small order)', flags: ['BadKey'], refs: ['hsAuthOrder', 'verKeySmallOrder'], side: 'server', clientAuth: signed(2, authBody(P, { key: lowOrder }), new Uint8Array(64)), expect: 'ERR_BAD_KEY' });
  add(b, g, { comment: 'step 7: the client key is revoked at the server', flags: ['Revocation'], refs: ['hsAuthOrder'], side: 'server', server: { revoked: [clientKid] }, expect: 'ERR_KEY_REVOKED' });
  const wrongHello = hello({ ...P, serverNonce: fill(0x12) });
  add(b, g, { comment: 'step 8: signed over a hello with another server nonce', flags: ['BadSignature'], refs: ['hsClientSig', 'hsTranscript', ...HS34], side: 'server', clientAuth: signed(2, body, sig(P, wrongHello, body)), expect: 'ERR_BAD_SIGNATURE' });
  add(b, g, { comment: 'step 8: signed by another key than the body names', flags: ['BadSignature'], refs: ['hsClientSig', ...HS34], side: 'server', clientAuth: signed(2, body, signRef(seed('handshake other client'), clientInput(pinned.th))), expect: 'ERR_BAD_SIGNATURE' });
  add(b, g, { comment: 'step 8: TH signed without the domain text', flags: ['BadSignature'], refs: ['hsClientSig', ...HS34], side: 'server', clientAuth: signed(2, body, signRef(P.clientSeed, pinned.th)), expect: 'ERR_BAD_SIGNATURE' });
  const flippedSig = pinned.clientAuth.slice();
  flippedSig[flippedSig.length - 1]! ^= 0x80;
  add(b, g, { comment: 'step 8: one bit of the signature flipped', flags: ['BadSignature'], refs: ['hsClientSig', ...HS34], side: 'server', clientAuth: flippedSig, expect: 'ERR_BAD_SIGNATURE' });
  add(b, g, { comment: 'step 9: a credential the server does not know', flags: ['Credential'], refs: ['hsIdentity', ...HS34], side: 'server', server: { accounts: [{ credential: hex(enc.encode('other token')), identity: 'bob', roles: [] }] }, expect: 'ERR_UNAUTHENTICATED' });
  add(b, g, { comment: 'step 9: the credential expired (expires = server time)', flags: ['Credential', 'Boundary'], refs: ['hsIdentity', ...HS34], side: 'server', server: { accounts: [{ credential: hex(P.credential!), identity: 'alice', roles: [], expires: P.serverTime }] }, expect: 'ERR_CREDENTIAL_EXPIRED' });
  add(b, g, { comment: 'step 9: the hook refuses with ERR_CREDENTIAL_KEY_MISMATCH', flags: ['Credential'], refs: ['hsIdentity', ...HS34], side: 'server', server: { accounts: [{ credential: hex(P.credential!), code: 'ERR_CREDENTIAL_KEY_MISMATCH' }] }, expect: 'ERR_CREDENTIAL_KEY_MISMATCH' });
  add(b, g, { comment: 'no hook: a static key with an identity in the server ring', flags: ['Credential'], refs: ['hsIdentity'], side: 'both', inputs: { credential: null, roles: [] }, server: { keys: [{ publicKey: hex(clientPub), identity: 'alice' }] }, expect: 'ok' });
  add(b, g, { comment: 'no hook: a key the server ring does not hold', flags: ['Credential'], refs: ['hsIdentity'], side: 'server', inputs: { credential: null }, server: { keys: [] }, expect: 'ERR_UNAUTHENTICATED' });
  add(b, g, { comment: 'the key is already in the ring under another identity', flags: ['Credential'], refs: ['hsOneIdentity'], side: 'server', server: { keys: [{ publicKey: hex(clientPub), identity: 'bob' }], ...accountsOf(P) }, expect: 'ERR_UNAUTHENTICATED' });

  // Order of [HS-3.4] and [HS-3.5]: two rules broken, the earlier code wins.
  const order = (comment: string, c: Omit<Case, 'comment' | 'flags' | 'refs' | 'side'>) =>
    add(b, g, { comment: `order: ${comment}`, flags: ['CheckOrder'], refs: ['hsAuthOrder', 'hsCheapFirst'], side: 'server', ...c });
  order('unsupported version before clock skew', { inputs: { clientTime: P.serverTime + 60_000 }, clientAuth: authOf(authBody({ ...P, clientTime: P.serverTime + 60_000 }, { version: 2 })), expect: 'ERR_UNSUPPORTED_VERSION' });
  order('clock skew before origin', { inputs: { clientTime: P.serverTime + 60_000 }, server: { peerOrigin: 'https://evil.example' }, expect: 'ERR_CLOCK_SKEW' });
  order('origin before channel binding', { server: { peerOrigin: 'https://evil.example', exporter: null }, expect: 'ERR_ORIGIN' });
  order('channel binding before the key', { clientAuth: signed(2, authBody(P, { key: lowOrder }), new Uint8Array(64)), server: { exporter: null }, expect: 'ERR_CHANNEL_BINDING' });
  order('a revoked key before the signature', { clientAuth: flippedSig, server: { keys: [{ publicKey: hex(clientPub), identity: 'alice' }], revoked: [clientKid] }, expect: 'ERR_KEY_REVOKED' });
  order('a kid revoked while not in the ring, before the signature', { clientAuth: flippedSig, server: { revoked: [clientKid] }, expect: 'ERR_KEY_REVOKED' });
  order('the signature before the credential', { clientAuth: flippedSig, server: { accounts: [] }, expect: 'ERR_BAD_SIGNATURE' });
  order('clock skew before the signature', { inputs: { clientTime: P.serverTime + 60_000 }, clientAuth: signed(2, authBody({ ...P, clientTime: P.serverTime + 60_000 }), new Uint8Array(64)), expect: 'ERR_CLOCK_SKEW' });
  return b.build();
}
