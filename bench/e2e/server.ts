// The server side of the socket benchmarks, in its own process (forked by bench/e2e/run.ts with an
// IPC channel). One configuration per process:
//
//   server.ts <ws|uws> <unsigned|sealwire> <backend: sodium|node> <pool threads, 0 = none>
//
// "unsigned": the same server stack without sealwire — a plain `ws` WebSocketServer or a plain uWS
// App; a binary frame whose first byte is 0 is counted (ingest), 1 is echoed back (latency).
// "sealwire": a SecureServer behind the adapter; every `send` data envelope that reaches the
// server's `message` event is counted; `request('echo')` is answered by the session's Result.
// Rate limits are raised so they never throttle the benchmark, and connection caps so that many
// connections from 127.0.0.1 are allowed. The process stops by itself: on `stop`, when the parent
// goes away, or after MAX_LIFETIME_MS whatever happens.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WebSocketServer } from 'ws';
import type * as Uws from 'uWebSockets.js';
import { KeyRing, Receiver, SecureServer, getBackend, importSigningKey, toHex } from '../../src/index.js';
import { randomBytes } from '../../src/bytes.js';
import { DEFAULT_MAX_ENVELOPE_SIZE } from '../../src/envelope/open.js';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from '../../src/replay/freshness.js';
import { DEFAULT_WINDOW } from '../../src/replay/window.js';
import { attach as attachWs } from '../../src/adapters/ws/index.js';
import { attach as attachUws } from '../../src/adapters/uws/index.js';
import { VerifyPool } from '../../src/pool/index.js';
import type { ServerReply, ServerCommand } from './protocol.js';

const MAX_LIFETIME_MS = 5 * 60_000;
const NO_LIMIT = { perSecond: 1e9, burst: 1e9 };
const CPU_EVERY = 1024;

const [adapter, mode, backendName = 'sodium', poolArg = '0'] = process.argv.slice(2);
if (adapter !== 'ws' && adapter !== 'uws') throw new Error(`adapter expected ws or uws, got ${String(adapter)}`);
if (mode !== 'unsigned' && mode !== 'sealwire') throw new Error(`mode expected unsigned or sealwire, got ${String(mode)}`);
const poolThreads = Number(poolArg);

const require = createRequire(import.meta.url);

