// Our client as `--live-client` runs it: the contract of conformance/README.md ("Live mode") —
// connect, join, post "hello", print each room message's text, exit 0 after "bye".
import WebSocket from 'ws';
import { fromHex } from '../../src/bytes.js';
import { importPublicKey, importSigningKey } from '../../src/index.js';
import { connect, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

const session = await connect(env('SEALWIRE_URL'), {
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  key: importSigningKey(fromHex(env('SEALWIRE_CLIENT_SEED'))),
  serverKey: importPublicKey(fromHex(env('SEALWIRE_SERVER_KEY'))),
} as ConnectOptions).catch((err: unknown) => {
  // A refusal is this client's verdict: say which, and exit non-zero.
  console.error(`refused: ${(err as { code?: string }).code ?? String(err)}`);
  process.exit(1);
});
const room = env('SEALWIRE_ROOM');
session.on('message', (m) => {
  const text = new TextDecoder().decode(m.payload);
  console.log(text);
  if (text === 'bye') {
    session.close();
    process.exit(0);
  }
});
await session.join(room);
session.send(room, 'hello');
