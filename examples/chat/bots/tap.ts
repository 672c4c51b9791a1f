// The attacker's instrument: a `ws` WebSocket that the sealwire client uses normally, but that
// keeps a copy of every frame sent, can hold frames back instead of sending them, and can put
// arbitrary bytes on the wire behind the session's back.
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../../src/adapters/ws/index.js';

export interface Tap {
  /** Pass to `connect` as its WebSocket. */
  readonly WebSocket: WebSocketConstructor;
  /** Frames the session sent, in order. */
  readonly sent: Uint8Array[];
  /** While true, the session's frames are kept in `held` and never sent. */
  hold: boolean;
  readonly held: Uint8Array[];
  /** Sends raw bytes as a binary frame. */
  inject(bytes: Uint8Array): void;
}

export function tap(): Tap {
  let socket: WebSocket | undefined;
  const state: Tap = {
    WebSocket: undefined as unknown as WebSocketConstructor,
    sent: [],
    hold: false,
    held: [],
    inject(bytes) {
      if (socket === undefined) throw new Error('not connected');
      WebSocket.prototype.send.call(socket, bytes, { binary: true });
    },
  };
  class TapWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
      super(url, protocols, options);
      socket = this;
    }

    override send(data: unknown, ...rest: unknown[]): void {
      const bytes = new Uint8Array(data as Uint8Array);
      if (state.hold) {
        state.held.push(bytes);
        return;
      }
      state.sent.push(bytes);
      (WebSocket.prototype.send as (...a: unknown[]) => void).call(this, data, ...rest);
    }
  }
  (state as { WebSocket: WebSocketConstructor }).WebSocket = TapWebSocket as unknown as WebSocketConstructor;
  return state;
}