/** uWebSockets.js, refusing the package's silent JavaScript fallback (as test/helpers/net-adapters.ts). */
function nativeUws(): typeof Uws {
  const uws = require('uWebSockets.js') as typeof Uws;
  const binary = join(dirname(require.resolve('uWebSockets.js')), '..', 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  if (require(binary) !== uws) throw new Error(`uWebSockets.js is not the native binary ${binary}: the JS fallback is loaded`);
  return uws;
}

// Ingest counter: count, first and last arrival, and CPU samples every CPU_EVERY messages so the
// cores the server used are known without a syscall per message.
let count = 0;
let firstAt = 0;
let lastAt = 0;
let cpuAt0 = 0;
let cpu0 = 0;
let cpuAtN = 0;
let cpuN = 0;
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
function counted(): void {
  const t = performance.now();
  if (count === 0) {
    firstAt = t;
    cpuAt0 = t;
    cpu0 = cpuNow();
  }
  count++;
  lastAt = t;
  if (count % CPU_EVERY === 0) {
    cpuAtN = t;
    cpuN = cpuNow();
  }
}

let sessions: () => number = () => 0;
let stop: () => Promise<void>;
let port: number;
let serverKey = '';
let uwsNative = false;

if (mode === 'unsigned') {
  const onFrame = (bytes: Uint8Array, echo: (b: Uint8Array) => void): void => {
    if (bytes[0] === 1) echo(bytes);
    else counted();
  };
  if (adapter === 'ws') {
    const http = createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: DEFAULT_MAX_ENVELOPE_SIZE });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) onFrame(data as Buffer, (b) => ws.send(b, { binary: true }));
      });
    });
    port = await listen(http);
    sessions = () => wss.clients.size;
    stop = () => closeHttp(http, () => wss.close());
  } else {
    const uws = nativeUws();
    uwsNative = true;
    const app = uws.App();
    let open = 0;
    app.ws('/*', {
      compression: 0,
      maxPayloadLength: DEFAULT_MAX_ENVELOPE_SIZE,
      idleTimeout: 120,
      open: () => void open++,
      close: () => void open--,
      message: (ws, message, isBinary) => {
        if (isBinary) onFrame(new Uint8Array(message), (b) => ws.send(b, true));
      },
    });
    const ls = await listenUws(app);
    port = uws.us_socket_local_port(ls as unknown as Uws.us_socket);
    sessions = () => open;
    stop = async () => uws.us_listen_socket_close(ls);
  }
} else {
  const backend = getBackend(backendName);
  const key = importSigningKey(randomBytes(32), { backend });
  serverKey = Buffer.from(key.publicKey).toString('base64url');
  const keys = new KeyRing({ backend });
  const pool = poolThreads > 0 ? new VerifyPool({ threads: poolThreads, backend: backendName as 'sodium' | 'node' }) : undefined;
  // The receiver SecureServer would build itself, with the pool as its verify hook.
  const receiver =
    pool === undefined
      ? undefined
      : new Receiver({ keys, verify: pool, maxEnvelopeSize: DEFAULT_MAX_ENVELOPE_SIZE, window: DEFAULT_WINDOW, maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS });
  const secure = new SecureServer({
    key,
    keys,
    ...(receiver !== undefined ? { receiver } : {}),
    authorize: () => true,
    // One identity per client key, as one user per device.
    authenticate: (_credential, clientKey) => ({ identity: `bench-${toHex(clientKey.kid).slice(0, 16)}` }),
    limits: { maxConnectionsPerIp: 1_000_000, maxConnectionsPerIdentity: 1_000_000 },
    rateLimit: { connection: NO_LIMIT, identity: NO_LIMIT, ipSessions: NO_LIMIT, identitySessions: NO_LIMIT },
  });
  if (process.env['SEALWIRE_BENCH_DEBUG']) {
    secure.on('event', (e) => {
      if (e.outcome !== 'accept') process.stderr.write(`[bench e2e server] ${JSON.stringify(e)}\n`);
    });
  }
  secure.on('message', (m) => {
    if (m.action === 'send') counted();
  });
  sessions = () => secure.sessions.size;
  if (adapter === 'ws') {
    const http = createServer((_req, res) => res.writeHead(404).end());
    const attached = attachWs(secure, { server: http, path: '/bench' });
    port = await listen(http);
    stop = async () => {
      await attached.close();
      await closeHttp(http, () => {});
      await pool?.close();
    };
  } else {
    const uws = nativeUws();
    uwsNative = true;
    const app = uws.App();
    const attached = attachUws(secure, { app, path: '/bench' });
    const ls = await listenUws(app);
    port = uws.us_socket_local_port(ls as unknown as Uws.us_socket);
    stop = async () => {
      attached.close();
      uws.us_listen_socket_close(ls);
      await pool?.close();
    };
  }
  if (pool !== undefined) {
    // Start and warm the workers before any timing.
    const warm = importSigningKey(randomBytes(32), { backend });
    const msg = new Uint8Array(64);
    const sig = warm.sign(msg);
    const pk = (await import('../../src/index.js')).importPublicKey(warm.publicKey, { backend });
    await Promise.all(Array.from({ length: 256 }, () => pool.verify(pk, msg, sig)));
  }
}

function listen(http: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port));
  });
}

function closeHttp(http: HttpServer, before: () => void): Promise<void> {
  before();
  http.closeAllConnections();
  return new Promise((resolve) => http.close(() => resolve()));
}

function listenUws(app: Uws.TemplatedApp): Promise<Uws.us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (ls) => (ls === false ? reject(new Error('uWS could not listen')) : resolve(ls)));
  });
}

function settle(): { heap: number; buffers: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}

const send = (reply: ServerReply): void => {
  process.send!(reply);
};

const lifetime = setTimeout(() => {
  process.stderr.write('[bench e2e server] lifetime exceeded, exiting\n');
  process.exit(2);
}, MAX_LIFETIME_MS);
process.on('disconnect', () => process.exit(0));
process.on('message', (cmd: ServerCommand) => {
  if (cmd.op === 'stats') {
    const cores = cpuAtN > cpuAt0 ? (cpuN - cpu0) / (cpuAtN - cpuAt0) : 0;
    send({ op: 'stats', count, seconds: (lastAt - firstAt) / 1000, cores, sessions: sessions() });
  } else if (cmd.op === 'reset') {
    count = 0;
    firstAt = lastAt = cpuAt0 = cpuAtN = 0;
    send({ op: 'reset' });
  } else if (cmd.op === 'memory') {
    send({ op: 'memory', ...settle(), sessions: sessions() });
  } else if (cmd.op === 'stop') {
    clearTimeout(lifetime);
    void stop().finally(() => {
      send({ op: 'stopped' });
      process.disconnect();
      setTimeout(() => process.exit(0), 200).unref();
    });
  }
});
send({ op: 'ready', port, serverKey, uwsNative, backend: mode === 'sealwire' ? backendName : 'none', poolThreads });
