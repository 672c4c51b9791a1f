// Our client as `--live-client` runs it: the contract of conformance/README.md ("Live mode") —
// connect, join, post "hello", print each room message's text, exit 0 after "bye"; a connection
// lost before "bye" is resumed, or replaced by a fresh session when the resume is refused.
import WebSocket from 'ws';
import { fromHex } from '../../src/bytes.js';
import { importPublicKey, importSigningKey, type ClientSession } from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

const room = env('SEALWIRE_ROOM');
let done = false;
const options = {
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  key: importSigningKey(fromHex(env('SEALWIRE_CLIENT_SEED'))),
  serverKey: importPublicKey(fromHex(env('SEALWIRE_SERVER_KEY'))),
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
