// Your login issues a JWT bound to the client's key (cnf.jkt, RFC 7800); sealwire checks it in the
// handshake, against the key the client proves it holds. Run: npx tsx examples/jwt-login.ts
import { createServer } from 'node:http';
import WebSocket from 'ws';
import { SignJWT, generateKeyPair as joseKeyPair } from 'jose';
import { SecureServer, generateKeyPair, importPublicKey, importSigningKey, jwkThumbprint } from '../src/index.js';
import { jwtAuthenticator } from '../src/session/jwt.js';
import { attach, connect } from '../src/adapters/ws/index.js';

const issuer = await joseKeyPair('EdDSA', { crv: 'Ed25519' }); // your auth service's key
const serverPair = generateKeyPair();
const server = new SecureServer({
  key: importSigningKey(serverPair.secretKey),
  authenticate: jwtAuthenticator({ key: issuer.publicKey, issuer: 'https://auth.example', audience: 'chat' }),
  authorize: ({ roles, room }) => room === 'lobby' || roles.includes('admin'),
});
const http = createServer();
const ws = attach(server, { server: http });
server.on('message', async (m) => {
  console.log(`${m.identity} (${m.roles.join(', ')}) in ${m.room}: ${new TextDecoder().decode(m.payload)}`);
  await ws.close();
  http.close();
});

http.listen(0, '127.0.0.1', async () => {
  // The browser or app makes its key; your login endpoint issues a token naming that key.
  const device = generateKeyPair();
  const token = await new SignJWT({ roles: ['user'], cnf: { jkt: jwkThumbprint(device.publicKey) } })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer('https://auth.example')
    .setAudience('chat')
    .setSubject('alice')
    .setExpirationTime('5m')
    .sign(issuer.privateKey);
  const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}`;
  const session = await connect(url, { WebSocket, key: importSigningKey(device.secretKey), serverKey: importPublicKey(serverPair.publicKey), credential: token });
  await session.join('lobby');
  session.send('lobby', 'signed, and logged in with a key-bound token');
});
