// `npm start`: the secure chat on this machine, with its bots. Flags:
//   --adapter ws|uws   WebSocket server (default ws)
//   --port N           default 8443 (0: any free port)
//   --ws-port N        uws only: the WebSocket port (default port + 1)
//   --plain            HTTP + WS instead of HTTPS + WSS (loopback only)
//   --no-bots          do not start greeter, modbot and mallory
//   --data-dir DIR     where the certificate is kept (default examples/chat/.data)
//   --node NAME --nodes a:8443,b:8453 --redis-port N
//                      one node of several sharing a Redis (what `npm run start:cluster` runs)
// JSON log lines go to stdout; the banner and the attacker's round reports go to stderr.
import { parseArgs } from 'node:util';
import { startAttacker } from '../bots/attacker.js';
import { startGreeter, startModbot } from '../bots/friendly.js';
import { DEFAULT_DATA_DIR, DEFAULT_PORT, startChat, type AdapterName } from './app.js';

const { values } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'ws' },
    port: { type: 'string', default: String(DEFAULT_PORT) },
    'ws-port': { type: 'string' },
    plain: { type: 'boolean', default: false },
    'no-bots': { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    node: { type: 'string' },
    nodes: { type: 'string' },
    'redis-port': { type: 'string' },
  },
});

const say = (line = ''): void => void process.stderr.write(`${line}\n`);
function portFlag(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    say(`--${name} expected 0–65535, got ${value}`);
    process.exit(2);
  }
  return n;
}
const port = portFlag('port', values.port);
const wsPort = values['ws-port'] === undefined ? undefined : portFlag('ws-port', values['ws-port']);
if (values.adapter !== 'ws' && values.adapter !== 'uws') {
  say(`--adapter expected ws or uws, got ${values.adapter}`);
  process.exit(2);
}

// A node of several: its name, every node's name and port, and the Redis they share.
const nodes = values.nodes?.split(',').map((n) => {
  const [name, p] = n.split(':');
  return { name: name ?? '', port: portFlag('nodes', p ?? '') };
});
const cluster =
  values.node === undefined || nodes === undefined || values['redis-port'] === undefined
    ? undefined
    : { node: values.node, nodes, redisPort: portFlag('redis-port', values['redis-port']) };

const chat = await startChat({
  ...(cluster !== undefined ? { cluster } : {}),
  adapter: values.adapter as AdapterName,
  port,
  ...(wsPort !== undefined ? { wsPort } : {}),
  tls: !values.plain,
  dataDir: values['data-dir'],
}).catch((err: unknown) => {
  // A busy port is the common first-run problem: one plain line and the flag that fixes it.
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    say(`sealwire chat: port ${(err as { port?: number }).port ?? port} is in use (another chat still running?). Stop it, or pick another: npm start -- --port 9443`);
    process.exit(1);
  }
  throw err;
});

say();
say(`  sealwire chat is running:  ${chat.url}${cluster === undefined ? '' : `  (node ${cluster.node} of ${cluster.nodes.length})`}`);
say(`  sessions: ${chat.wsUrl} (${chat.adapter === 'ws' ? 'ws' : 'uWebSockets.js'} adapter)`);
say(`  metrics:  ${chat.url}metrics (Prometheus text; answers this machine only)`);
if (chat.certificate !== undefined) {
  say(`  TLS: self-signed certificate ${chat.certificate.created ? 'created' : 'reused'} in ${values['data-dir']}`);
  say(`       SHA-256 ${chat.certificate.fingerprint}`);
  say('       Your browser will warn once: compare the fingerprint, then proceed.');
} else {
  say('  NOTICE: --plain serves HTTP and WS without TLS. Tokens and messages cross the loopback');
  say('          interface unencrypted (still signed). Use it on this machine only, never on a network.');
}
say('  Log in as alice / alice-demo, bob / bob-demo, carol / carol-demo, maya / maya-demo (moderator)');
say('  or ada / ada-demo (admin: sees the live security panel). Ctrl-C stops.');
say();

// The bots connect to the IPv4 loopback the server listens on (localhost may resolve to ::1).
const target = { url: chat.url.replace('localhost', '127.0.0.1'), ca: chat.ca };
const bots = values['no-bots']
  ? []
  : [
      startGreeter(target),
      startModbot(target),
      startAttacker(target, {
        onResult: (r) => say(`  [mallory] ${r.attack.padEnd(36)} → ${r.observed}${r.observed === r.expected ? '' : `  (expected ${r.expected})`}`),
      }),
    ];

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  for (const b of bots) b.stop();
  void chat.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
