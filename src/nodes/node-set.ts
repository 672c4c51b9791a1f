// The node set on the wire (spec/nodes.md §1): a v1 envelope signed by the operator key whose
// payload lists the service's node keys. Making one, and checking one up to its payload; what a
// holder then decides (service, version, expiry) is in node-keys.ts.
import { ProtocolError, SIGNATURE_FAILED } from '../errors.js';
import { assertSafeUint, equalBytes, toHex, utf8Encoder } from '../bytes.js';
import { verifyStrict } from '../crypto/ed25519.js';
import { importPublicKey, isPublicKey, type PublicKey, type SigningKey } from '../keys/keys.js';
import { decodeWholeArray, encodeCbor } from '../wire/cbor.js';
import { STREAM_ID_LENGTH, decodeEnvelope, sigStructure } from '../wire/envelope.js';
import { prepareRoom } from '../rooms/seal.js';
import { encodeEnvelope } from '../wire/envelope.js';

export const NODES_CONTENT_TYPE = 'application/vnd.sealwire.nodes+cbor';
/** An encoded set fits a hello within max_handshake_size ([NODE-1.3]). */
export const MAX_NODE_SET_SIZE = 4096;
export const MAX_NODES = 64;
const MAX_SERVICE_BYTES = 128;

/** "sealwire/1" || 03: no session envelope or room frame signature verifies as a set ([NODE-1.1]). */
export const NODES_AAD = Uint8Array.of(...utf8Encoder.encode('sealwire/1'), 0x03);

