// sealwire's conformance driver: one JSON request per stdin line, one JSON answer per stdout line,
// in order (conformance/README.md documents every op). Any implementation that speaks this protocol
// can be checked by conformance/run.ts; this one drives the TypeScript library on either backend.
import { createInterface } from 'node:readline';
import { ProtocolError } from '../src/errors.js';
import { toHex } from '../src/bytes.js';
import { RequestError, hex, optBool, optHex, optString, optUint, uint, type Answer, type Request } from './lib/fields.js';
import { getBackend } from '../src/crypto/select.js';
import { verifyStrict } from '../src/crypto/ed25519.js';
import type { Ed25519Backend } from '../src/crypto/backend.js';
import { importPublicKey, importSigningKey } from '../src/keys/keys.js';
import { KeyRing } from '../src/keys/keyring.js';
import { seal } from '../src/envelope/seal.js';
import { open, type Opened, type OpenOptions } from '../src/envelope/open.js';
import { ALG_ED25519, ALG_EDDSA, externalAad } from '../src/wire/envelope.js';
import { Receiver } from '../src/envelope/receiver.js';
import { handshakeClient, handshakeServer } from './lib/handshake-ops.js';
import { receiptDecode, receiptEncode, receiptVerify } from './lib/receipt-ops.js';
import { DeliveryOps } from './lib/delivery-ops.js';
import { newStore, receiverSettings, type FailPhase, type ReceiverSettings, type SharedStore } from './lib/replay-store.js';
import { SenderOps, errorClose } from './lib/sender-ops.js';
import { roomTranscript } from './lib/transcript-ops.js';
import { addKey, keyringOp } from './lib/keyring-ops.js';
import { SessionOps } from './lib/session-ops.js';
import { RoomOps } from './lib/room-ops.js';
import { NodeOps } from './lib/node-ops.js';
import { E2EE_OPS, e2eeOp } from './lib/e2ee-ops.js';
import { E2eeMemberOps } from './lib/e2ee-member-ops.js';

function parseArgs(argv: string[]): { backend: string } {
  let backend = 'node';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--backend') backend = argv[++i] ?? '';
    else if (a.startsWith('--backend=')) backend = a.slice('--backend='.length);
    else throw new Error(`unknown argument: ${a}`);
  }
  return { backend };
}

function openedAnswer(o: Opened): Answer {
  return {
    ok: true,
    payload: toHex(o.payload),
    seq: o.seq,
    ts: o.ts,
    stream: toHex(o.stream),
    kid: toHex(o.kid),
    contentType: o.contentType,
  };
}

/** Runs `fn`; a ProtocolError becomes `{"ok":false,"code"}`, misuse errors become `{"ok":false,"error"}`. */
function protocol(fn: () => Answer): Answer {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, code: err.code };
    throw err;
  }
}

// --- the stateful part: one key ring and (when replay is on) `nodes` receivers over one store -----

interface State {
  ring: KeyRing;
  /** The receivers ("nodes", spec/replay.md §9), all over `store`; empty with replay off. */
  nodes: Receiver[];
  store: SharedStore | undefined;
  /** Receiver options of the last `reset`, so `restart` builds the receivers again with them. */
  options: ReceiverSettings;
}

export class Driver {
  readonly backend: Ed25519Backend;
  #state: State | undefined;
  readonly #delivery: DeliveryOps;
  readonly #sessions: SessionOps;
  readonly #rooms: RoomOps;
  readonly #senders: SenderOps;
  readonly #nodes: NodeOps;
  readonly #e2ee = new E2eeMemberOps();

  constructor(backendName: string) {
    this.backend = getBackend(backendName);
    this.#delivery = new DeliveryOps(this.backend);
    this.#sessions = new SessionOps(this.backend);
    this.#nodes = new NodeOps(this.backend);
    this.#rooms = new RoomOps(this.backend, () => this.#nodes.keys);
    this.#senders = new SenderOps(this.backend);
  }

  /** Closes the live sessions, so no timer keeps the process up after stdin ends. */
  close(): void {
    this.#sessions.close();
  }

