// sealwire/ws: sessions over the `ws` WebSocket server, and the one client for `ws` and browsers.
export { attach, type AttachOptions, type AttachedWs } from './server.js';
export { connect, type ConnectOptions, type WebSocketConstructor, type WebSocketLike } from './client.js';
export { DEFAULT_HTTP_LIMITS, limitHttpServer, type HttpLimits } from './http-limits.js';
export { stayConnected, StayConnected, type ReconnectOptions, type StayConnectedEvents } from './reconnect.js';
