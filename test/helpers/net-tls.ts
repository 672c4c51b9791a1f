// A self-signed certificate for 127.0.0.1/localhost for the TLS tests: the chat example's generator
// (a tiny DER writer over node:crypto, ECDSA P-256), so no openssl CLI is needed and there is one
// certificate writer in the repository.
import { createCertificate } from '../../examples/chat/server/cert.js';

export interface TestCertificate {
  /** PEM certificate: also the trust anchor a client passes as `ca`. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

/** A fresh self-signed certificate for `localhost`, `127.0.0.1` and `::1`. */
export function selfSignedCertificate(): TestCertificate {
  return createCertificate();
}
