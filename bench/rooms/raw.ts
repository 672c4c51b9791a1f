// Counting WebSocket frames straight off a TCP socket (RFC 6455 §5.2), so that a member process
// costs little per frame whatever the server sends: the figures are then the server's, not the
// load generator's. Server-to-client frames are unmasked; only binary data frames are handed on.
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/** Reads frames off `socket` from now on and calls `onFrame` with each binary payload. */
export function readFrames(socket: Socket, onFrame: (payload: Buffer) => void, leftover?: Buffer): void {
  let pending: Buffer = leftover ?? Buffer.alloc(0);
  const drain = (): void => {
    for (;;) {
      if (pending.length < 2) return;
      const opcode = pending[0]! & 0x0f;
      let len = pending[1]! & 0x7f;
      let head = 2;
      if (len === 126) {
        if (pending.length < 4) return;
        len = pending.readUInt16BE(2);
        head = 4;
      } else if (len === 127) {
        if (pending.length < 10) return;
        len = Number(pending.readBigUInt64BE(2));
        head = 10;
      }
      if (pending.length < head + len) return;
      if (opcode === 2) onFrame(pending.subarray(head, head + len));
      pending = pending.subarray(head + len);
    }
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    drain();
  });
  drain();
}

/** A plain WebSocket client on a raw socket: the upgrade by hand, then frames counted. */
export function rawWebSocket(url: string, onFrame: (payload: Buffer) => void): Promise<Socket> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => {
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      if (!head.subarray(0, 12).toString().includes('101')) {
        reject(new Error(`upgrade refused: ${head.subarray(0, end).toString()}`));
        return;
      }
      readFrames(socket, onFrame, head.subarray(end + 4));
      resolve(socket);
    };
    socket.on('data', onHead);
    socket.once('error', reject);
  });
}
