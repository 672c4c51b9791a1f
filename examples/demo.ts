// `npm start` until the chat example lands: seal, open, and watch tampering and forgery fail.
import {
  KeyRing,
  generateKeyPair,
  getDefaultBackend,
  importSigningKey,
  isProtocolError,
  open,
  seal,
  toHex,
} from '../src/index.js';

const text = new TextEncoder();
const alice = generateKeyPair();
const mallory = generateKeyPair();
const ring = new KeyRing();
ring.add(alice.publicKey, { identity: 'alice' });

const signer = importSigningKey(alice.secretKey);
const stream = crypto.getRandomValues(new Uint8Array(16));
const envelope = seal(signer, text.encode('meet at noon'), { seq: 0, stream });

console.log(`backend: ${getDefaultBackend().name}`);
console.log(`envelope (${envelope.length} bytes): ${toHex(envelope)}`);
const opened = open(envelope, { keys: ring });
console.log(`accepted from ${opened.identity}: "${new TextDecoder().decode(opened.payload)}" seq=${opened.seq}`);

function attempt(label: string, bytes: Uint8Array): void {
  try {
    open(bytes, { keys: ring });
    console.log(`${label}: ACCEPTED (this must never happen)`);
    process.exitCode = 1;
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    console.log(`${label}: rejected ${err.code} (close code ${err.closeCode})`);
  }
}

const tampered = envelope.slice();
tampered[tampered.length - 70] ^= 0x01; // a payload bit
attempt('tampered payload', tampered);

// Mallory signs with her own key but claims Alice's key id.
const forger = importSigningKey(mallory.secretKey, { kid: signer.kid });
attempt('forged signature', seal(forger, text.encode('meet at midnight'), { seq: 1, stream }));
attempt('unknown signer', seal(importSigningKey(mallory.secretKey), text.encode('hi'), { seq: 0, stream }));
attempt('trailing bytes', Uint8Array.of(...envelope, 0x00));
attempt('truncated', envelope.subarray(0, envelope.length - 1));
