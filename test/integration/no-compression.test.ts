// [POL-5.2]: adapters disable per-message compression. A client offering permessage-deflate (with
// and without parameters) to every adapter, plain and TLS, on real sockets on 127.0.0.1 port 0,
// gets no extension back and its connection still carries the handshake uncompressed.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { KeyRing, SecureServer, generateKeyPair, importSigningKey } from '../../src/index.js';
import { attach } from '../../src/adapters/ws/index.js';
import { ADAPTERS, type RunningAdapter } from '../helpers/net-adapters.js';
import { selfSignedCertificate, type TestCertificate } from '../helpers/net-tls.js';

const serverKey = importSigningKey(generateKeyPair().secretKey);
let cert: TestCertificate;
beforeAll(() => {
  cert = selfSignedCertificate();
});

const OFFERS = [
  'permessage-deflate',
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate; server_no_context_takeover; client_no_context_takeover, permessage-deflate',
];

for (const adapter of ADAPTERS) {
  for (const mode of ['plain', 'tls'] as const) {
    describe(`[POL-5.2] ${adapter.name} adapter, ${mode}: no per-message compression`, () => {
      let running: RunningAdapter | undefined;
      afterEach(async () => {
        await running?.close();
        running = undefined;
      });

      for (const offer of OFFERS) {
        it(`answers "Sec-WebSocket-Extensions: ${offer}" with no extension`, async () => {
          running = await adapter.start(new SecureServer({ key: serverKey, keys: new KeyRing(), authorize: () => true }), mode === 'tls' ? { tls: cert } : {});
          const ws = new WebSocket(running.url, {
            // ws's own offer is replaced by the raw header, so the exact offers above go out.
            perMessageDeflate: false,
            headers: { 'Sec-WebSocket-Extensions': offer },
            ...(mode === 'tls' ? { ca: cert.cert } : {}),
          });
          const response = new Promise<IncomingMessage>((resolve) => ws.once('upgrade', resolve));
          const hello = new Promise<{ data: Buffer; binary: boolean }>((resolve) => ws.once('message', (data: Buffer, binary) => resolve({ data, binary })));
          const res = await response;
          expect(res.statusCode).toBe(101);
          expect(res.headers['sec-websocket-extensions']).toBeUndefined();
          expect(ws.extensions).toBe('');
          // The ServerHello arrives as a plain binary frame: [1, versions, …] in CBOR.
          const { data, binary } = await hello;
          expect(binary).toBe(true);
          expect([data[0], data[1]]).toEqual([0x86, 0x01]);
          ws.close();
        });
      }

      it('a client that asks ws for compression by default (perMessageDeflate: true) gets none', async () => {
        running = await adapter.start(new SecureServer({ key: serverKey, keys: new KeyRing(), authorize: () => true }), mode === 'tls' ? { tls: cert } : {});
        const ws = new WebSocket(running.url, { perMessageDeflate: true, ...(mode === 'tls' ? { ca: cert.cert } : {}) });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        expect(ws.extensions).toBe('');
        ws.close();
      });
    });
  }
}

describe('[POL-5.2] the ws adapter refuses a WebSocketServer with compression on', () => {
  it('throws RangeError naming perMessageDeflate', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true, maxPayload: 65536 });
    const server = new SecureServer({ key: serverKey, keys: new KeyRing(), authorize: () => true });
    try {
      expect(() => attach(server, { wss })).toThrow(/perMessageDeflate/);
    } finally {
      server.close();
      wss.close();
    }
  });
});
