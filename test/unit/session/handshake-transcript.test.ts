// spec/handshake.md pinned: a transcript with fixed keys, nonces and times, derived here a second
// time with the tests' CBOR byte builder and node:crypto, so the implementation cannot agree with
// itself by accident. The live handshake is then checked against the same independent derivation.
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  SecureServer,
  importPublicKey,
  importSigningKey,
  publicKeyOf,
  toHex,
} from '../../../src/index.js';
import {
  channelBindingHash,
  clientSignatureInput,
  decodeAuth,
  decodeHello,
  decodeWelcome,
  encodeAuthBody,
  encodeHello,
  serverSignatureInput,
  transcriptHash,
} from '../../../src/session/handshake.js';
import { memoryLink } from '../../helpers/net-memory.js';
import { arr, bstr, head, int as uint, tstr } from '../../helpers/cbor-builder.js';

// The CBOR bytes come from the tests' byte builder, written apart from src/wire/cbor.ts.
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

function nodeKey(seed: Uint8Array) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { priv, pub: createPublicKey(priv) };
}

const fill = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const SERVER_SEED = fill(0x01);
const CLIENT_SEED = fill(0x02);
const SERVER_NONCE = fill(0x11);
const CLIENT_NONCE = fill(0x22);
const EXPORTER = fill(0x33);
const SERVER_TIME = 1_700_000_000_000;
const CLIENT_TIME = 1_700_000_000_250;
const LIMITS = { maxSkewMs: 5000, maxMessageSize: 65536, window: 1024, handshakeTimeoutMs: 10000 };
const ORIGIN = 'https://chat.example';
const CREDENTIAL = new TextEncoder().encode('token');

describe('handshake transcript with fixed inputs (spec/handshake.md §1–§4)', () => {
  const serverPub = publicKeyOf(SERVER_SEED);
  const clientPub = publicKeyOf(CLIENT_SEED);

  const independentHello = arr(
    uint(1),
    arr(uint(1)),
    bstr(SERVER_NONCE),
    bstr(serverPub),
    uint(SERVER_TIME),
    Buffer.concat([head(5, 4), uint(1), uint(5000), uint(2), uint(65536), uint(3), uint(1024), uint(4), uint(10000)]),
  );
  const independentCb = sha256(arr(tstr('sealwire/1 tls-exporter'), bstr(EXPORTER)));
  const independentBody = arr(
    uint(1),
    bstr(CLIENT_NONCE),
    bstr(clientPub),
    uint(CLIENT_TIME),
    tstr(ORIGIN),
    uint(1),
    bstr(independentCb),
    bstr(CREDENTIAL),
    Buffer.of(0xf6),
  );
  const independentTh = sha256(arr(tstr('sealwire/1 transcript'), bstr(independentHello), bstr(independentBody)));

  it('encodes the hello and the auth body byte for byte as the spec says [HS-1.1], [HS-4.2]', () => {
    const hello = encodeHello({ versions: [1], nonce: SERVER_NONCE, key: serverPub, time: SERVER_TIME, limits: LIMITS });
    expect(toHex(hello)).toBe(toHex(independentHello));
    expect(toHex(channelBindingHash(EXPORTER))).toBe(toHex(independentCb));
    const body = encodeAuthBody({
      version: 1,
      nonce: CLIENT_NONCE,
      key: clientPub,
      time: CLIENT_TIME,
      origin: ORIGIN,
      cbType: 1,
      cb: independentCb,
      credential: CREDENTIAL,
      resume: null,
    });
    expect(toHex(body)).toBe(toHex(independentBody));
    expect(decodeHello(hello).limits).toEqual(LIMITS);
  });

  it('derives the session id as SHA-256 of the transcript [HS-3.1], [HS-3.2]', () => {
    const th = transcriptHash(independentHello, independentBody);
    expect(toHex(th)).toBe(toHex(independentTh));
    // Pinned: any change to the encoding or the domain strings is a protocol change.
    expect(toHex(th)).toBe(PINNED_SESSION_ID);
  });

  it('signs domain-separated inputs that node:crypto verifies [HS-3.3], [HS-6.1]', () => {
    const client = importSigningKey(CLIENT_SEED);
    const input = clientSignatureInput(independentTh);
    expect(toHex(input)).toBe(toHex(arr(tstr('sealwire/1 client auth'), bstr(independentTh))));
    const sig = client.sign(input);
    expect(verify(null, input, nodeKey(CLIENT_SEED).pub, sig)).toBe(true);
    // Ed25519 is deterministic: the signature is a fixed vector too.
    expect(toHex(sig)).toBe(toHex(sign(null, input, nodeKey(CLIENT_SEED).priv)));
    const welcomeBody = arr(bstr(independentTh), uint(SERVER_TIME + 1), tstr('alice'), arr(tstr('user')), Buffer.of(0xf6));
    expect(toHex(serverSignatureInput(independentTh, welcomeBody))).toBe(
      toHex(arr(tstr('sealwire/1 server welcome'), bstr(independentTh), bstr(welcomeBody))),
    );
  });
});

describe('a live handshake matches the independent derivation', () => {
  it('session id, client signature and welcome signature all check out from the wire bytes', async () => {
    const server = new SecureServer({
      key: importSigningKey(SERVER_SEED),
      authenticate: () => ({ identity: 'alice', roles: ['user'] }),
      authorize: () => true,
    });
    const link = memoryLink();
    const session = server.accept(link.server, server.admit({}), { tlsExporter: EXPORTER });
    const client = new ClientSession(link.client, {
      key: importSigningKey(CLIENT_SEED),
      serverKey: importPublicKey(publicKeyOf(SERVER_SEED)),
      credential: CREDENTIAL,
      channelBinding: () => EXPORTER,
    });
    link.connect(session, client);
    await client.ready;
    const [hello] = link.fromServer;
    const [auth] = link.fromClient;
    const welcome = link.fromServer[1]!;
    const { bodyBytes, signature } = decodeAuth(auth!);
    const th = sha256(arr(tstr('sealwire/1 transcript'), bstr(hello!), bstr(bodyBytes)));
    expect(client.sessionId).toBe(th.toString('hex'));
    expect(session.sessionId).toBe(th.toString('hex'));
    expect(verify(null, arr(tstr('sealwire/1 client auth'), bstr(th)), nodeKey(CLIENT_SEED).pub, signature)).toBe(true);
    const w = decodeWelcome(welcome);
    expect(w.body).toMatchObject({ identity: 'alice', roles: ['user'], expires: null });
    expect(verify(null, arr(tstr('sealwire/1 server welcome'), bstr(th), bstr(w.bodyBytes)), nodeKey(SERVER_SEED).pub, w.signature)).toBe(true);
    server.close();
  });
});

const PINNED_SESSION_ID = 'a5be3fb3f178f08063c86edc3b1804666e5711b7fb5b511e0295b493dca9c085';
