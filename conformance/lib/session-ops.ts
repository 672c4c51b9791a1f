// The driver's session ops (conformance/README.md): one real SecureServer per `session.reset`, whose
// sessions stay open across requests, so a vector can drive the data phase, let time pass, and
// resume. Time is virtual (virtual-time.ts): the server's clock starts at `serverTime` and it and
// the server's timers move only by `session.advance`, so timer boundaries are exact.
import { OP_POSITION } from '../../src/session/messages.js';
import { isRoomFrame } from '../../src/rooms/frames.js';
import { fromHex, toHex } from '../../src/bytes.js';
import type { Ed25519Backend } from '../../src/crypto/backend.js';
import { importPublicKey, importSigningKey, type PublicKey } from '../../src/keys/keys.js';
import { KeyRing } from '../../src/keys/keyring.js';
import { open } from '../../src/envelope/open.js';
import { RECEIPT_CONTENT_TYPE } from '../../src/delivery/receipt.js';
import { SecureServer } from '../../src/session/server.js';
import type { ServerSession } from '../../src/session/server-session.js';
import type { CloseInfo } from '../../src/session/transport.js';
import { jwtAuthenticator } from '../../src/session/jwt.js';
import { MemoryTransport, accountsHook, answerClientAuth, readLimits, withNonce } from './handshake-ops.js';
import { RequestError, hex, optBool, optHex, optObject, optObjects, optString, optStrings, optUint, string, uint, type Answer, type Request } from './fields.js';
import type { RateLimit } from '../../src/policy/rate-limit.js';
import { VirtualTime } from './virtual-time.js';

/** `{perSecond, burst}` of a `rateLimit` member, if present. */
function readRate(o: Request | undefined, name: string): RateLimit | undefined {
  const r = o === undefined ? undefined : optObject(o, name);
  return r === undefined ? undefined : { perSecond: uint(r, 'perSecond'), burst: uint(r, 'burst') };
}

