// Our client as `--live-client` runs it: the contract of conformance/README.md ("Live mode") —
// connect, join, post "hello", print each room message's text, exit 0 after "bye"; a connection
// lost before "bye" is resumed, or replaced by a fresh session when the resume is refused. Given an
// operator key, it trusts the service's node sets in place of the pinned key (spec/nodes.md).
import WebSocket from 'ws';
import { fromHex } from '../../src/bytes.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { NodeKeys, importPublicKey, importSigningKey, type AsyncVerify, type ClientSession } from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

const room = env('SEALWIRE_ROOM');
let done = false;
const operator = process.env['SEALWIRE_OPERATOR_KEY'];
// One holder for every session and reconnect: it keeps the highest set and the nodes dropped ([NODE-2.2]).
const serverKey =
  operator === undefined
    ? importPublicKey(fromHex(env('SEALWIRE_SERVER_KEY')))
    : new NodeKeys({ operator: importPublicKey(fromHex(operator)), service: env('SEALWIRE_SERVICE') });
// Room frames are verified asynchronously, as a browser's WebCrypto does: a node set that arrives
// while frames before it are still being verified must wait for them ([NODE-4.1]).
const roomVerify: AsyncVerify = (key, message, signature) =>
  new Promise((resolve) => setTimeout(() => resolve(verifyStrict(key.backend, key.handle, message, signature)), 5));
const options = {
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  key: importSigningKey(fromHex(env('SEALWIRE_CLIENT_SEED'))),
  serverKey,
  roomVerify,
} as ConnectOptions;

function refused(err: unknown): never {
  // A refusal is this client's verdict: say which, and exit non-zero.
  console.error(`refused: ${(err as { code?: string }).code ?? String(err)}`);
  process.exit(1);
}

/** A session that prints room messages and, if its connection is lost before "bye", goes on in another. */
function follow(session: ClientSession): ClientSession {
  session.on('message', (m) => {
    const text = new TextDecoder().decode(m.payload);
    console.log(text);
    if (text === 'bye') {
      done = true;
      session.close();
      process.exit(0);
    }
  });
  // A frame refused in the session without ending it (a room frame, a node set): the application learns its code.
  session.on('room', (n) => {
    if (n.type === 'refused') console.log(`refused ${n.code}`);
  });
  void session.closed.then(() => (done ? undefined : carryOn(session)));
  return session;
}

/** Resumes the lost session ([HS-7]: only a session this client holds, with its own state), else starts afresh. */
async function carryOn(lost: ClientSession): Promise<void> {
  const resumed = await connect(env('SEALWIRE_URL'), { ...options, resumeFrom: lost }).catch(() => undefined);
  if (resumed !== undefined) return void follow(resumed);
  await start().catch(refused);
}

async function start(): Promise<void> {
  const session = follow(await connect(env('SEALWIRE_URL'), options));
  await session.join(room);
  session.send(room, 'hello');
}

await start().catch(refused);
