// sealwire/socket.io: sessions over a Socket.IO server or namespace, and the socket.io-client side.
// Neither imports socket.io: pass your own Server, Namespace or client Socket.
export { attach, type AttachedIo } from './server.js';
export { connect, type IoConnectOptions } from './client.js';
export type { IoClientSocketLike, IoNamespaceLike, IoServerSocketLike } from './wire.js';
