// Timings the server has no event for, measured only while metrics are attached: the Receiver's
// open (one call in `every` is timed, so the hot path pays one counter increment otherwise), the
// handshake (from `accept` to the session's registration) and the relay of a published message.
// Each wraps the instance's own
// method and put it back on `stop`; nothing changes for a server without metrics.
import type { Receiver } from '../envelope/receiver.js';
import type { SecureServer } from '../session/server.js';
import type { ServerSession } from '../session/server-session.js';

export type Observe = (seconds: number) => void;

const now = (): number => performance.now();

/** Times one open in `every`, the sessions' and direct `open`/`openSync` calls alike; returns the undo. */
export function timeReceiver(receiver: Receiver, every: number, observe: Observe): () => void {
  receiver.timeOpens(observe, every);
  const openSync = receiver.openSync;
  const open = receiver.open;
  let n = 0;
  receiver.openSync = function (this: Receiver, ...args: Parameters<Receiver['openSync']>) {
    if (++n < every) return openSync.apply(this, args);
    n = 0;
    const t0 = now();
    try {
      return openSync.apply(this, args);
    } finally {
      observe((now() - t0) / 1000);
    }
  };
  receiver.open = function (this: Receiver, ...args: Parameters<Receiver['open']>) {
    if (++n < every) return open.apply(this, args);
    n = 0;
    const t0 = now();
    const done = (): void => observe((now() - t0) / 1000);
    const p = open.apply(this, args);
    p.then(done, done);
    return p;
  };
  return () => {
    receiver.timeOpens(undefined, every);
    delete (receiver as Partial<Receiver>).openSync;
    delete (receiver as Partial<Receiver>).open;
  };
}

/** Times each handshake from `accept` to the session's registration; returns the undo. */
export function timeHandshakes(server: SecureServer, observe: Observe): () => void {
  const accept = server.accept;
  const started = new WeakMap<ServerSession, number>();
  server.accept = function (this: SecureServer, ...args: Parameters<SecureServer['accept']>) {
    const t0 = now();
    const session = accept.apply(this, args);
    started.set(session, t0);
    return session;
  };
  const off = server.on('session', (session) => {
    const t0 = started.get(session);
    if (t0 !== undefined) observe((now() - t0) / 1000);
  });
  return () => {
    off();
    delete (server as Partial<SecureServer>).accept;
  };
}

/**
 * Times each relay: from the signed timestamp of the message a `publish` forwards (`as`) to the
 * server handing it to the room's members. Includes the sender's clock skew (bounded by the
 * handshake's maxSkewMs); a publish without `as` has no origin time and is not timed.
 */
export function timePublish(server: SecureServer, clock: () => number, observe: Observe): () => void {
  const publish = server.publish;
  server.publish = function (this: SecureServer, ...args: Parameters<SecureServer['publish']>) {
    const n = publish.apply(this, args);
    const ts = args[2]?.as?.ts;
    if (typeof ts === 'number' && n > 0) observe(Math.max(0, clock() - ts) / 1000);
    return n;
  };
  return () => {
    delete (server as Partial<SecureServer>).publish;
  };
}
