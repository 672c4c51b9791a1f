// The network half of `npm run hostile`: floods against a real server on 127.0.0.1 (ws and uWS)
// while an honest client sends at a fixed rate and counts what the server delivers of it; and
// connection floods that count the server sockets left beyond their caps (kernel table).
import WebSocket from 'ws';
import { createServer } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { KeyRing, Receiver, SecureServer, generateKeyPair, importSigningKey, type PublicKey, type SigningKey } from '../../src/index.js';
import { verifyStrict } from '../../src/crypto/ed25519.js';
import { attach, connect, limitHttpServer, type ConnectOptions, type WebSocketConstructor } from '../../src/adapters/ws/index.js';
import type { AdapterFactory } from '../helpers/net-adapters.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';
import { RecordingWebSocket } from '../helpers/net-clients.js';
import { heldOn } from './sockets.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const WS = WebSocket as unknown as WebSocketConstructor;

export interface FloodRow {
  readonly adapter: string;
  readonly flood: string;
  readonly attempts: number;
  readonly accepted: number;
  /** Honest messages delivered / sent, percent. */
  readonly kept: number;
}

type Attack = (url: string, ctx: { attacker: SigningKey }) => Promise<boolean>;

const opts = (key: SigningKey, channelBinding: boolean, WebSocketImpl: WebSocketConstructor = WS): ConnectOptions =>
  ({ WebSocket: WebSocketImpl, key, serverKey: serverPublic, channelBinding }) as ConnectOptions;

/** Each attack makes one attempt and says whether the server accepted what it should not have. */
function attacks(channelBinding: boolean): Record<string, Attack> {
  return {
    // Garbage where the ClientHello belongs.
    'handshake garbage': (url) =>
      new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.on('open', () => ws.send(Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 131) & 0xff))));
        ws.on('close', () => resolve(false));
        ws.on('error', () => resolve(false));
        setTimeout(() => (ws.terminate(), resolve(false)), 3000).unref();
      }),
    // A new random key every time: not in the ring, so the handshake must refuse it.
    'random-valid-key': async (url) => {
      try {
        const c = await connect(url, opts(importSigningKey(generateKeyPair().secretKey), channelBinding));
        c.close();
        return true;
      } catch {
        return false;
      }
    },
    // A trusted key sending an envelope whose signature is flipped: the session must end.
    'bad signature': async (url, { attacker }) => {
      const c = await connect(url, opts(attacker, channelBinding, RecordingWebSocket as unknown as WebSocketConstructor)).catch(() => undefined);
      if (c === undefined) return false;
      const socket = RecordingWebSocket.instances.pop()!;
      socket.hold = true;
      c.send('r', new Uint8Array(32));
      const frame = socket.held.pop()!;
      frame[frame.length - 1]! ^= 1;
      socket.inject(frame);
      await c.closed;
      return false; // what the server delivered is counted on the server
    },
    // A trusted key replaying its own envelope: the session must end with ERR_REPLAY.
    replay: async (url, { attacker }) => {
      const c = await connect(url, opts(attacker, channelBinding, RecordingWebSocket as unknown as WebSocketConstructor)).catch(() => undefined);
      if (c === undefined) return false;
      const socket = RecordingWebSocket.instances.pop()!;
      c.send('r', new Uint8Array(32));
      const frame = socket.sent.at(-1)!;
      for (let i = 0; i < 4; i++) socket.inject(frame);
      await c.closed;
      return false; // what the server delivered is counted on the server
    },
  };
}

// Verification held back per envelope (real Ed25519 underneath), as behind a busy pool: the queue
// that makes ws pause reading builds up.
const slowVerify = (key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> =>
  new Promise((resolve) => setTimeout(() => resolve(verifyStrict(key.backend, key.handle, message, signature)), 150));

function newServer(slow = false): { server: SecureServer; honest: SigningKey; attacker: SigningKey; delivered: () => number; attackerAccepted: (flood: string) => number } {
  const keys = new KeyRing();
  const honest = importSigningKey(generateKeyPair().secretKey);
  const attacker = importSigningKey(generateKeyPair().secretKey);
  keys.add(honest.publicKey, { identity: 'honest' });
  keys.add(attacker.publicKey, { identity: 'attacker' });
  const server = new SecureServer({
    key: serverKey,
    keys,
    authorize: () => true,
    // Every flood comes from 127.0.0.1, where real attackers would use many addresses: lift the
    // new-session rates ([POL-4.3]) so each flood reaches the handshake work it is meant to load.
    rateLimit: { ipSessions: { perSecond: 1e6, burst: 1e6 }, identitySessions: { perSecond: 1e6, burst: 1e6 } },
    ...(slow ? { receiver: new Receiver({ keys, verify: slowVerify }), limits: { maxPendingBytes: 64 << 20 } } : {}),
  });
  let delivered = 0;
  const attackerMessages = new Map<object, number>();
  server.on('message', (m) => {
    if (m.session.identity === 'honest') delivered++;
    else attackerMessages.set(m.session, (attackerMessages.get(m.session) ?? 0) + 1);
  });
  // Bad signature: the attacker's only envelope is forged, so anything delivered was accepted.
  // Replay: one envelope and its copies per session, so anything past one was accepted.
  const attackerAccepted = (flood: string): number => {
    let n = 0;
    for (const count of attackerMessages.values()) n += flood === 'replay' ? Math.max(0, count - 1) : flood === 'bad signature' ? count : 0;
    return n;
  };
  return { server, honest, attacker, delivered: () => delivered, attackerAccepted };
}

/** The honest client sends `rate` messages per second for `ms`; returns the percentage delivered. */
async function honestRun(url: string, key: SigningKey, channelBinding: boolean, ms: number, rate: number, delivered: () => number): Promise<number> {
  const c = await connect(url, opts(key, channelBinding));
  await c.join('r');
  const start = delivered();
  let sent = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (c.writable) {
      c.send('r', new Uint8Array(64).fill(sent & 0xff));
      sent++;
    }
    await sleep(1000 / rate);
  }
  const end = Date.now() + 2000;
  while (delivered() - start < sent && Date.now() < end) await sleep(20);
  c.close();
  return sent === 0 ? 0 : (100 * (delivered() - start)) / sent;
}

