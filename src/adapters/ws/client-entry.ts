// sealwire/ws/client: the WebSocket client alone, for browsers and bundlers (no `ws` import).
export { connect, type ConnectOptions, type WebSocketConstructor, type WebSocketLike } from './client.js';
export { stayConnected, StayConnected, type ReconnectOptions, type StayConnectedEvents } from './reconnect.js';
