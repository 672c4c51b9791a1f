// A `ws` client that remembers its latest instance, so a test can reach the socket under a session
// (cut the client's side of the connection, stop reading, send raw frames).
import WebSocket from 'ws';

export class TrackedWebSocket extends WebSocket {
  static last: TrackedWebSocket | undefined;
  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, options);
    TrackedWebSocket.last = this;
  }
}