export async function runFloods(adapters: AdapterFactory[], ms: number, loops: number): Promise<FloodRow[]> {
  const rows: FloodRow[] = [];
  for (const factory of adapters) {
    for (const [name, attack] of [['none', undefined] as const, ...Object.entries(attacks(factory.channelBinding))]) {
      const { server, honest, attacker, delivered, attackerAccepted } = newServer();
      const running = await factory.start(server, {});
      let attempts = 0;
      let accepted = 0;
      let stop = false;
      const workers = attack === undefined ? [] : Array.from({ length: loops }, async () => {
        while (!stop) {
          attempts++;
          if (await attack(running.url, { attacker }).catch(() => false)) accepted++;
        }
      });
      await sleep(attack === undefined ? 0 : 200);
      const kept = await honestRun(running.url, honest, factory.channelBinding, ms, 50, delivered);
      stop = true;
      await Promise.all(workers);
      await running.close();
      rows.push({ adapter: factory.name, flood: name, attempts, accepted: accepted + attackerAccepted(name), kept });
    }
  }
  return rows;
}

export interface SocketRow {
  readonly adapter: string;
  readonly flood: string;
  readonly opened: number;
  /** Server sockets still held after the configured time, beyond the cap that applies. */
  readonly heldBeyondCap: number;
}

/** Paused sockets of ended sessions (both adapters): none may remain 1 s after the sessions end. */
export async function pausedFlood(factory: AdapterFactory, sessions: number): Promise<SocketRow> {
  const { server, attacker } = newServer(true);
  const running = await factory.start(server, {});
  const ended: Promise<unknown>[] = [];
  server.on('session', (s) => ended.push(s.closed));
  for (let i = 0; i < sessions; i++) {
    const c = await connect(running.url, opts(attacker, factory.channelBinding, RecordingWebSocket as unknown as WebSocketConstructor));
    const socket = RecordingWebSocket.instances.pop()!;
    c.send('r', new Uint8Array(30_000));
    const frame = socket.sent.at(-1)!;
    for (let k = 0; k < 100; k++) socket.inject(frame);
  }
  await Promise.all(ended);
  await sleep(1200);
  const held = heldOn(running.port);
  await running.close();
  return { adapter: factory.name, flood: `paused sockets (${sessions} sessions ended)`, opened: sessions, heldBeyondCap: held };
}

/** Raw TCP connections and slowloris upgrades against a ws server bounded by limitHttpServer. */
export async function preUpgradeFlood(raw: number, slow: number): Promise<SocketRow[]> {
  const { server } = newServer();
  const http = createServer();
  const perIp = 64;
  limitHttpServer(http, { headersTimeoutMs: 500, maxConnectionsPerIp: perIp });
  const attached = attach(server, { server: http });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  const open = (): Promise<Socket> =>
    new Promise((resolve) => {
      const s = tcpConnect(port, '127.0.0.1', () => resolve(s));
      s.on('error', () => resolve(s));
    });
  const rows: SocketRow[] = [];
  const rawSockets = await Promise.all(Array.from({ length: raw }, open));
  await sleep(100);
  rows.push({ adapter: 'ws', flood: `raw TCP (${raw}, cap ${perIp}/IP)`, opened: raw, heldBeyondCap: Math.max(0, heldOn(port) - perIp) });
  await sleep(700);
  rows.push({ adapter: 'ws', flood: `raw TCP after header timeout (0.5 s)`, opened: raw, heldBeyondCap: heldOn(port) });
  for (const s of rawSockets) s.destroy();
  const slowSockets = await Promise.all(Array.from({ length: slow }, open));
  for (const s of slowSockets) s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
  const drip = setInterval(() => slowSockets.forEach((s) => s.destroyed || s.write('X-a: b\r\n')), 100);
  await sleep(1000);
  clearInterval(drip);
  rows.push({ adapter: 'ws', flood: `slowloris (${slow}) after header timeout`, opened: slow, heldBeyondCap: heldOn(port) });
  for (const s of slowSockets) s.destroy();
  await attached.close();
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
  return rows;
}
