import { createServer } from 'node:http';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importPublicKey, importSigningKey } from '../src/index.js';
import { attach, connect } from '../src/adapters/ws/index.js';

const serverPair = generateKeyPair(); // clients pin serverPair.publicKey
const alice = generateKeyPair(); // a device key, registered under an identity
const keys = new KeyRing();
keys.add(alice.publicKey, { identity: 'alice' });

const server = new SecureServer({
  key: importSigningKey(serverPair.secretKey),
  keys,
  authorize: ({ room }) => room === 'lobby', // required: there is no allow-all default
});
const http = createServer();
const ws = attach(server, { server: http });
server.on('message', async (m) => {
  console.log(`${m.identity} in ${m.room}: ${new TextDecoder().decode(m.payload)}`);
  await ws.close(); // closes every session
  http.close();
});

http.listen(0, '127.0.0.1', async () => {
  const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}`;
  const session = await connect(url, { WebSocket, key: importSigningKey(alice.secretKey), serverKey: importPublicKey(serverPair.publicKey) });
  await session.join('lobby'); // a signed request the server authorizes
  session.send('lobby', 'hello, signed world');
});