  async handle(line: string): Promise<Answer> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return { ok: false, error: 'request is not valid JSON' };
    }
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      return { ok: false, error: 'request must be a JSON object' };
    }
    const r = req as Request;
    try {
      return await this.dispatch(r);
    } catch (err) {
      if (err instanceof RequestError || err instanceof TypeError || err instanceof RangeError) {
        return { ok: false, error: err.message };
      }
      if (err instanceof ProtocolError) return { ok: false, code: err.code };
      return { ok: false, error: `internal error: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  dispatch(req: Request): Answer | Promise<Answer> {
    switch (req['op']) {
      case 'handshake.server':
        return handshakeServer(req, this.backend);
      case 'handshake.client':
        return handshakeClient(req, this.backend);
      case 'receipt.encode':
        return receiptEncode(req);
      case 'receipt.decode':
        return receiptDecode(req);
      case 'receipt.verify':
        return receiptVerify(req, this.backend);
      case 'outbox.reset':
        return this.#delivery.outboxReset(req);
      case 'outbox.send':
        return this.#delivery.outboxSend(req);
      case 'outbox.ack':
        return this.#delivery.outboxAck(req);
      case 'outbox.state':
        return this.#delivery.outboxState();
      case 'outbox.reseal':
        return this.#delivery.outboxReseal(req);
      case 'outbox.resume':
        return this.#delivery.outboxResume(req);
      case 'acks.reset':
        return this.#delivery.acksReset(req);
      case 'acks.open':
        return this.#delivery.acksOpen(req);
      case 'acks.receipt':
        return this.#delivery.acksReceipt(req);
      case 'room.reset':
        return this.#rooms.reset(req);
      case 'room.frame':
        return this.#rooms.frame(req);
      case 'room.position':
        return this.#rooms.position(req);
      case 'room.server':
        return this.#rooms.server(req);
      case 'room.post':
        return this.#rooms.post(req);
      case 'nodes.reset':
        return this.#nodes.reset(req);
      case 'nodes.accept':
        return this.#nodes.accept(req);
      case 'nodes.resolve':
        return this.#nodes.resolve(req);
      case 'nodes.hello':
        return this.#nodes.hello(req);
      case 'merkle.verify':
        return this.#rooms.merkle(req);
      case 'session.reset':
        return this.#sessions.reset(req);
      case 'session.open':
        return this.#sessions.open(req);
      case 'session.send':
        return this.#sessions.send(req);
      case 'session.advance':
        return this.#sessions.advance(req);
      case 'session.revoke':
        return this.#sessions.revoke(req);
      case 'session.drop':
        return this.#sessions.drop();
      case 'ed25519.verify':
        return this.verify(req);
      case 'seal':
        return this.seal(req);
      case 'open':
        return req['publicKey'] === undefined ? this.openStateful(req) : this.openStateless(req);
      case 'reset':
        return this.reset(req);
      case 'restart':
        return this.restart(req);
      case 'store.fail':
        return this.storeFail(req);
      case 'store.recover':
        return (this.#requireStore().recover(), { ok: true });
      case 'store.lose':
        return (this.#requireStore().lose(), { ok: true });
      case 'sender.reset':
        return this.#senders.reset(req);
      case 'sender.seal':
        return this.#senders.seal(req);
      case 'sender.restart':
        return this.#senders.restart();
      case 'error.close':
        return errorClose(req);
      case 'room.transcript':
        return roomTranscript(req, this.backend);
      case 'store.snapshot':
        return (this.#requireStore().snapshot(), { ok: true });
      case 'keyring.add':
      case 'keyring.revoke':
      case 'keyring.revokeIdentity':
      case 'keyring.remove':
        return keyringOp(req, this.#requireState().ring);
      case 'info':
        return { ok: true, implementation: 'sealwire-ts', backend: this.backend.name };
      default:
        if (typeof req['op'] === 'string' && E2EE_OPS.has(req['op'])) return e2eeOp(req, this.#e2ee);
        return { ok: false, error: `unknown op: ${JSON.stringify(req['op'] ?? null)}` };
    }
  }

  verify(req: Request): Answer {
    const publicKey = hex(req, 'publicKey');
    const message = hex(req, 'message');
    const signature = hex(req, 'signature');
    return protocol(() => {
      const key = importPublicKey(publicKey, { backend: this.backend });
      if (!verifyStrict(this.backend, key.handle, message, signature)) {
        return { ok: false, code: 'ERR_BAD_SIGNATURE' };
      }
      return { ok: true };
    });
  }

  seal(req: Request): Answer {
    const secretKey = hex(req, 'secretKey');
    if (secretKey.length !== 32) throw new RequestError('"secretKey" expected 32 bytes');
    const kid = optHex(req, 'kid');
    const aad = optHex(req, 'aad');
    const binding = optHex(req, 'binding');
    const alg = req['alg'] === undefined ? undefined : req['alg'];
    if (alg !== undefined && alg !== ALG_EDDSA && alg !== ALG_ED25519) throw new RequestError('"alg" expected -8 or -19');
    const ct = req['contentType'];
    if (ct !== undefined && typeof ct !== 'number' && typeof ct !== 'string') {
      throw new RequestError('"contentType" expected a number or a string');
    }
    const signer = importSigningKey(secretKey, { backend: this.backend, ...(kid ? { kid } : {}) });
    const envelope = seal(signer, hex(req, 'payload'), {
      seq: uint(req, 'seq'),
      ts: uint(req, 'ts'),
      stream: hex(req, 'stream'),
      ...(aad ? { aad } : {}),
      ...(binding ? { binding } : {}),
      ...(alg !== undefined ? { alg } : {}),
      ...(ct !== undefined ? { contentType: ct } : {}),
    });
    return { ok: true, envelope: toHex(envelope), externalAad: toHex(externalAad(aad, binding)) };
  }

  openStateless(req: Request): Answer {
    const publicKey = hex(req, 'publicKey');
    const envelope = hex(req, 'envelope');
    const kid = optHex(req, 'kid');
    const aad = optHex(req, 'aad');
    const binding = optHex(req, 'binding');
    const maxEnvelopeSize = optUint(req, 'maxEnvelopeSize');
    return protocol(() => {
      const key = importPublicKey(publicKey, { backend: this.backend, ...(kid ? { kid } : {}) });
      const options: OpenOptions = { keys: key };
      if (aad) options.aad = aad;
      if (binding) options.binding = binding;
      if (maxEnvelopeSize !== undefined) options.maxEnvelopeSize = maxEnvelopeSize;
      return openedAnswer(open(envelope, options));
    });
  }

  #requireState(): State {
    if (this.#state === undefined) throw new RequestError('no receiver: send {"op":"reset"} first');
    return this.#state;
  }

  reset(req: Request): Answer {
    const ring = new KeyRing({ backend: this.backend });
    const keys = req['keys'];
    if (keys !== undefined) {
      if (!Array.isArray(keys)) throw new RequestError('"keys" expected an array');
      for (const k of keys) {
        if (k === null || typeof k !== 'object' || Array.isArray(k)) throw new RequestError('"keys" items expected objects');
        const answer = protocol(() => (addKey(ring, k), { ok: true }));
        if (answer['ok'] !== true) return answer;
      }
    }
    const replay = optBool(req, 'replay') ?? true;
    const options = receiverSettings(req);
    const count = optUint(req, 'nodes') ?? 1;
    if (count < 1 || count > 16) throw new RequestError('"nodes" expected an integer from 1 to 16');
    this.#state = { ring, nodes: [], store: undefined, options };
    if (replay) {
      const startedAt = optUint(req, 'startedAt');
      // Vectors must be independent of the wall clock: the receiver's state start is explicit.
      if (startedAt === undefined) throw new RequestError('"startedAt" is required when replay protection is on');
      this.#startNodes(this.#state, newStore(options, startedAt), count);
    } else if (req['nodes'] !== undefined) {
      throw new RequestError('"nodes" needs replay protection on');
    }
    return { ok: true };
  }

  // Every node shares the store and the settings of the reset ([RPL-9.1], [RPL-9.2]).
  #startNodes(state: State, store: SharedStore, count: number): void {
    const { window: _w, strict: _s, maxStreams: _m, ...timing } = state.options;
    state.store = store;
    state.nodes = Array.from({ length: count }, () => new Receiver({ keys: state.ring, ...timing, store: store.view() }));
  }

  #requireStore(): SharedStore {
    const state = this.#requireState();
    if (state.store === undefined) throw new RequestError('this op needs a receiver with replay on');
    return state.store;
  }

  /**
   * A restart of every node (spec/replay.md §7): they come back at `now`. With `persist` the
   * store survives as it is (a durable store); with `snapshot` it comes back as of the last
   * `store.snapshot`, with `startedAt` = `now` ([RPL-7.2]); otherwise all replay state is lost
   * and the new store starts at `now`. Either of the last two makes the restart bound apply.
   */
  restart(req: Request): Answer {
    const state = this.#requireState();
    const store = this.#requireStore();
    const now = uint(req, 'now');
    const persist = optBool(req, 'persist') ?? false;
    const snapshot = optBool(req, 'snapshot') ?? false;
    if (persist && snapshot) throw new RequestError('"persist" and "snapshot" are exclusive');
    const next = persist ? store : snapshot ? store.restored(now) : newStore(state.options, now);
    this.#startNodes(state, next, state.nodes.length);
    return { ok: true };
  }

  storeFail(req: Request): Answer {
    const phase = optString(req, 'phase') ?? 'both';
    if (phase !== 'check' && phase !== 'commit' && phase !== 'both') throw new RequestError('"phase" expected "check", "commit" or "both"');
    this.#requireStore().fail(phase as FailPhase);
    return { ok: true };
  }

  openStateful(req: Request): Answer {
    const state = this.#requireState();
    const envelope = hex(req, 'envelope');
    const aad = optHex(req, 'aad');
    const binding = optHex(req, 'binding');
    const now = optUint(req, 'now');
    const node = optUint(req, 'node');
    if (node !== undefined && node >= Math.max(state.nodes.length, 1)) throw new RequestError(`"node" expected below ${state.nodes.length}`);
    return protocol(() => {
      const receiver = state.nodes[node ?? 0];
      if (receiver !== undefined) {
        if (now === undefined) throw new RequestError('"now" is required when replay protection is on');
        return openedAnswer(receiver.openSync(envelope, { now, ...(aad ? { aad } : {}), ...(binding ? { binding } : {}) }));
      }
      const options: OpenOptions = { keys: state.ring };
      if (aad) options.aad = aad;
      if (binding) options.binding = binding;
      return openedAnswer(open(envelope, options));
    });
  }
}

async function main(): Promise<void> {
  let backend: string;
  try {
    ({ backend } = parseArgs(process.argv.slice(2)));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: driver [--backend node|noble]\n`);
    process.exit(2);
  }
  const driver = new Driver(backend);
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const answer = await driver.handle(line);
    if (!process.stdout.write(JSON.stringify(answer) + '\n')) {
      await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
  driver.close();
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('driver.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`driver failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
