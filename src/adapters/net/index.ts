// sealwire/net: sessions over plain TCP (node:net) with length-prefixed frames (framing.ts): a
// transport that is not a WebSocket, for services, devices and tests. Node-only.
import { Socket as NetSocket, connect as netConnect, type Server as NetServer, type Socket } from 'node:net';
import { ProtocolError, isProtocolError } from '../../errors.js';
import { ClientSession, type ClientSessionOptions } from '../../session/client-session.js';
import type { Admission, SecureServer } from '../../session/server.js';
import type { ServerSession } from '../../session/server-session.js';
import type { Transport } from '../../session/transport.js';
import { heldUntilGone } from '../shared/hold.js';
import { FrameReader, closeFrame, messageFrame } from './framing.js';

/** How long an ended session's socket may take to close before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

export interface AttachedNet {
  /** Sessions open on this server. */
  readonly sessions: ReadonlySet<ServerSession>;
  /** Stops taking connections into sessions and closes every session. */
  close(): void;
}

/**
 * Serves sealwire sessions on a `node:net` server you created (and listen on).
 *
 * @throws {TypeError} when `server` is not a net.Server.
 * @example
 * ```ts
 * const tcp = createServer()
 * attach(secureServer, tcp)
 * tcp.listen(7000)
 * ```
 */
export function attach(secure: SecureServer, server: NetServer): AttachedNet {
  if (server === null || typeof server !== 'object' || typeof server.on !== 'function') throw new TypeError('"server" expected a net.Server');
  const sessions = new Set<ServerSession>();
  const onConnection = (socket: Socket): void => {
    let admission: Admission;
    try {
      // [POL-5.1]: before any handshake work. Raw TCP has no origin.
      admission = secure.admit(socket.remoteAddress !== undefined ? { address: socket.remoteAddress } : {});
    } catch (err) {
      const e = isProtocolError(err) ? err : new ProtocolError('ERR_INTERNAL', 'internal error');
      socket.end(closeFrame(e.closeCode, e.code));
      socket.destroySoon();
      return;
    }
    const session = secure.accept(
      transportOf(socket),
      heldUntilGone(admission, (gone) => socket.once('close', gone)),
    );
    sessions.add(session);
    void session.closed.then(() => sessions.delete(session));
    feed(socket, session, secure.limits.maxMessageSize);
  };
  server.on('connection', onConnection);
  return {
    sessions,
    close: () => {
      server.off('connection', onConnection);
      secure.close();
    },
  };
}

export type NetConnectOptions = Omit<ClientSessionOptions, 'channelBinding'> & {
  /** Largest frame accepted from the server, checked from its header. Default 1 MiB. */
  maxFrameSize?: number;
};

/**
 * Connects over TCP (or runs on a socket you opened) and runs the sealwire handshake.
 *
 * @throws {ProtocolError} (rejection) the handshake's or the server's refusal.
 * @example
 * ```ts
 * const session = await connect({ host: '127.0.0.1', port: 7000 }, { key, serverKey })
 * ```
 */
export function connect(to: { host: string; port: number } | Socket, options: NetConnectOptions): Promise<ClientSession> {
  const { maxFrameSize = 1 << 20, ...sessionOptions } = options;
  const socket = to instanceof NetSocket ? to : netConnect({ host: to.host, port: to.port, noDelay: true });
  const session = new ClientSession(transportOf(socket), sessionOptions);
  feed(socket, session, maxFrameSize);
  return session.ready.then(() => session);
}

function transportOf(socket: Socket): Transport {
  return {
    send: (bytes) => void socket.write(messageFrame(bytes)),
    close: (code, reason) => {
      if (socket.writable) socket.end(closeFrame(code, reason));
      const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    },
    bufferedAmount: () => socket.writableLength,
    pauseReading: () => socket.pause(),
    resumeReading: () => socket.resume(),
  };
}

/** Socket events into the session, either side. */
function feed(socket: Socket, session: ClientSession | ServerSession, maxFrameSize: number): void {
  let peerClose: { code: number; reason: string } | undefined;
  const reader = new FrameReader(maxFrameSize, {
    message: (payload) => session.receive(payload),
    close: (code, reason) => {
      peerClose = { code, reason };
      socket.end();
    },
    invalid: (why) => {
      if (why === 'too-large') session.reject(new ProtocolError('ERR_TOO_LARGE', 'frame exceeds the message size limit'));
      else session.fail(new ProtocolError('ERR_MALFORMED', 'invalid frame'));
    },
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  // [POL-8.1]: the socket drained, so data paused by backpressure can go.
  socket.on('drain', () => session.transportDrained());
  socket.on('error', () => {}); // 'close' follows with what there is to know
  socket.on('close', () => session.transportClosed(peerClose?.code ?? 1006, peerClose?.reason ?? 'connection lost'));
}
