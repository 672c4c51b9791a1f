// The client side of the socket benchmarks, in its own process (forked by bench/e2e/run.ts), driven
// over IPC (protocol.ts). Connections go to 127.0.0.1 only. "unsigned" connections are plain `ws`
// clients sending raw binary frames; "sealwire" connections are ClientSessions (sealwire/ws/client
// on `ws`), each with its own key, sending `send` data envelopes to a room of their own (ingest, nothing relayed) while the outbox
// has room (128 unacknowledged, the default; receipts free it). Bounded: every flood stops at a
// count and a deadline, and the process exits when the parent goes or after MAX_LIFETIME_MS.
import WebSocket from 'ws';
import { connect } from '../../src/adapters/ws/client.js';
import { importPublicKey, importSigningKey, type ClientSession } from '../../src/index.js';
import { randomBytes } from '../../src/bytes.js';
import { median } from '../lib.js';
import type { ClientCommand, ClientReply } from './protocol.js';

const MAX_LIFETIME_MS = 5 * 60_000;
// Unsigned sends pause while this much is waiting in the socket.
const UNSIGNED_HIGH_WATER = 1 << 20;
// Connections opened at once.
const CONNECT_CONCURRENCY = 32;

type Conn =
  | { kind: 'unsigned'; ws: WebSocket; onReply: ((data: Uint8Array) => void) | undefined }
  | { kind: 'sealwire'; session: ClientSession; room: string };

let conns: Conn[] = [];

const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

async function openUnsigned(url: string): Promise<Conn> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const conn: Conn = { kind: 'unsigned', ws, onReply: undefined };
  ws.binaryType = 'nodebuffer';
  ws.on('message', (data: Buffer) => conn.onReply?.(data));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return conn;
}

async function openSealwire(url: string, serverKey: Uint8Array): Promise<Conn> {
  const session = await connect(url, {
    WebSocket: WebSocket as never,
    key: importSigningKey(randomBytes(32)),
    serverKey: importPublicKey(serverKey),
  });
  // A room of its own: the server relays a send to the room's other members, and this measures ingest.
  const room = `bench-${Buffer.from(randomBytes(8)).toString('hex')}`;
  await session.join(room);
  return { kind: 'sealwire', session, room };
}

async function openAll(cmd: Extract<ClientCommand, { op: 'connect' }>): Promise<void> {
  const key = Buffer.from(cmd.serverKey, 'base64url');
  const out = conns;
  for (let i = 0; i < cmd.conns; i += CONNECT_CONCURRENCY) {
    const n = Math.min(CONNECT_CONCURRENCY, cmd.conns - i);
    out.push(...(await Promise.all(Array.from({ length: n }, () => (cmd.mode === 'unsigned' ? openUnsigned(cmd.url) : openSealwire(cmd.url, key))))));
  }
}

function floodOne(conn: Conn, quota: number, deadline: number, payload: Uint8Array): Promise<number> {
  let sent = 0;
  return new Promise((resolve) => {
    let finished = false;
    let off = (): void => {};
    const timer = setTimeout(() => done(), Math.max(0, deadline - performance.now()) + 50);
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      off();
      resolve(sent);
    };
    if (conn.kind === 'sealwire') {
      const s = conn.session;
      const pump = (): void => {
        while (!finished && sent < quota && s.state === 'open') {
          if (!s.writable) return; // resumes on 'drain', when a receipt frees the outbox
          s.send(conn.room, payload);
          sent++;
          if ((sent & 63) === 0 && performance.now() > deadline) break;
        }
        done();
      };
      off = s.on('drain', pump);
      pump();
    } else {
      const ws = conn.ws;
      const pump = (): void => {
        while (!finished && sent < quota && ws.readyState === WebSocket.OPEN) {
          if (ws.bufferedAmount > UNSIGNED_HIGH_WATER) {
            setImmediate(pump);
            return;
          }
          ws.send(payload, { binary: true });
          sent++;
          if ((sent & 255) === 0) {
            if (performance.now() > deadline) break;
            // Let the socket write and the server's replies in.
            setImmediate(pump);
            return;
          }
        }
        done();
      };
      pump();
    }
  });
}

async function flood(cmd: Extract<ClientCommand, { op: 'flood' }>): Promise<ClientReply> {
  const payload = new Uint8Array(cmd.size).fill(0x5a);
  payload[0] = 0; // unsigned: "count me"
  const quota = Math.ceil(cmd.count / conns.length);
  const t0 = performance.now();
  const c0 = cpuNow();
  const deadline = t0 + cmd.seconds * 1000;
  const sent = await Promise.all(conns.map((c) => floodOne(c, quota, deadline, payload)));
  const wall = performance.now() - t0;
  // Wait (bounded) for the server's acknowledgements, so the next run starts on an idle server.
  const until = performance.now() + 3000;
  while (performance.now() < until && conns.some((c) => c.kind === 'sealwire' && c.session.unacknowledged > 0)) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return { op: 'flooded', sent: sent.reduce((a, b) => a + b, 0), seconds: wall / 1000, cores: (cpuNow() - c0) / wall };
}

async function rtt(cmd: Extract<ClientCommand, { op: 'rtt' }>): Promise<ClientReply> {
  const conn = conns[0]!;
  const payload = new Uint8Array(cmd.size).fill(0x5a);
  payload[0] = 1; // unsigned: "echo me"
  const times: number[] = [];
  const deadline = performance.now() + cmd.seconds * 1000;
  for (let i = 0; i < cmd.samples && performance.now() < deadline; i++) {
    const t0 = performance.now();
    if (conn.kind === 'sealwire') {
      await conn.session.request('echo', payload);
    } else {
      await new Promise<void>((resolve) => {
        conn.onReply = () => {
          conn.onReply = undefined;
          resolve();
        };
        conn.ws.send(payload, { binary: true });
      });
    }
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { op: 'rtt', samples: times.length, p50: median(times), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

function closeAll(): void {
  for (const c of conns) {
    if (c.kind === 'sealwire') c.session.close();
    else c.ws.close();
  }
  conns = [];
}

const lifetime = setTimeout(() => {
  process.stderr.write('[bench e2e client] lifetime exceeded, exiting\n');
  process.exit(2);
}, MAX_LIFETIME_MS);
process.on('disconnect', () => process.exit(0));
process.on('message', (cmd: ClientCommand) => {
  const reply = (r: ClientReply): void => void process.send!(r);
  const fail = (err: unknown): void => reply({ op: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  if (cmd.op === 'connect') {
    const t0 = performance.now();
    openAll(cmd).then(() => reply({ op: 'connected', conns: conns.length, seconds: (performance.now() - t0) / 1000 }), fail);
  } else if (cmd.op === 'flood') {
    flood(cmd).then(reply, fail);
  } else if (cmd.op === 'rtt') {
    rtt(cmd).then(reply, fail);
  } else if (cmd.op === 'close') {
    closeAll();
    clearTimeout(lifetime);
    reply({ op: 'closed' });
    // Let the close frames go, then leave (the 'disconnect' handler exits).
    setTimeout(() => process.disconnect(), 100);
  }
});
process.send!({ op: 'connected', conns: 0, seconds: 0 } satisfies ClientReply);
