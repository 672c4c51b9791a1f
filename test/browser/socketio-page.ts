// Runs in headless Chromium (test/integration/socketio-browser.test.ts): a browser user on
// socket.io-client, over the transport the test names, with sealwire/socket.io's client.
import { io } from 'socket.io-client';
import { fromHex, importPublicKey, importSigningKey } from '../../src/index.js';
import { connect } from '../../src/adapters/socket.io/client.js';

async function run(transport: 'websocket' | 'polling', secretKey: string, serverKey: string): Promise<Record<string, unknown>> {
  const socket = io('/chat', { transports: [transport] });
  const session = await connect(socket, { key: importSigningKey(fromHex(secretKey)), serverKey: importPublicKey(fromHex(serverKey)) }); // origin: location.origin by default
  await session.join('lobby');
  const reply = new Promise<{ identity: string; text: string }>((resolve) =>
    session.on('message', (m) => resolve({ identity: m.identity, text: new TextDecoder().decode(m.payload) })),
  );
  session.send('lobby', 'hello from the browser');
  const got = await reply;
  session.close();
  await session.closed;
  socket.disconnect();
  return { ...got, transport: socket.io.engine?.transport?.name ?? transport, closeCode: session.closeInfo?.code };
}

(globalThis as { sioRun?: typeof run }).sioRun = run;
