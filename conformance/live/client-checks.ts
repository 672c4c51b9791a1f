// `--live-client CMD`: any implementation's client against our test server (honest, or with a key
// the client does not trust). The contract is in conformance/README.md ("Live mode").
import { spawn } from 'node:child_process';
import { toHex } from '../../src/bytes.js';
import { importSigningKey, type SecureServer } from '../../src/index.js';
import { expectEqual, type LiveCheck } from './check.js';
import { LIVE_ROOM, liveSeed, liveServerPublic } from './keys.js';
import { liveSecureServer, serveWs } from './our-server.js';

export interface ClientCtx {
  command: string;
}

interface ClientRun {
  code: number | null;
  lines: string[];
  posts: { identity: string; text: string }[];
  /** Handshake outcomes the server recorded (a client that gives up after the hello is a reject). */
  handshakes: string[];
  /** The codes of the handshakes the server refused. */
  refusals: string[];
}

/**
 * Starts the client under test against a server, answers its "hello" with "bye" in the room. With
 * `cut`, the server instead loses the client's connection when "hello" arrives, and then publishes
 * "bye" every 100 ms, for whichever session the client carries on in.
 */
async function runClient(ctx: ClientCtx, secure: SecureServer, cut = false): Promise<ClientRun> {
  const served = await serveWs(secure);
  const posts: ClientRun['posts'] = [];
  const handshakes: string[] = [];
  const refusals: string[] = [];
  let byes: NodeJS.Timeout | undefined;
  secure.on('event', (e) => {
    if (e.type !== 'handshake') return;
    handshakes.push(e.outcome);
    if (e.outcome === 'reject' && e.code !== undefined) refusals.push(e.code);
  });
  secure.on('message', (m) => {
    posts.push({ identity: m.identity, text: new TextDecoder().decode(m.payload) });
    if (m.room !== LIVE_ROOM) return;
    if (!cut) secure.publish(LIVE_ROOM, 'bye');
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
    },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 6_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  clearInterval(byes);
  await served.close();
  return { code, lines: out.split('\n').filter((l) => l !== ''), posts, handshakes, refusals };
}

export const CLIENT_CHECKS: LiveCheck<ClientCtx>[] = [
  {
    name: "the client's post reaches the server from its verified identity, and the room's answer reaches the client",
    covers: ['HS-8.4'],
    async run(ctx) {
      const r = await runClient(ctx, liveSecureServer());
      expectEqual(r.posts, [{ identity: 'alice', text: 'hello' }], 'posts the server verified');
      expectEqual(r.handshakes, ['accept'], 'handshakes');
      expectEqual(r.lines, ['bye'], "the client's output");
      expectEqual(r.code, 0, 'exit code');
    },
  },
  {
    name: 'a server with a key the client does not trust gets no session and no post',
    covers: ['HS-2.2'],
    async run(ctx) {
      const impostor = liveSecureServer({ key: importSigningKey(liveSeed('impostor')) });
      const r = await runClient(ctx, impostor);
      expectEqual(
        r.handshakes.filter((o) => o === 'accept'),
        [],
        'handshakes the server accepted',
      );
      expectEqual(r.posts, [], 'posts the server received');
      if (r.code === 0) throw new Error('the client exited 0 against an untrusted server');
    },
  },
  {
    name: 'after a lost connection the client carries on, naming only a session it holds: no resume the server refuses',
    covers: ['HS-7.1'],
    async run(ctx) {
      const r = await runClient(ctx, liveSecureServer(), true);
      // A resume of a session of another key, or of one the server does not hold, is refused
      // ([HS-7.2]); a client that starts afresh instead names none.
      expectEqual(r.refusals, [], 'handshakes the server refused');
      if (r.handshakes.filter((o) => o === 'accept').length < 2) throw new Error('the client did not connect again after its connection was lost');
      expectEqual(r.posts[0], { identity: 'alice', text: 'hello' }, 'the first post the server verified');
      expectEqual(r.lines.at(-1), 'bye', "the client's last line");
      expectEqual(r.code, 0, 'exit code');
    },
  },
];
