// What every adapter does at the transport upgrade, whatever its server: the HTTP answer to a
// refused admission ([POL-5.1]) and reading the RFC 9266 exporter from a TLS socket ([HS-4.1]).
import type { ProtocolError } from '../../errors.js';
import { TLS_EXPORTER_LABEL, TLS_EXPORTER_LENGTH } from '../../session/handshake.js';

/** The response header naming the refusal's code. */
export const ERROR_HEADER = 'X-Sealwire-Error';

/** HTTP status for an upgrade refused by `SecureServer.admit`. */
export function upgradeStatus(err: ProtocolError): { status: number; text: string } {
  switch (err.code) {
    case 'ERR_ORIGIN':
      return { status: 403, text: 'Forbidden' };
    case 'ERR_TOO_MANY_CONNECTIONS':
    case 'ERR_RATE_LIMITED':
      return { status: 429, text: 'Too Many Requests' };
    default:
      return { status: 503, text: 'Service Unavailable' };
  }
}

/** A complete raw HTTP/1.1 response refusing an upgrade, for adapters that own the socket. */
export function upgradeRefusal(err: ProtocolError): string {
  const { status, text } = upgradeStatus(err);
  return (
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
    `${ERROR_HEADER}: ${err.code}\r\nContent-Length: ${err.code.length}\r\n\r\n${err.code}`
  );
}

interface TlsLike {
  getProtocol?: () => string | null;
  exportKeyingMaterial?: (length: number, label: string) => Uint8Array;
}

/**
 * The tls-exporter value of a Node TLS socket, or undefined for plain sockets and TLS below 1.3
 * (RFC 9266 needs extended master secret on 1.2, which Node cannot report). Duck-typed so that
 * importing it loads no `node:` module.
 */
export function readTlsExporter(socket: unknown): Uint8Array | undefined {
  const s = socket as TlsLike | null | undefined;
  if (s === null || s === undefined || typeof s.exportKeyingMaterial !== 'function' || typeof s.getProtocol !== 'function') {
    return undefined;
  }
  if (s.getProtocol() !== 'TLSv1.3') return undefined;
  try {
    return new Uint8Array(s.exportKeyingMaterial(TLS_EXPORTER_LENGTH, TLS_EXPORTER_LABEL));
  } catch {
    return undefined; // the socket closed under us; the handshake will fail on its own
  }
}