/** `refuse` rules: authorize refuses a request matching every member a rule gives. */
function readRefusals(req: Request): { action?: string; channel?: string; identity?: string }[] {
  return (optObjects(req, 'refuse') ?? []).map((r) => {
    const out: { action?: string; channel?: string; identity?: string } = {};
    for (const k of ['action', 'channel', 'identity'] as const) {
      const v = optString(r, k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  });
}

/** How long a step may take before the driver gives up on a verdict (a hung implementation). */
const STEP_TIMEOUT_MS = 2000;

interface Live {
  session: ServerSession;
  transport: MemoryTransport;
  /** How many of `transport.sent` earlier answers already reported. */
  reported: number;
  closed: CloseInfo | undefined;
}

function closedAnswer(info: CloseInfo): Answer {
  if (info.error === undefined) return { ok: false, error: `session closed without a protocol error (${info.code} ${info.reason})` };
  return { ok: false, code: info.error.code, closeCode: info.code };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class SessionOps {
  #server: SecureServer | undefined;
  #serverKey: PublicKey | undefined;
  #exporter: Uint8Array | undefined;
  #ring: KeyRing | undefined;
  #live: Live | undefined;
  #time: VirtualTime | undefined;
  /** Settles each time the server reports a verdict on a data-phase message. */
  #verdict: (() => void) | undefined;

  constructor(readonly backend: Ed25519Backend) {}

  close(): void {
    this.#server?.close();
    this.#server = undefined;
    this.#live = undefined;
    this.#time = undefined;
  }

  /**
   * `session.reset`: a new server (the previous one is closed) with `serverSeed`, `serverTime`,
   * `limits`, and the policy fields of `handshake.server`; `jwt` (`{issuerKey, issuer, audience}`)
   * makes the authenticate hook a JWT verifier of spec/handshake.md [HS-5.2] instead of `accounts`;
   * `forbidden` lists rooms `authorize` refuses.
   */
  reset(req: Request): Answer {
    this.close();
    const serverSeed = hex(req, 'serverSeed', 32);
    const time = new VirtualTime(uint(req, 'serverTime'));
    const limits = readLimits(req);
    const accounts = optObjects(req, 'accounts');
    const jwt = optObject(req, 'jwt');
    if (accounts !== undefined && jwt !== undefined) throw new RequestError('"accounts" and "jwt" are exclusive');
    const origins = optStrings(req, 'origins');
    const forbidden = new Set(optStrings(req, 'forbidden') ?? []);
    const refusals = readRefusals(req);
    const rate = optObject(req, 'rateLimit');
    const connectionRate = readRate(rate, 'connection');
    const identityRate = readRate(rate, 'identity');
    const perIdentity = optUint(req, 'maxConnectionsPerIdentity');
    const perIp = optUint(req, 'maxConnectionsPerIp');
    const ring = new KeyRing({ backend: this.backend });
    this.#ring = ring;
    for (const k of optObjects(req, 'keys') ?? []) ring.add(hex(k, 'publicKey', 32), { identity: string(k, 'identity'), issuedAt: 0 });
    const key = importSigningKey(serverSeed, { backend: this.backend });
    this.#serverKey = importPublicKey(key.publicKey, { backend: this.backend });
    this.#exporter = optHex(req, 'exporter');
    const authenticate =
      accounts !== undefined
        ? accountsHook(accounts)
        : jwt !== undefined
          ? jwtAuthenticator({
              key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex(jwt, 'issuerKey', 32)).toString('base64url') },
              issuer: string(jwt, 'issuer'),
              audience: string(jwt, 'audience'),
              clock: time.now,
            })
          : undefined;
    this.#server = new SecureServer({
      key,
      keys: ring,
      authorize: ({ identity, action, room }) =>
        (room === null || !forbidden.has(room)) &&
        !refusals.some(
          (r) =>
            (r.action === undefined || r.action === action) &&
            (r.channel === undefined || r.channel === room) &&
            (r.identity === undefined || r.identity === identity),
        ),
      ...(connectionRate !== undefined || identityRate !== undefined
        ? { rateLimit: { ...(connectionRate ? { connection: connectionRate } : {}), ...(identityRate ? { identity: identityRate } : {}) } }
        : {}),
      ...(authenticate !== undefined ? { authenticate } : {}),
      ...(origins !== undefined ? { origins } : {}),
      requireChannelBinding: optBool(req, 'requireChannelBinding') ?? false,
      limits: {
        ...limits,
        ...(perIdentity !== undefined ? { maxConnectionsPerIdentity: perIdentity } : {}),
        ...(perIp !== undefined ? { maxConnectionsPerIp: perIp } : {}),
      },
      clock: time.now,
      timers: time.timers,
      onEvent: (e) => {
        if (e.type === 'message') this.#verdict?.();
      },
    });
    this.#time = time;
    return { ok: true };
  }

  #needServer(): SecureServer {
    if (this.#server === undefined) throw new RequestError('no server: send {"op":"session.reset"} first');
    return this.#server;
  }

  #needLive(): Live {
    if (this.#live === undefined) throw new RequestError('no session: send {"op":"session.open"} first');
    return this.#live;
  }

  /**
   * `session.open`: a new connection (earlier ones stay as they are) whose hello uses `serverNonce`;
   * with `clientAuth`, the server receives it and answers the Welcome and session (and `sent`, the
   * application messages it sent right after the Welcome) or the code.
   */
  async open(req: Request): Promise<Answer> {
    const server = this.#needServer();
    const nonce = hex(req, 'serverNonce', 32);
    const clientAuth = optHex(req, 'clientAuth');
    const peerOrigin = optString(req, 'peerOrigin');
    const peerAddress = optString(req, 'peerAddress');
    // A refusal at admission (origin, per-IP cap) throws its ProtocolError: {"ok":false,"code"},
    // no hello and no close code, as an upgrade refused before any WebSocket exists.
    const admission = server.admit({
      ...(peerOrigin !== undefined ? { origin: peerOrigin } : {}),
      ...(peerAddress !== undefined ? { address: peerAddress } : {}),
    });
    const transport = new MemoryTransport();
    const exporter = this.#exporter;
    const session = withNonce(nonce, () => server.accept(transport, admission, exporter === undefined ? {} : { tlsExporter: exporter }));
    const live: Live = { session, transport, reported: 2, closed: undefined };
    void session.closed.then((info) => (live.closed = info));
    this.#live = live;
    const hello = transport.sent[0];
    if (hello === undefined) return { ok: false, error: 'the server sent no hello' };
    if (clientAuth === undefined) return { ok: true, hello: toHex(hello) };
    const answer = await answerClientAuth(session, transport, clientAuth, closedAnswer);
    // On resume: what the server resent at once ([HS-7.5]).
    if (answer['ok'] === true) answer['sent'] = this.#sentPayloads(live);
    return answer;
  }

  /**
   * Payloads of the data envelopes the server sent since the last answer. Receipts are left out,
   * and so are Positions ([ROOM-6.3]): they name a room's random epoch, which room vectors cover.
   */
  #sentPayloads(live: Live): string[] {
    const out: string[] = [];
    const sid = live.session.sessionId;
    if (sid === undefined) return out;
    const binding = new Uint8Array(33);
    binding.set(fromHex(sid));
    binding[32] = 0x02;
    for (const bytes of live.transport.sent.slice(live.reported)) {
      if (isRoomFrame(bytes)) continue;
      const o = open(bytes, { keys: this.#serverKey!, binding });
      if (o.contentType !== RECEIPT_CONTENT_TYPE && !(o.payload[0] === 0x86 && o.payload[1] === OP_POSITION)) out.push(toHex(o.payload));
    }
    live.reported = live.transport.sent.length;
    return out;
  }

  /**
   * `session.send`: the client's data-phase `envelope` into the last opened session. Answers
   * `{"ok":true,"sent":[payload…]}` (the application messages the server sent back on this
   * session), or the code and close code the session ended with.
   */
  async send(req: Request): Promise<Answer> {
    const live = this.#needLive();
    const envelope = hex(req, 'envelope');
    if (live.closed !== undefined) return closedAnswer(live.closed);
    const before = live.transport.sent.length;
    // A verdict event, a close, or anything sent back (a resent duplicate is answered by a receipt only).
    const verdict = new Promise<void>((resolve) => {
      this.#verdict = resolve;
      live.transport.onSend = resolve;
    });
    const timeout = sleep(STEP_TIMEOUT_MS).then(() => 'timeout' as const);
    live.session.receive(envelope);
    const r = await Promise.race([verdict, live.session.closed, timeout]);
    this.#verdict = undefined;
    live.transport.onSend = undefined;
    void before;
    if (r === 'timeout') return { ok: false, error: 'no verdict on the envelope' };
    // The verdict event comes before the request is answered: let the dispatch finish.
    await tick();
    await tick();
    if (live.closed !== undefined || live.session.state === 'closed') return closedAnswer(live.closed ?? (await live.session.closed));
    return { ok: true, sent: this.#sentPayloads(live) };
  }

  /**
   * `session.advance`: moves the server's clock by exactly `ms`, firing the timers due by then in
   * order. Answers `{"ok":true}` while the last opened session is still up, else its code and close
   * code.
   */
  async advance(req: Request): Promise<Answer> {
    const live = this.#needLive();
    await this.#time!.advance(uint(req, 'ms'), async () => {
      await tick();
      await tick();
    });
    await tick();
    if (live.session.state === 'closed') return closedAnswer(await live.session.closed);
    return { ok: true };
  }

  /**
   * `session.revoke`: revokes `kid` in the server's key ring (sessions of that key close at once,
   * spec/policy.md [POL-6.1]); answers as `session.advance` does for the last opened session.
   */
  async revoke(req: Request): Promise<Answer> {
    this.#needServer();
    this.#ring!.revokeKey(hex(req, 'kid'));
    const live = this.#needLive();
    await tick();
    if (live.session.state === 'closed') return closedAnswer(await live.session.closed);
    return { ok: true };
  }

  /** `session.drop`: the last opened session's transport is lost (close code 1006). */
  async drop(): Promise<Answer> {
    const live = this.#needLive();
    live.session.transportClosed(1006, '');
    await live.session.closed;
    return { ok: true };
  }
}
