// The driver's handshake ops (conformance/README.md): the library's real ServerSession and
// ClientSession over an in-memory transport, with the clocks fixed and the nonces the vector gives.
// The sessions are closed at the end of every op, so no timer outlives it.
import { ProtocolError, type ErrorCode } from '../../src/errors.js';
import { equalBytes, toHex } from '../../src/bytes.js';
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { importPublicKey, importSigningKey } from '../../src/keys/keys.js';
import { KeyRing } from '../../src/keys/keyring.js';
import type { CloseInfo, Transport } from '../../src/session/transport.js';
import { ClientSession } from '../../src/session/client-session.js';
import { SecureServer } from '../../src/session/server.js';
import type { Authenticate, ServerSession } from '../../src/session/server-session.js';
import {
  RequestError,
  hex,
  optBool,
  optHex,
  optObject,
  optObjects,
  optString,
  optStrings,
  optUint,
  string,
  uint,
  type Answer,
  type Request,
} from './fields.js';

/** A transport that records what the session sends and how it closes. */
export class MemoryTransport implements Transport {
  readonly sent: Uint8Array[] = [];
  /** Called after each message the session sends. */
  onSend: (() => void) | undefined;
  send(bytes: Uint8Array): void {
    this.sent.push(bytes.slice());
    this.onSend?.();
  }
  close(): void {}
}

/**
 * Runs `fn` with `crypto.getRandomValues` answering each request of `nonce.length` bytes with the
 * given nonce, once: the only randomness of a handshake message is its nonce, and a vector pins it.
 * Other draws (stream ids) stay random.
 */
export function withNonce<T>(nonce: Uint8Array, fn: () => T): T {
  const c = globalThis.crypto;
  const real = c.getRandomValues.bind(c);
  let used = false;
  Object.defineProperty(c, 'getRandomValues', {
    configurable: true,
    writable: true,
    value: <A extends ArrayBufferView | null>(a: A): A => {
      if (!used && a instanceof Uint8Array && a.length === nonce.length) {
        used = true;
        a.set(nonce);
        return a;
      }
      return real(a as never) as A;
    },
  });
  try {
    return fn();
  } finally {
    delete (c as { getRandomValues?: unknown }).getRandomValues;
    if (!used) throw new RequestError(`the implementation drew no ${nonce.length}-byte nonce`);
  }
}

export function codeOf(info: CloseInfo): Answer {
  if (info.error !== undefined) return { ok: false, code: info.error.code };
  return { ok: false, error: `session closed without a protocol error (${info.code} ${info.reason})` };
}

/**
 * Hands `clientAuth` to a server session whose hello is `transport.sent[0]`, and answers the
 * hello with the Welcome and who the server authenticated, or with the close as `closeAnswer` reads it.
 */
export async function answerClientAuth(
  session: ServerSession,
  transport: MemoryTransport,
  clientAuth: Uint8Array,
  closeAnswer: (info: CloseInfo) => Answer,
): Promise<Answer> {
  const hello = toHex(transport.sent[0]!);
  const done = outcome(session);
  session.receive(clientAuth);
  const closed = await done;
  if (closed !== undefined) return { ...closeAnswer(closed), hello };
  const welcome = transport.sent[1];
  if (welcome === undefined) return { ok: false, error: 'the server sent no Welcome', hello };
  return {
    ok: true,
    hello,
    welcome: toHex(welcome),
    sessionId: session.sessionId ?? null,
    identity: session.identity ?? null,
    roles: [...session.roles],
  };
}

/** Settles with the close, or undefined once the session is open. */
export function outcome(session: { on(e: 'open', f: () => void): unknown; closed: Promise<CloseInfo> }): Promise<CloseInfo | undefined> {
  return new Promise((resolve) => {
    session.on('open', () => resolve(undefined));
    void session.closed.then(resolve);
  });
}

export function readLimits(req: Request) {
  const l = optObject(req, 'limits');
  if (l === undefined) throw new RequestError('"limits" expected an object');
  return {
    maxSkewMs: uint(l, 'maxSkewMs'),
    maxMessageSize: uint(l, 'maxMessageSize'),
    window: uint(l, 'window'),
    handshakeTimeoutMs: uint(l, 'handshakeTimeoutMs'),
  };
}

const ACCOUNT_CODES = new Set<ErrorCode>(['ERR_UNAUTHENTICATED', 'ERR_CREDENTIAL_EXPIRED', 'ERR_CREDENTIAL_KEY_MISMATCH']);

