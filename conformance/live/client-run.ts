// Our test server runs the client under test (`--live-client CMD`) once per check: the command, the
// environment it gets, and what the server saw of it. The contract is in conformance/README.md.
import { spawn } from 'node:child_process';
import { toHex } from '../../src/bytes.js';
import type { SecureServer } from '../../src/index.js';
import { LIVE_ROOM, LIVE_SERVICE, liveOperatorKey, liveSeed, liveServerPublic } from './keys.js';
import { serveWs, type Served } from './our-server.js';

export interface ClientCtx {
  command: string;
}

export interface ClientRun {
  code: number | null;
  lines: string[];
  posts: { identity: string; text: string }[];
  /** Handshake outcomes the server recorded (a client that gives up after the hello is a reject). */
  handshakes: string[];
  /** The codes of the handshakes the server refused. */
  refusals: string[];
  /** The close code of each session that ended, as the server saw it (a client's close frame, or 1006). */
  closeCodes: number[];
}

export interface RunOptions {
  /** The server loses the client's connection when "hello" arrives, then publishes "bye" every 100 ms. */
  cut?: boolean;
  /** The client trusts the live operator key for the live service (`SEALWIRE_OPERATOR_KEY`), not a pinned key. */
  operator?: boolean;
  /** What the server does when "hello" arrives, in place of publishing "bye". */
  onHello?: (secure: SecureServer, served: Served) => void;
  /** Another node of the service, sharing resume state: every connection after the first goes to it. */
  next?: SecureServer;
  /** Called once the server is up, before the client starts (to watch its connections). */
  onServed?: (served: Served) => void;
}

/**
 * Starts the client under test against a server, answers its "hello" with "bye" in the room. With
 * `cut`, the server instead loses the client's connection when "hello" arrives, and then publishes
 * "bye" every 100 ms, for whichever session the client carries on in.
 */
export async function runClient(ctx: ClientCtx, secure: SecureServer, options: RunOptions = {}): Promise<ClientRun> {
  const { cut = false, operator = false, onHello } = options;
  const served = await serveWs(secure, options.next);
  options.onServed?.(served);
  const posts: ClientRun['posts'] = [];
  const handshakes: string[] = [];
  const refusals: string[] = [];
  const closeCodes: number[] = [];
  let byes: NodeJS.Timeout | undefined;
  secure.on('event', (e) => {
    if (e.type === 'close' && e.closeCode !== undefined) closeCodes.push(e.closeCode);
    if (e.type !== 'handshake') return;
    handshakes.push(e.outcome);
    if (e.outcome === 'reject' && e.code !== undefined) refusals.push(e.code);
  });
  secure.on('message', (m) => {
    posts.push({ identity: m.identity, text: new TextDecoder().decode(m.payload) });
    if (m.room !== LIVE_ROOM) return;
    if (onHello !== undefined) onHello(secure, served);
    else if (!cut) secure.publish(LIVE_ROOM, 'bye');
    else if (byes === undefined) {
      served.cut();
      byes = setInterval(() => secure.publish(LIVE_ROOM, 'bye'), 100);
    }
  });
  const child = spawn(ctx.command, {
    shell: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      SEALWIRE_URL: served.url,
      SEALWIRE_SERVER_KEY: toHex(liveServerPublic().bytes),
      SEALWIRE_CLIENT_SEED: toHex(liveSeed('alice')),
      SEALWIRE_ROOM: LIVE_ROOM,
      ...(operator ? { SEALWIRE_OPERATOR_KEY: toHex(liveOperatorKey().publicKey), SEALWIRE_SERVICE: LIVE_SERVICE } : {}),
    },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 6_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  clearInterval(byes);
  await served.close();
  return { code, lines: out.split('\n').filter((l) => l !== ''), posts, handshakes, refusals, closeCodes };
}
