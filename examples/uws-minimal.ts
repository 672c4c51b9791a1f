// The same server on uWebSockets.js. Run: npx tsx examples/uws-minimal.ts
import uWS from 'uWebSockets.js';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importPublicKey, importSigningKey } from '../src/index.js';
import { attach } from '../src/adapters/uws/index.js';
import { connect } from '../src/adapters/ws/index.js';

const serverPair = generateKeyPair();
const alice = generateKeyPair();
const keys = new KeyRing();
keys.add(alice.publicKey, { identity: 'alice' });
const server = new SecureServer({ key: importSigningKey(serverPair.secretKey), keys, authorize: ({ room }) => room === 'lobby' });

const app = uWS.App();
const attached = attach(server, { app, path: '/chat' });
app.listen('127.0.0.1', 0, async (socket) => {
  if (socket === false) throw new Error('uWS could not listen');
  const port = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
  server.on('message', (m) => {
    console.log(`${m.identity} in ${m.room} over uWebSockets.js: ${new TextDecoder().decode(m.payload)}`);
    attached.close();
    uWS.us_listen_socket_close(socket);
  });
  // uWS cannot read the TLS exporter: its clients connect without channel binding.
  const session = await connect(`ws://127.0.0.1:${port}/chat`, { WebSocket, key: importSigningKey(alice.secretKey), serverKey: importPublicKey(serverPair.publicKey), channelBinding: false });
  await session.join('lobby');
  session.send('lobby', 'hello from uWS');
});