export interface NodeEntry {
  readonly key: PublicKey;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface NodeSet {
  readonly service: string;
  readonly version: number;
  readonly notAfter: number;
  readonly nodes: readonly NodeEntry[];
}

export interface NodeSetInput {
  /** The service's name, which clients are configured with. */
  service: string;
  /** Higher than every set issued before for this service. */
  version: number;
  /** When the set stops being the operator's word (ms): issue a newer one before then. */
  notAfter: number;
  nodes: readonly { key: PublicKey | Uint8Array; notBefore?: number; notAfter?: number }[];
  /** The envelope's ts: when the set was made. Default `Date.now()`. */
  now?: number;
}

function malformed(): ProtocolError {
  return new ProtocolError('ERR_MESSAGE_MALFORMED', 'malformed node set');
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isService = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && utf8Encoder.encode(v).length <= MAX_SERVICE_BYTES;

/**
 * Signs a node set with the operator's key. Sign each version once and give every node the same
 * bytes: a client that holds a set refuses another one with the same version (`ERR_REPLAY`).
 * @throws {TypeError|RangeError} for a malformed argument, named.
 * @example
 * ```ts
 * const set = signNodeSet(operatorKey, { service: 'chat', version: 2, notAfter: Date.now() + 86_400_000, nodes: [{ key: nodeA.publicKey }] })
 * ```
 */
export function signNodeSet(operatorKey: SigningKey, input: NodeSetInput): Uint8Array {
  if (operatorKey === null || typeof operatorKey !== 'object' || typeof operatorKey.sign !== 'function')
    throw new TypeError('"operatorKey" expected a SigningKey');
  if (!isService(input.service)) throw new RangeError('"service" expected 1–128 bytes of UTF-8');
  assertSafeUint(input.version, 'version');
  assertSafeUint(input.notAfter, 'notAfter');
  const list: NodeSetInput['nodes'] = input.nodes;
  if (!(list instanceof Array) || list.length < 1 || list.length > MAX_NODES) throw new RangeError(`"nodes" expected 1–${MAX_NODES} entries`);
  const seen = new Set<string>();
  const nodes = list.map((n, i) => {
    const bytes = n.key instanceof Uint8Array ? n.key : isPublicKey(n.key) ? n.key.bytes : undefined;
    if (bytes === undefined) throw new TypeError(`"nodes[${i}].key" expected a PublicKey or 32 bytes`);
    const id = toHex(bytes);
    if (seen.has(id)) throw new RangeError(`"nodes[${i}].key" is listed twice`);
    seen.add(id);
    const notBefore = n.notBefore ?? 0;
    const notAfter = n.notAfter ?? input.notAfter;
    assertSafeUint(notBefore, `nodes[${i}].notBefore`);
    assertSafeUint(notAfter, `nodes[${i}].notAfter`);
    if (notAfter < notBefore) throw new RangeError(`"nodes[${i}].notAfter" must not be before its notBefore`);
    return [bytes.slice(), notBefore, notAfter];
  });
  const payload = encodeCbor([input.service, input.version, input.notAfter, nodes]);
  // Deterministic for given inputs (Ed25519 signatures are): signing the same set again gives the same bytes.
  const header = { contentType: NODES_CONTENT_TYPE, stream: new Uint8Array(STREAM_ID_LENGTH), seq: input.version, ts: input.now ?? Date.now() };
  const u = prepareRoom(operatorKey.kid, header, payload, NODES_AAD);
  const out = encodeEnvelope(u.protectedBytes, u.payload, operatorKey.sign(u.toBeSigned));
  if (out.length > MAX_NODE_SET_SIZE) throw new RangeError(`the node set is ${out.length} bytes, over ${MAX_NODE_SET_SIZE}`);
  return out;
}

/** True when the envelope's content type names a node set: a data-phase frame of its own ([NODE-4.1]). */
export function isNodeSetFrame(bytes: Uint8Array): boolean {
  try {
    return decodeEnvelope(bytes).header.contentType === NODES_CONTENT_TYPE;
  } catch {
    return false;
  }
}

/**
 * Steps 1–6 of [NODE-2.1]: size, envelope, content type, the operator's kid and signature, then
 * the payload. The holder's own checks follow (node-keys.ts).
 * @see [NODE-2.1]
 */
export function openNodeSet(bytes: Uint8Array, operator: PublicKey): NodeSet {
  if (bytes.length > MAX_NODE_SET_SIZE) throw new ProtocolError('ERR_TOO_LARGE', 'node set too large');
  const d = decodeEnvelope(bytes);
  if (d.header.contentType !== NODES_CONTENT_TYPE) throw new ProtocolError('ERR_HEADER_VALUE', 'not a node set');
  if (!equalBytes(d.header.kid, operator.kid)) throw new ProtocolError('ERR_SERVER_IDENTITY', 'the node set is not the operator key’s');
  if (!verifyStrict(operator.backend, operator.handle, sigStructure(d.protectedBytes, NODES_AAD, d.payload), d.signature)) {
    throw new ProtocolError('ERR_BAD_SIGNATURE', SIGNATURE_FAILED);
  }
  return decodeNodeSet(d.payload, operator);
}

/**
 * A server's own check of the set it presents (its signature is the operator's business): it
 * decodes, lists `key`, and is newer than `current`. @throws {RangeError} otherwise.
 * @see [NODE-3.3]
 */
export function checkPresentedSet(bytes: unknown, key: Uint8Array, current: Uint8Array | undefined): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('"nodeSet" expected a Uint8Array from signNodeSet()');
  const read = (b: Uint8Array): NodeSet => {
    const d = decodeEnvelope(b);
    if (b.length > MAX_NODE_SET_SIZE || d.header.contentType !== NODES_CONTENT_TYPE) throw malformed();
    return decodeNodeSet(d.payload, undefined);
  };
  let set: NodeSet;
  try {
    set = read(bytes);
  } catch {
    throw new RangeError('"nodeSet" is not a node set');
  }
  if (!set.nodes.some((n) => equalBytes(n.key.bytes, key))) throw new RangeError('"nodeSet" does not list this server’s key');
  if (current !== undefined && set.version <= read(current).version) throw new RangeError('"nodeSet" is not newer than the set presented now');
  return bytes.slice();
}

/** @see [NODE-1.2] */
function decodeNodeSet(payload: Uint8Array, operator: PublicKey | undefined): NodeSet {
  const a = decodeWholeArray(payload);
  if (a === undefined || a.length !== 4) throw malformed();
  const [service, version, notAfter, list] = a;
  if (!isService(service) || !isUint(version) || !isUint(notAfter) || !Array.isArray(list) || list.length < 1 || list.length > MAX_NODES) throw malformed();
  const raw: { bytes: Uint8Array; notBefore: number; notAfter: number }[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    if (!Array.isArray(e) || e.length !== 3) throw malformed();
    const [key, nb, na] = e;
    if (!(key instanceof Uint8Array) || key.length !== 32 || !isUint(nb) || !isUint(na) || na < nb || seen.has(toHex(key))) throw malformed();
    seen.add(toHex(key));
    raw.push({ bytes: key, notBefore: nb, notAfter: na });
  }
  // The shape first, for every entry, then the import rule: one code for one fault.
  const nodes = raw.map((r) => ({
    key: importPublicKey(r.bytes.slice(), operator === undefined ? {} : { backend: operator.backend }),
    notBefore: r.notBefore,
    notAfter: r.notAfter,
  }));
  return { service, version, notAfter, nodes };
}
