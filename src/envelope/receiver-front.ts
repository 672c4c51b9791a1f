// The part of one open() that needs no replay state, as the checks after it carry it: and how the
// Receiver turns a store's verdict or failure into a ProtocolError.
import { ProtocolError } from '../errors.js';
import type { ReplayRequest, ReplayVerdict } from '../replay/store.js';
import type { Resolved } from './open.js';
import type { OpenContext } from './receiver-options.js';

type Hook = OpenContext['beforeSignature'];

// Everything the checks after decoding need, so the async path can own copies of it.
export interface Front {
  readonly resolved: Resolved;
  readonly req: ReplayRequest;
  readonly aad: Uint8Array | undefined;
  readonly binding: Uint8Array | undefined;
  readonly hook: Hook;
}

export type Settled = { ok: boolean; error?: never } | { ok?: never; error: unknown };

const VERDICT_MESSAGES: Record<Exclude<ReplayVerdict, 'ok'>, string> = {
  ERR_REPLAY: 'envelope already accepted',
  ERR_TOO_OLD: 'sequence number is behind the replay window',
  ERR_STALE: 'envelope may belong to forgotten replay state',
  ERR_STREAM_LIMIT: 'too many tracked streams',
};

export function verdictError(v: ReplayVerdict): ProtocolError {
  const message = Object.hasOwn(VERDICT_MESSAGES, v) ? VERDICT_MESSAGES[v as Exclude<ReplayVerdict, 'ok'>] : undefined;
  // Fail closed on anything a custom store returns that is not a verdict.
  if (message === undefined) return new ProtocolError('ERR_STORE', 'replay store returned an invalid verdict');
  return new ProtocolError(v as Exclude<ReplayVerdict, 'ok'>, message);
}

export function storeError(cause: unknown): ProtocolError {
  return new ProtocolError('ERR_STORE', 'replay store unavailable', { cause });
}

// Owned copies of every view into the caller's envelope and context, taken before any await.
export function detach(f: Front): Front {
  const d = f.resolved.decoded;
  const header = { ...d.header, kid: d.header.kid.slice(), stream: d.header.stream.slice() };
  const resolved: Resolved = {
    entry: f.resolved.entry,
    decoded: { header, protectedBytes: d.protectedBytes.slice(), payload: d.payload.slice(), signature: d.signature.slice() },
  };
  return {
    resolved,
    req: { ...f.req, kid: header.kid, stream: header.stream },
    aad: f.aad?.slice(),
    binding: f.binding?.slice(),
    hook: f.hook,
  };
}

// What the ordered tail of open() still needs once the signature check has started on owned bytes
// (a sync store and a started verification): the replay request and the caller's result. The
// protected header and signature are not needed again, so only kid, stream and payload are copied.
export function detachResult(f: Front): Front {
  const d = f.resolved.decoded;
  const header = { ...d.header, kid: d.header.kid.slice(), stream: d.header.stream.slice() };
  const resolved: Resolved = {
    entry: f.resolved.entry,
    decoded: { header, protectedBytes: EMPTY, payload: d.payload.slice(), signature: EMPTY },
  };
  return { resolved, req: { ...f.req, kid: header.kid, stream: header.stream }, aad: undefined, binding: undefined, hook: undefined };
}

const EMPTY = new Uint8Array(0);

// A verification result that can never become an unhandled rejection while it waits its turn.
export function settle(sig: boolean | Promise<boolean>): Promise<Settled> {
  return Promise.resolve(sig).then(
    (ok) => ({ ok: ok === true }),
    (error: unknown) => ({ error }),
  );
}
