// An in-memory ordered duplex: each side's messages arrive at the other asynchronously, in order,
// and a close on one side reaches the other with its code — a WebSocket without the socket.
import type { Transport } from '../../src/index.js';
import type { Session } from '../../src/protocol.js';

export interface MemoryLink {
  /** Transport for the server end / client end. */
  server: Transport;
  client: Transport;
  /** Wire the channels once both exist. */
  connect(server: Session, client: Session): void;
  /** Every message the client end sent, in order (what a network observer or proxy would see). */
  readonly fromClient: Uint8Array[];
  readonly fromServer: Uint8Array[];
  /** Inject raw bytes as if the client (or server) had sent them. */
  injectToServer(bytes: Uint8Array): void;
  injectToClient(bytes: Uint8Array): void;
  /** The connection drops with no close frame (1006): both ends learn it at once. */
  cut(): void;
}

export function memoryLink(): MemoryLink {
  let s: Session | undefined;
  let c: Session | undefined;
  let closed = false;
  const fromClient: Uint8Array[] = [];
  const fromServer: Uint8Array[] = [];
  const later = (fn: () => void): void => void setImmediate(fn);
  const closeBoth = (code: number, reason: string, by: 'server' | 'client'): void => {
    if (closed) return;
    closed = true;
    later(() => (by === 'server' ? c : s)?.transportClosed(code, reason));
  };
  return {
    fromClient,
    fromServer,
    server: {
      send: (bytes) => {
        if (closed) return;
        const copy = bytes.slice();
        fromServer.push(copy);
        later(() => c?.receive(copy));
      },
      close: (code, reason) => closeBoth(code, reason, 'server'),
    },
    client: {
      send: (bytes) => {
        if (closed) return;
        const copy = bytes.slice();
        fromClient.push(copy);
        later(() => s?.receive(copy));
      },
      close: (code, reason) => closeBoth(code, reason, 'client'),
    },
    connect(server, client) {
      s = server;
      c = client;
    },
    injectToServer: (bytes) => later(() => s?.receive(bytes)),
    injectToClient: (bytes) => later(() => c?.receive(bytes)),
    cut() {
      closed = true;
      s?.transportClosed(1006, '');
      c?.transportClosed(1006, '');
    },
  };
}

/** A link whose client→server direction can be held and then delivered in one synchronous burst. */
export function burstLink() {
  let s: Session | undefined;
  let c: Session | undefined;
  let holding = false;
  const held: Uint8Array[] = [];
  const calls: string[] = [];
  const server: Transport = {
    send: (b) => void setImmediate(() => c?.receive(b.slice())),
    close: (code, reason) => void setImmediate(() => c?.transportClosed(code, reason)),
    pauseReading: () => calls.push('pause'),
    resumeReading: () => calls.push('resume'),
  };
  const client: Transport = {
    send: (b) => {
      const copy = b.slice();
      if (holding) held.push(copy);
      else setImmediate(() => s?.receive(copy));
    },
    close: (code, reason) => void setImmediate(() => s?.transportClosed(code, reason)),
  };
  return {
    server,
    client,
    calls,
    held,
    connect(a: Session, b: Session) {
      s = a;
      c = b;
    },
    hold: () => void (holding = true),
    /** Delivers everything held, then `extra`, in one synchronous loop, as one network read would. */
    burst(extra: Uint8Array[] = []) {
      holding = false;
      for (const b of [...held.splice(0), ...extra]) s!.receive(b);
    },
  };
}
