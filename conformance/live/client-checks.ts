// `--live-client CMD`: any implementation's client against our test server (honest, or with a key
// the client does not trust). The contract is in conformance/README.md ("Live mode").
import { importSigningKey } from '../../src/index.js';
import { expectEqual, type LiveCheck } from './check.js';
import { liveSeed } from './keys.js';
import { liveSecureServer } from './our-server.js';
import { runClient, type ClientCtx } from './client-run.js';
import { NODE_CLIENT_CHECKS } from './node-client-checks.js';
import { HANDOVER_CLIENT_CHECKS } from './handover-client-checks.js';

export type { ClientCtx } from './client-run.js';

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
      const r = await runClient(ctx, liveSecureServer(), { cut: true });
      // A resume of a session of another key, or of one the server does not hold, is refused
      // ([HS-7.2]); a client that starts afresh instead names none.
      expectEqual(r.refusals, [], 'handshakes the server refused');
      if (r.handshakes.filter((o) => o === 'accept').length < 2) throw new Error('the client did not connect again after its connection was lost');
      expectEqual(r.posts[0], { identity: 'alice', text: 'hello' }, 'the first post the server verified');
      expectEqual(r.lines.at(-1), 'bye', "the client's last line");
      expectEqual(r.code, 0, 'exit code');
    },
  },
  ...NODE_CLIENT_CHECKS,
  ...HANDOVER_CLIENT_CHECKS,
];
