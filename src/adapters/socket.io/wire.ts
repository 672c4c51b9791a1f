// How sealwire rides on Socket.IO: three reserved event names, and the shapes of the Socket.IO
// objects the adapters use, written out so neither side needs socket.io's types to compile.

/** Carries one sealwire message (a handshake message or an envelope) as binary, after its session tag. */
export const FRAME_EVENT = 'sealwire';
/** The client's listener is in place: the server may start the session (and send its hello). */
export const READY_EVENT = 'sealwire:ready';
/** The side that ends a session says why, with a sealwire close code, before the socket goes. */
export const CLOSE_EVENT = 'sealwire:close';

/** Socket.IO's listener type: its typed events would not accept a narrower one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type IoListener = (...args: any[]) => void;

/** A Socket.IO `Server` or `Namespace`, as far as the server adapter uses it. */
export interface IoNamespaceLike {
  use(middleware: (socket: IoServerSocketLike, next: (err?: Error) => void) => void): unknown;
  on(event: 'connection', listener: (socket: IoServerSocketLike) => void): unknown;
  off(event: 'connection', listener: (socket: IoServerSocketLike) => void): unknown;
}

/** A server-side Socket.IO socket, as far as the adapter uses it. */
export interface IoServerSocketLike {
  readonly connected: boolean;
  readonly handshake: { readonly address: string; readonly secure: boolean; readonly headers: Record<string, string | string[] | undefined> };
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: IoListener): unknown;
  once(event: string, listener: IoListener): unknown;
  disconnect(close?: boolean): unknown;
}

/** A socket.io-client socket, as far as the client adapter uses it. */
export interface IoClientSocketLike {
  readonly connected: boolean;
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: IoListener): unknown;
  off(event: string, listener: IoListener): unknown;
}

/** Binary as Socket.IO delivers it (a Buffer in Node, an ArrayBuffer in browsers), else undefined. */
export function frameBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return undefined;
}

/** A close code and reason received on {@link CLOSE_EVENT}, checked: anything else is ignored. */
export function closeOf(code: unknown, reason: unknown): { code: number; reason: string } | undefined {
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 1000 || code > 4999) return undefined;
  return { code, reason: typeof reason === 'string' ? reason.slice(0, 123) : '' };
}

const TAG = /^[0-9a-f]{16}$/;

/** A fresh tag naming one session on its connection: 8 random bytes, hex. */
export function newTag(): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function isTag(tag: unknown): tag is string {
  return typeof tag === 'string' && TAG.test(tag);
}