/** `accounts` as an authenticate hook: a listed credential gives its identity or its code. */
export function accountsHook(accounts: Request[]): Authenticate {
  const table = accounts.map((a) => {
    const code = optString(a, 'code');
    if (code !== undefined && !ACCOUNT_CODES.has(code as ErrorCode)) throw new RequestError(`"accounts[].code" ${code} is not a credential code`);
    return {
      credential: a['credential'] === null ? null : hex(a, 'credential'),
      identity: optString(a, 'identity'),
      roles: optStrings(a, 'roles') ?? [],
      expires: optUint(a, 'expires'),
      code: code as ErrorCode | undefined,
    };
  });
  return (credential) => {
    const a = table.find((t) => (t.credential === null ? credential === null : credential !== null && equalBytes(t.credential, credential)));
    if (a === undefined) throw new ProtocolError('ERR_UNAUTHENTICATED', 'unknown credential');
    if (a.code !== undefined) throw new ProtocolError(a.code, 'credential refused');
    if (a.identity === undefined) throw new RequestError('"accounts[].identity" expected a string');
    return { identity: a.identity, roles: a.roles, ...(a.expires !== undefined ? { expiresAt: a.expires } : {}) };
  };
}

/**
 * `handshake.server`: a server with the given key, nonce, clock, limits and policy sends its hello
 * and receives `clientAuth`. Answers the hello and then the Welcome and session id, or the code.
 */
export async function handshakeServer(req: Request, backend: Ed25519Backend): Promise<Answer> {
  const serverSeed = hex(req, 'serverSeed', 32);
  const nonce = hex(req, 'serverNonce', 32);
  const serverTime = uint(req, 'serverTime');
  const limits = readLimits(req);
  const clientAuth = hex(req, 'clientAuth');
  const exporter = optHex(req, 'exporter');
  const peerOrigin = optString(req, 'peerOrigin');
  const origins = optStrings(req, 'origins');
  const requireChannelBinding = optBool(req, 'requireChannelBinding') ?? false;
  const accounts = optObjects(req, 'accounts');
  const ring = new KeyRing({ backend });
  for (const k of optObjects(req, 'keys') ?? []) ring.add(hex(k, 'publicKey', 32), { identity: string(k, 'identity'), issuedAt: 0 });
  for (const kid of optStrings(req, 'revoked') ?? []) ring.revokeKey(hex({ kid }, 'kid'));

  const server = new SecureServer({
    key: importSigningKey(serverSeed, { backend }),
    keys: ring,
    authorize: () => true,
    ...(accounts !== undefined ? { authenticate: accountsHook(accounts) } : {}),
    ...(origins !== undefined ? { origins } : {}),
    requireChannelBinding,
    limits,
    clock: () => serverTime,
  });
  try {
    let admission;
    try {
      admission = server.admit(peerOrigin === undefined ? {} : { origin: peerOrigin });
    } catch (err) {
      if (err instanceof ProtocolError) return { ok: false, code: err.code };
      throw err;
    }
    const transport = new MemoryTransport();
    const session = withNonce(nonce, () => server.accept(transport, admission, exporter === undefined ? {} : { tlsExporter: exporter }));
    const hello = transport.sent[0];
    if (hello === undefined) return { ok: false, error: 'the server sent no hello' };
    return await answerClientAuth(session, transport, clientAuth, codeOf);
  } finally {
    server.close();
  }
}

/**
 * `handshake.client`: a client with the given key, nonce, clock and pinned server key receives
 * `hello` and answers its ClientAuth; given `welcome` too, it then verifies the Welcome and
 * answers the session id. A refusal answers the code (and the ClientAuth, if one was sent).
 */
export async function handshakeClient(req: Request, backend: Ed25519Backend): Promise<Answer> {
  const clientSeed = hex(req, 'clientSeed', 32);
  const nonce = hex(req, 'clientNonce', 32);
  const clientTime = uint(req, 'clientTime');
  const serverKey = hex(req, 'serverKey', 32);
  const origin = optString(req, 'origin') ?? '';
  const exporter = optHex(req, 'exporter');
  const credential = optHex(req, 'credential');
  const resume = optHex(req, 'resume');
  const hello = hex(req, 'hello');
  const welcome = optHex(req, 'welcome');

  const transport = new MemoryTransport();
  const client = new ClientSession(transport, {
    key: importSigningKey(clientSeed, { backend }),
    serverKey: importPublicKey(serverKey, { backend }),
    origin,
    ...(credential !== undefined ? { credential } : {}),
    ...(exporter !== undefined ? { channelBinding: () => exporter } : {}),
    ...(resume !== undefined ? { resume } : {}),
    clock: () => clientTime,
  });
  try {
    const done = outcome(client);
    // A refused hello draws no nonce: only a hello that passes its checks is answered.
    let drew = true;
    try {
      withNonce(nonce, () => client.receive(hello));
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      drew = false;
    }
    const clientAuth = transport.sent[0];
    if (client.state === 'closed') return codeOf((await client.closed));
    if (!drew || clientAuth === undefined) return { ok: false, error: 'the client sent no ClientAuth' };
    const auth = { clientAuth: toHex(clientAuth) };
    if (welcome === undefined) return { ok: true, ...auth };
    client.receive(welcome);
    const closed = await done;
    if (closed !== undefined) return { ...codeOf(closed), ...auth };
    return {
      ok: true,
      ...auth,
      sessionId: client.sessionId ?? null,
      identity: client.identity ?? null,
      roles: [...client.roles],
      expires: client.expires,
    };
  } finally {
    client.close();
  }
}
