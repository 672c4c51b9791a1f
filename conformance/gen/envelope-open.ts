// What the open-side envelope vector files share (spec/envelope.md): one signer and base header
// per file, and the file builder that writes invalid and valid opens against them. The codec file
// shares the timestamp and stream seeds.
import type { OpenGroup, OpenTest } from '../lib/format.js';
import { FileBuilder } from './build.js';
import type { Bytes } from './cbor.js';
import { Signer, entries, type Entry, type Header } from './envelope.js';
import { enc, hex, seed } from './ref.js';
import { refs, type RefName } from './refs.js';

const OPEN_SCHEMA = 'envelope_open_schema.json';
const OPEN_HEADER = [
  'sealwire v1 envelopes opened statelessly (spec/envelope.md, spec/verification.md).',
  'Driver op: {"op":"open","publicKey","kid"?,"envelope","aad"?,"binding"?,"maxEnvelopeSize"?}.',
  'A valid test also states what open returns: payload, seq, ts, stream, kid, contentType.',
];

export const TS = 1_700_000_000_000;
export const streamOf = (label: string): Bytes => seed(`stream ${label}`).subarray(0, 16);

export function validFields(h: Header, payload: Bytes): Partial<OpenTest> {
  return {
    payload: hex(payload),
    seq: Number(h.seq),
    ts: Number(h.ts),
    stream: hex(h.stream),
    kid: hex(h.kid),
    contentType: h.ct ?? 42,
  };
}

export class OpenFile {
  readonly b = new FileBuilder<OpenGroup>('sealwire-envelope-v1', OPEN_SCHEMA, OPEN_HEADER);
  readonly signer: Signer;
  readonly base: Header;
  readonly payload = enc.encode('payload');
  g: OpenGroup;

  constructor(label: string, header: string[] = []) {
    this.b.header.push(...header);
    this.signer = new Signer(seed(label));
    this.base = { seq: 5, ts: TS, stream: streamOf(label), kid: this.signer.kid };
    this.g = this.b.group({ type: 'EnvelopeOpen', publicKey: hex(this.signer.publicKey) });
  }

  get baseEntries(): Entry[] {
    return entries(this.base);
  }

  invalid(comment: string, flags: string[], ref: RefName[], code: string, env: Bytes, extra: Partial<OpenTest> = {}): void {
    this.b.add(this.g, { comment, flags, specRefs: refs(...ref, 'errKnownCodes'), envelope: hex(env), ...extra, result: 'invalid', code });
  }

  valid(comment: string, flags: string[], ref: RefName[], env: Bytes, h: Header, payload: Bytes, extra: Partial<OpenTest> = {}): void {
    this.b.add(this.g, { comment, flags, specRefs: refs(...ref), envelope: hex(env), ...extra, ...validFields(h, payload), result: 'valid' });
  }

  /** An envelope whose protected header is `list`, correctly signed. */
  withEntries(list: Entry[], unprotected?: Bytes): Bytes {
    return this.signer.sealEntries(list, this.payload, unprotected);
  }

  /** Replaces the value of `label` in the base entries. */
  replace(label: Bytes, value: Bytes): Entry[] {
    return this.baseEntries.map(([k, v]) => [k, hex(k) === hex(label) ? value : v]);
  }

  without(label: Bytes): Entry[] {
    return this.baseEntries.filter(([k]) => hex(k) !== hex(label));
  }
}
