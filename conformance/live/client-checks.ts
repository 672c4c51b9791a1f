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
}

/** Starts the client under test against a server, answers its "hello" with "bye" in the room. */
async function runClient(ctx: ClientCtx, secure: SecureServer): Promise<ClientRun> {
  const served = await serveWs(secure);
  const posts: ClientRun['posts'] = [];
  const handshakes: string[] = [];
  secure.on('event', (e) => e.type === 'handshake' && handshakes.push(e.outcome));
  secure.on('message', (m) => {
    posts.push({ identity: m.identity, text: new TextDecoder().decode(m.payload) });
    if (m.room === LIVE_ROOM) secure.publish(LIVE_ROOM, 'bye');
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
  await served.close();
  return { code, lines: out.split('\n').filter((l) => l !== ''), posts, handshakes };
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
];
