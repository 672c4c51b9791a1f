// Input formats of `sealwire verify` (spec/receipts.md appendix A): keys.json and evidence files.
import { fromBase64url, fromHex } from '../bytes.js';
import { KeyRing } from '../keys/keyring.js';

/** A usage problem: the tool exits 2 and prints the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  /** `usage`: the command's own help, shown instead of the general one. */
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** Hex (any case) or unpadded base64url. A valid envelope starts 0xd2 0x84, "0oS…" in base64url: never hex. */
export function decodeText(text: string, what: string): Uint8Array {
  if (HEX.test(text)) return fromHex(text);
  if (B64URL.test(text) && text.length % 4 !== 1) return fromBase64url(text);
  throw new RangeError(`${what} is neither hex nor base64url`);
}

/**
 * `{ "identity": "<key>" | ["<key>", …] }` → a key ring with those identities. `file` names the
 * file in messages.
 */
export function parseKeys(json: string, file = 'the keys file'): KeyRing {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`keys file is not JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError('keys file must be an object mapping identity to public key(s)');
  }
  // The output of `sealwire keygen` is a key pair, not a keys file: say which file is which.
  const publicKey = (doc as { publicKey?: unknown }).publicKey;
  if (typeof publicKey === 'string' && ('secretKey' in doc || 'kid' in doc)) {
    const name = /([^/\\]+?)(?:\.json)?$/.exec(file)?.[1] ?? 'alice';
    throw new UsageError(
      `${file} is a key pair from \`sealwire keygen\` (keep it secret), not a keys file. --keys takes a file mapping ` +
        `each identity to its public key; for this key write e.g. {${JSON.stringify(name)}: ${JSON.stringify(publicKey)}} to keys.json`,
    );
  }
  const ring = new KeyRing();
  for (const [identity, value] of Object.entries(doc)) {
    const keys: unknown[] = Array.isArray(value) ? value : [value];
    for (const k of keys) {
      if (typeof k !== 'string') throw new UsageError(`key of "${identity}" must be a hex or base64url string`);
      try {
        const bytes = decodeText(k, `key of "${identity}"`);
        if (bytes.length !== 32) throw new RangeError(`key of "${identity}" must be 32 bytes, got ${bytes.length}`);
        ring.add(bytes, { identity });
      } catch (err) {
        throw new UsageError(`key of "${identity}": ${(err as Error).message}`);
      }
    }
  }
  return ring;
}

export interface EvidenceRecord {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly envelope?: Uint8Array;
  readonly binding?: Uint8Array;
  readonly aad?: Uint8Array;
  /** Why the line could not be read, when it could not. */
  readonly unreadable?: string;
}

/** One record per non-blank, non-`#` line: an envelope, or `{"envelope", "binding"?, "aad"?}`. */
export function parseEvidence(text: string): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const line = i + 1;
    try {
      out.push(raw.startsWith('{') ? { line, ...jsonRecord(raw) } : { line, envelope: decodeText(raw, 'envelope') });
    } catch (err) {
      out.push({ line, unreadable: (err as Error).message });
    }
  }
  return out;
}

function jsonRecord(raw: string): { envelope: Uint8Array; binding?: Uint8Array; aad?: Uint8Array } {
  const doc: unknown = JSON.parse(raw);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new RangeError('record must be a JSON object');
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'envelope' && k !== 'binding' && k !== 'aad') throw new RangeError(`unknown record field "${k}"`);
  }
  const field = (name: string): Uint8Array | undefined => {
    const v = o[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new RangeError(`"${name}" must be a string`);
    return decodeText(v, `"${name}"`);
  };
  const envelope = field('envelope');
  if (envelope === undefined) throw new RangeError('record has no "envelope"');
  const binding = field('binding');
  if (binding !== undefined && binding.length !== 33) throw new RangeError('"binding" must be 33 bytes (session id || direction)');
  const aad = field('aad');
  return { envelope, ...(binding ? { binding } : {}), ...(aad ? { aad } : {}) };
}
