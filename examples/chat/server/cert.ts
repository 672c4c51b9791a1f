// The chat's TLS certificate: self-signed, made on first start with a tiny DER writer and
// node:crypto (ECDSA P-256; no openssl CLI needed), kept in the data directory and reused until
// it nears expiry. Browsers warn about it once; bots and tests trust it explicitly (`ca`).
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificate {
  /** PEM: also the trust anchor a client passes as `ca`. */
  readonly cert: string;
  /** PEM PKCS#8. */
  readonly key: string;
  /** SHA-256 fingerprint, as browsers show it. */
  readonly fingerprint: string;
  /** True when this start created it. */
  readonly created: boolean;
  /** The files (uWebSockets.js's SSLApp reads them by name). */
  readonly certPath: string;
  readonly keyPath: string;
}

const VALID_DAYS = 90;
const RENEW_BEFORE_MS = 7 * 86_400_000;

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), len(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

const name = (cn: string): Buffer => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));

/** A new self-signed end-entity certificate for localhost, 127.0.0.1 and ::1. */
export function createCertificate(now = Date.now()): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, minimal INTEGER
  const ipv6Loopback = Buffer.alloc(16);
  ipv6Loopback[15] = 1;
  const san = seq(tlv(0x82, Buffer.from('localhost', 'ascii')), tlv(0x87, Buffer.of(127, 0, 0, 1)), tlv(0x87, ipv6Loopback));
  const extensions = tlv(
    0xa3,
    seq(
      seq(oid('2.5.29.19'), tlv(0x01, Buffer.of(0xff)), tlv(0x04, seq())), // basicConstraints: not a CA, critical
      seq(oid('2.5.29.15'), tlv(0x01, Buffer.of(0xff)), tlv(0x04, tlv(0x03, Buffer.of(7, 0x80)))), // keyUsage: digitalSignature
      seq(oid('2.5.29.37'), tlv(0x04, seq(oid('1.3.6.1.5.5.7.3.1')))), // extKeyUsage: serverAuth
      seq(oid('2.5.29.17'), tlv(0x04, san)),
    ),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.of(2))), // v3
    tlv(0x02, serial),
    ecdsaSha256,
    name('sealwire chat (localhost)'),
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + VALID_DAYS * 86_400_000))),
    name('sealwire chat (localhost)'),
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaSha256, tlv(0x03, Buffer.of(0), signature));
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`,
    key: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })).export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

function usable(cert: string, key: string, now: number): boolean {
  try {
    const x = new X509Certificate(cert);
    return Date.parse(x.validTo) - now > RENEW_BEFORE_MS && x.checkPrivateKey(createPrivateKey(key)) && x.checkHost('localhost') !== undefined;
  } catch {
    return false;
  }
}

/** The certificate in `dir` (cert.pem, key.pem with mode 0600), created or renewed when needed. */
export function loadOrCreateCertificate(dir: string, now = Date.now()): Certificate {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  let created = false;
  let pair: { cert: string; key: string } | undefined;
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    const key = readFileSync(keyPath, 'utf8');
    if (usable(cert, key, now)) pair = { cert, key };
  }
  if (pair === undefined) {
    pair = createCertificate(now);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(keyPath, pair.key, { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    writeFileSync(certPath, pair.cert);
    created = true;
  }
  return { ...pair, fingerprint: new X509Certificate(pair.cert).fingerprint256, created, certPath, keyPath };
}
