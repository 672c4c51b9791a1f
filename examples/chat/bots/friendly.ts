// The friendly bots `npm start` runs: `greeter` chats in the lobby, `modbot` (a moderator)
// deletes spam. Each logs in like a person and reconnects when its session ends (tokens are short).
import type { ClientSession } from '../../../src/index.js';
import { ACTION_DELETE, type DeleteRequest } from '../shared/protocol.js';
import { connectAs, type Target } from './node-client.js';

export interface Bot {
  stop(): void;
  /** Resolves with the first session. */
  readonly ready: Promise<ClientSession>;
}

/** Keeps one session of `username` alive, running `onSession` on each new one. */
export function keepConnected(
  target: Target,
  username: string,
  password: string,
  onSession: (session: ClientSession) => (() => void) | void,
  retryMs = 2000,
): Bot {
  let stopped = false;
  let current: ClientSession | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolveReady!: (s: ClientSession) => void;
  const ready = new Promise<ClientSession>((resolve) => (resolveReady = resolve));
  const run = async (): Promise<void> => {
    if (stopped) return;
    try {
      const { session } = await connectAs(target, username, password);
      if (stopped) return session.close();
      current = session;
      const cleanup = onSession(session);
      resolveReady(session);
      await session.closed;
      cleanup?.();
    } catch {
      // The server is restarting or refused us: try again shortly.
    }
    if (!stopped) timer = setTimeout(() => void run(), retryMs);
  };
  void run();
  return {
    ready,
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (current?.state === 'open') current.close();
    },
  };
}

const TIPS = [
  'Every message here is a COSE_Sign1 envelope signed by its sender’s Ed25519 key.',
  'Your login token names your key (cnf.jkt): stolen, it opens nothing.',
  'Replayed, tampered or forged envelopes close the session with their error code.',
  'Rooms are checked by the server on your verified identity, never on what a message claims.',
  'Try sending <b>bold</b> or <img src=x onerror=alert(1)>: it shows as text.',
];

export function startGreeter(target: Target, options: { intervalMs?: number } = {}): Bot {
  let n = 0;
  return keepConnected(target, 'greeter', 'greeter-demo', (session) => {
    const say = (): void => {
      if (session.state === 'open') session.send('lobby', TIPS[n++ % TIPS.length]!);
    };
    void session.join('lobby').then(say, () => {});
    const timer = setInterval(say, options.intervalMs ?? 20_000);
    return () => clearInterval(timer);
  });
}

export const SPAM = /\bspam\b/i;

export function startModbot(target: Target): Bot {
  return keepConnected(target, 'modbot', 'modbot-demo', (session) => {
    void Promise.all([session.join('lobby'), session.join('dev')]).catch(() => {});
    session.on('message', (m) => {
      if (m.action !== 'send' || m.room === null || !SPAM.test(new TextDecoder().decode(m.payload))) return;
      const target: DeleteRequest = { keyId: m.keyId, seq: m.seq };
      session.request(ACTION_DELETE, JSON.stringify(target), m.room).catch(() => {});
    });
  });
}
