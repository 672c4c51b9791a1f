// Client-side instruments for the integration suite: a `ws` WebSocket that records (and can
// intercept) frames, a view of it restricted to the standard WebSocket API (the browser path),
// and a TLS relay that terminates TLS and re-originates it (a machine-in-the-middle).
import { createServer as createTlsServer, connect as tlsConnect, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { connect, type ConnectOptions, type WebSocketConstructor, type WebSocketLike } from '../../src/adapters/ws/index.js';
import type { ClientSession, SigningKey } from '../../src/index.js';
import { serverPublic } from './server-fixture.js';
import type { TestCertificate } from './net-tls.js';

/** `ws` with a record of every frame sent and received; `hold` keeps the next sends off the wire. */
export class RecordingWebSocket extends WebSocket {
  static readonly instances: RecordingWebSocket[] = [];
  readonly sent: Uint8Array[] = [];
  readonly received: Uint8Array[] = [];
  readonly held: Uint8Array[] = [];
  hold = false;

  constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
    super(url, protocols, options);
    RecordingWebSocket.instances.push(this);
    this.on('message', (data: Buffer) => this.received.push(new Uint8Array(data)));
  }

  override send(data: unknown, ...rest: unknown[]): void {
    const bytes = new Uint8Array(data as Uint8Array);
    if (this.hold) {
      this.held.push(bytes);
      return;
    }
    this.sent.push(bytes);
    (super.send as (...a: unknown[]) => void)(data, ...rest);
  }

  /** Puts raw bytes on the wire, bypassing the session. */
  inject(bytes: Uint8Array): void {
    (super.send as (...a: unknown[]) => void)(bytes, { binary: true });
  }
}

/** A session client of the fixture server key over a RecordingWebSocket, and that socket. */
export async function connectRecorded(url: string, key: SigningKey, channelBinding: boolean): Promise<{ client: ClientSession; socket: RecordingWebSocket }> {
  const options = { WebSocket: RecordingWebSocket as unknown as WebSocketConstructor, key, serverKey: serverPublic, channelBinding };
  const client = await connect(url, options as ConnectOptions);
  return { client, socket: RecordingWebSocket.instances.at(-1)! };
}

/** Only what a browser's WebSocket offers: no `.on`, no upgrade response, no TLS socket. */
export function standardOnly(Base: typeof WebSocket = WebSocket): WebSocketConstructor {
  return class StandardWebSocket implements WebSocketLike {
    readonly #ws: WebSocket;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;

    constructor(url: string, protocols?: string | string[], options?: object) {
      this.#ws = new Base(url, protocols, options as WebSocket.ClientOptions);
      this.#ws.binaryType = 'arraybuffer';
      this.#ws.onmessage = (e) => this.onmessage?.({ data: e.data });
      this.#ws.onclose = (e) => this.onclose?.({ code: e.code, reason: e.reason });
      this.#ws.onerror = (e) => this.onerror?.(e);
    }

    get binaryType(): string {
      return this.#ws.binaryType;
    }

    set binaryType(v: string) {
      this.#ws.binaryType = v as WebSocket['binaryType'];
    }

    get readyState(): number {
      return this.#ws.readyState;
    }

    send(data: Uint8Array): void {
      this.#ws.send(data);
    }

    close(code?: number, reason?: string): void {
      this.#ws.close(code, reason);
    }
  };
}

export interface Relay {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Terminates the client's TLS with its own certificate (one the client trusts: think of a
 * corporate interception proxy) and opens a new TLS connection to `targetPort`, copying bytes.
 */
export async function startTlsRelay(cert: TestCertificate, targetPort: number, targetCa: string): Promise<Relay> {
  const sockets = new Set<TLSSocket>();
  const server: TlsServer = createTlsServer({ cert: cert.cert, key: cert.key }, (inbound) => {
    sockets.add(inbound);
    const outbound = tlsConnect({ host: '127.0.0.1', port: targetPort, ca: targetCa, servername: 'localhost' });
    sockets.add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const end = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
