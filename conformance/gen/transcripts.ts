// Stateful vectors: replay transcripts, freshness, and key validity / rotation / revocation. A
// transcript is a `reset` followed by steps; every step has its expected outcome and the test's
// result is its last step's. Expected outcomes follow the spec's rules, written out below.
import type { KeySpec, ResetSpec, Step, TranscriptGroup, TranscriptTest, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { Signer } from './envelope.js';
import { enc, hex, seed } from './ref.js';
import { refs, type RefName } from './refs.js';

export const SCHEMA = 'transcript_schema.json';
export const TS = 1_700_000_000_000;
export const SKEW = 5_000;
export const MAX_AGE = 60_000;
/** Receiver state began an hour before the transcripts' messages: no restart bound applies. */
export const STARTED = TS - 3_600_000;

export const HEADER = [
  'Transcripts: {"op":"reset",...reset} then each step as a request, in order, to one driver.',
  'Open steps without "publicKey" go through the receiver the reset created; "seq", "ts" and',
  '"stream" on a step are informational (they are what the envelope carries).',
];

export const streamOf = (label: string) => seed(`transcript stream ${label}`).subarray(0, 16);

type OpenStep = Extract<Step, { op: 'open' }>;

export class Sender {
  readonly signer: Signer;

  constructor(label: string) {
    this.signer = new Signer(seed(`transcript key ${label}`));
  }

  get key(): KeySpec {
    return { publicKey: hex(this.signer.publicKey) };
  }

  /** A sealed envelope delivered at `now` (default: its own ts, i.e. perfectly fresh). */
  open(seq: number, expect: string, o: { ts?: number; now?: number; stream?: Uint8Array; tamper?: boolean; node?: number; comment?: string } = {}): OpenStep {
    const ts = o.ts ?? TS + seq;
    const stream = o.stream ?? streamOf('main');
    const env = this.signer.seal({ seq, ts, stream }, enc.encode(`message ${seq}`)).envelope;
    if (o.tamper) env[env.length - 1]! ^= 0x01;
    return {
      op: 'open',
      envelope: hex(env),
      now: o.now ?? ts,
      ...(o.node !== undefined ? { node: o.node } : {}),
      seq,
      ts,
      stream: hex(stream),
      ...outcome(expect),
      ...(o.comment ? { comment: o.comment } : {}),
    };
  }
}

function outcome(expect: string): { result: 'valid' | 'invalid'; code?: string } {
  return expect === 'ok' ? { result: 'valid' } : { result: 'invalid', code: expect };
}

export type B = FileBuilder<TranscriptGroup>;

export function transcript(b: B, g: TranscriptGroup, comment: string, flags: string[], ref: RefName[], reset: ResetSpec, steps: Step[]): void {
  const last = steps[steps.length - 1]!;
  const t: Omit<TranscriptTest, 'tcId'> = {
    comment,
    flags,
    specRefs: refs(...ref),
    reset,
    steps,
    result: last.result,
    ...(last.code !== undefined ? { code: last.code } : {}),
  };
  b.add(g, t);
}

export const replayReset = (keys: KeySpec[], extra: Partial<ResetSpec> = {}): ResetSpec => ({
  keys,
  startedAt: STARTED,
  maxFutureSkewMs: SKEW,
  maxAgeMs: MAX_AGE,
  ...extra,
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function replayWindow(): VectorFile {
  const b: B = new FileBuilder('sealwire-replay-v1', SCHEMA, [
    'Replay window per (kid, stream) (spec/replay.md): W positions behind the highest accepted seq;',
    'seq > highest is new; highest - seq >= W is ERR_TOO_OLD; a seen seq inside is ERR_REPLAY.',
    ...HEADER,
  ]);
  const g = b.group({ type: 'Transcript' });
  const a = new Sender('A');
  const other = new Sender('B');
  const W = 32;
  const reset = (extra: Partial<ResetSpec> = {}) => replayReset([a.key, other.key], { window: W, ...extra });

  transcript(b, g, 'in order 0..9', [], ['rplNew', 'rplUnknownStream'], reset(), range(0, 9).map((s) => a.open(s, 'ok')));
  transcript(b, g, 'the same envelope twice', ['Duplicate'], ['rplDuplicate', 'rplNoDoubleAccept'], reset(), [a.open(0, 'ok'), a.open(0, 'ERR_REPLAY')]);
  // Duplicates at every position of a full window: deliver 0..40, then replay 40 - d.
  const top = 40;
  for (let d = 0; d <= W + 1; d++) {
    const expect = d < W ? 'ERR_REPLAY' : 'ERR_TOO_OLD';
    transcript(b, g, `W=${W}: replay of the seq ${d} behind the highest`, [d < W ? 'Duplicate' : 'Window', ...(d >= W - 1 ? ['Window'] : [])].filter((x, i, l) => l.indexOf(x) === i), [d < W ? 'rplDuplicate' : 'rplTooOld', 'rplNoDoubleAccept'], reset(), [
      ...range(0, top).map((s) => a.open(s, 'ok')),
      a.open(top - d, expect, { comment: `${d} behind` }),
    ]);
  }
  // Window edges for never-seen sequence numbers, at several window sizes.
  for (const w of [32, 1024, 8192]) {
    const hi = 100_000;
    for (const [behind, expect] of [[w - 1, 'ok'], [w, 'ERR_TOO_OLD'], [w + 1, 'ERR_TOO_OLD']] as const) {
      transcript(b, g, `W=${w}: never-seen seq ${behind} behind the highest`, ['Window', 'Boundary'], [expect === 'ok' ? 'rplWindow' : 'rplTooOld', 'rplWindowSize'], reset({ window: w }), [
        a.open(hi, 'ok'),
        a.open(hi - behind, expect, { comment: `W${behind - w >= 0 ? '+' : ''}${behind - w}` }),
      ]);
    }
  }
  transcript(b, g, 'a stream may start at any seq; below it by W is too old', ['Window'], ['rplUnknownStream', 'rplTooOld'], reset(), [a.open(123_456, 'ok'), a.open(0, 'ERR_TOO_OLD')]);
  transcript(b, g, 'reordered inside the window, then a replay', ['Reorder', 'Duplicate'], ['rplWindow', 'rplDuplicate'], reset(), [
    ...[3, 1, 4, 0, 2, 7, 5, 6].map((s) => a.open(s, 'ok')),
    a.open(4, 'ERR_REPLAY'),
  ]);
  transcript(b, g, 'a jump beyond the window forgets what is behind it', ['Window'], ['rplWindow', 'rplTooOld'], reset(), [
    a.open(0, 'ok'),
    a.open(100, 'ok'),
    a.open(100 - W + 1, 'ok'),
    a.open(100 - W, 'ERR_TOO_OLD'),
    a.open(0, 'ERR_TOO_OLD'),
  ]);
  transcript(b, g, 'a jump of exactly W: the old highest falls out of the window', ['Window', 'Boundary'], ['rplTooOld'], reset(), [
    a.open(0, 'ok'),
    a.open(W, 'ok'),
    a.open(1, 'ok'),
    a.open(0, 'ERR_TOO_OLD'),
  ]);
  transcript(b, g, 'seq 2^53 - 1 and its neighbour', ['Boundary'], ['rplWindow', 'rplDuplicate'], reset(), [
    a.open(Number.MAX_SAFE_INTEGER, 'ok', { ts: TS }),
    a.open(Number.MAX_SAFE_INTEGER - 1, 'ok', { ts: TS }),
    a.open(Number.MAX_SAFE_INTEGER, 'ERR_REPLAY', { ts: TS }),
  ]);
  transcript(b, g, 'streams are independent: the same seq on another stream', ['Streams'], ['rplPerStream', 'rplDuplicate'], reset(), [
    a.open(7, 'ok'),
    a.open(7, 'ok', { stream: streamOf('second') }),
    a.open(7, 'ERR_REPLAY', { stream: streamOf('second') }),
  ]);
  transcript(b, g, 'keys are independent: the same stream id and seq under another key', ['Streams'], ['rplPerStream', 'rplDuplicate'], reset(), [
    a.open(7, 'ok'),
    other.open(7, 'ok'),
    other.open(7, 'ERR_REPLAY'),
  ]);
  transcript(b, g, 'a forged envelope far ahead does not move the window', ['Forged'], ['rplForgedNoMove'], reset(), [
    a.open(5, 'ok'),
    a.open(1000, 'ERR_BAD_SIGNATURE', { tamper: true }),
    a.open(6, 'ok'),
  ]);
  transcript(b, g, 'a forged envelope does not mark its seq seen', ['Forged'], ['rplForgedNoMove'], reset(), [
    a.open(5, 'ok'),
    a.open(7, 'ERR_BAD_SIGNATURE', { tamper: true }),
    a.open(7, 'ok'),
  ]);
  transcript(b, g, 'a forged first envelope does not create stream state', ['Forged'], ['rplForgedNoMove'], reset(), [
    a.open(1000, 'ERR_BAD_SIGNATURE', { tamper: true }),
    a.open(0, 'ok'),
  ]);
  transcript(b, g, 'the replay pre-check runs before the signature: a tampered replay is a replay', ['Duplicate', 'Forged'], ['rplDuplicate', 'rplPrecheck', 'rplStages'], reset(), [
    a.open(5, 'ok'),
    a.open(5, 'ERR_REPLAY', { tamper: true }),
  ]);
  transcript(b, g, 'strict mode: gaps allowed, nothing behind the highest', ['StrictOrder'], ['rplStrict'], reset({ strict: true }), [
    a.open(0, 'ok'),
    a.open(1, 'ok'),
    a.open(3, 'ok'),
    a.open(2, 'ERR_TOO_OLD'),
    a.open(3, 'ERR_REPLAY'),
    a.open(4, 'ok'),
  ]);
  transcript(b, g, 'strict mode: the highest again is a replay', ['StrictOrder', 'Duplicate'], ['rplStrict'], reset({ strict: true }), [a.open(9, 'ok'), a.open(9, 'ERR_REPLAY')]);
  transcript(b, g, 'tracked-stream cap: a new stream is refused, known streams go on', ['StreamLimit'], ['rplStreams', 'rplStreamCap'], reset({ maxStreams: 2 }), [
    a.open(0, 'ok', { stream: streamOf('s1') }),
    a.open(0, 'ok', { stream: streamOf('s2') }),
    a.open(0, 'ERR_STREAM_LIMIT', { stream: streamOf('s3') }),
    a.open(1, 'ok', { stream: streamOf('s1') }),
  ]);
  transcript(b, g, 'tracked-stream cap: an expired stream makes room', ['StreamLimit'], ['rplStreams', 'rplForget'], reset({ maxStreams: 1 }), [
    a.open(0, 'ok', { stream: streamOf('s1') }),
    a.open(0, 'ok', { stream: streamOf('s2'), ts: TS + MAX_AGE + 1 }),
  ]);
  transcript(b, g, 'tracked-stream cap: a state is not forgotten while now = expiresAt', ['StreamLimit', 'Boundary'], ['rplForget', 'rplStreams'], reset({ maxStreams: 1 }), [
    a.open(0, 'ok', { stream: streamOf('s1') }),
    a.open(0, 'ERR_STREAM_LIMIT', { stream: streamOf('s2'), ts: TS + MAX_AGE, now: TS + MAX_AGE }),
  ]);
  transcript(b, g, 'horizon: after a stream is forgotten, its old envelopes stay refused even if the clock steps back', ['StreamLimit', 'Duplicate'], ['rplHorizon', 'rplNoDoubleAccept'], reset({ maxStreams: 1 }), [
    a.open(0, 'ok', { stream: streamOf('s1'), ts: TS, now: TS }),
    a.open(0, 'ok', { stream: streamOf('s2'), ts: TS + MAX_AGE + 1, comment: 's1 is forgotten to make room' }),
    a.open(0, 'ERR_STALE', { stream: streamOf('s1'), ts: TS, now: TS, comment: 'clock stepped back: fresh by ts, refused by the horizon' }),
  ]);
  // [RPL-6.1]: a state expires at the first verdict whose now is past its expiresAt, whether or not
  // its memory was reclaimed; these would differ between a store that reclaims at once and one that
  // reclaims later.
  transcript(b, g, 'an expired stream starts again: the same seq is a replay while now = expiresAt, new after it', ['Duplicate', 'Boundary'], ['rplForget', 'rplNewState'], reset(), [
    a.open(5, 'ok', { ts: TS, now: TS }),
    a.open(5, 'ERR_REPLAY', { ts: TS + MAX_AGE, now: TS + MAX_AGE, comment: 'the state expires at TS + maxAge: not yet' }),
    a.open(5, 'ok', { ts: TS + MAX_AGE + 1, now: TS + MAX_AGE + 1, comment: 'expired: as if forgotten, a new state' }),
  ]);
  transcript(b, g, 'the cap counts unexpired streams exactly: a stream whose expiresAt moved keeps its place', ['StreamLimit', 'Forged', 'Boundary'], ['rplStreams', 'rplForget', 'rplPrecheck'], reset({ maxStreams: 1 }), [
    a.open(0, 'ok', { stream: streamOf('s1'), ts: TS, now: TS }),
    a.open(1, 'ok', { stream: streamOf('s1'), ts: TS + 10, now: TS + 10 }),
    a.open(0, 'ERR_STREAM_LIMIT', { stream: streamOf('s2'), ts: TS + MAX_AGE + 1, now: TS + MAX_AGE + 1, tamper: true, comment: 's1 expires at TS + 10 + maxAge: the pre-check refuses before the signature' }),
  ]);
  transcript(b, g, 'an expired stream frees its place for the pre-check too: a forged envelope reaches the signature', ['StreamLimit', 'Forged'], ['rplStreams', 'rplForget', 'rplPrecheck'], reset({ maxStreams: 1 }), [
    a.open(0, 'ok', { stream: streamOf('s1'), ts: TS, now: TS }),
    a.open(0, 'ERR_BAD_SIGNATURE', { stream: streamOf('s2'), ts: TS + MAX_AGE + 1, now: TS + MAX_AGE + 1, tamper: true }),
    a.open(0, 'ok', { stream: streamOf('s2'), ts: TS + MAX_AGE + 1, now: TS + MAX_AGE + 1 }),
  ]);
  transcript(b, g, 'horizon without a cap: an expired state counts whether or not it was reclaimed', ['Duplicate'], ['rplHorizon', 'rplForget', 'rplNoDoubleAccept'], reset(), [
    a.open(0, 'ok', { stream: streamOf('s1'), ts: TS, now: TS }),
    a.open(0, 'ok', { stream: streamOf('s2'), ts: TS + MAX_AGE + 1, now: TS + MAX_AGE + 1, comment: 's1 has expired' }),
    a.open(1, 'ERR_STALE', { stream: streamOf('s1'), ts: TS, now: TS, comment: 'clock stepped back: ts + maxAge is at the horizon' }),
    a.open(0, 'ERR_STALE', { stream: streamOf('s3'), ts: TS, now: TS, comment: 'on any stream' }),
    a.open(1, 'ok', { stream: streamOf('s3'), ts: TS + 1, now: TS + 1, comment: 'one ms later, past the horizon' }),
  ]);
  // Restarts.
  const later = TS + 1_000;
  transcript(b, g, 'restart with persisted state: the old window still refuses the replay', ['Restart', 'Duplicate'], ['rplPersisted', 'rplDuplicate'], reset(), [
    a.open(5, 'ok', { ts: TS }),
    { op: 'restart', now: later, persist: true, result: 'valid' },
    a.open(5, 'ERR_REPLAY', { ts: TS, now: later + 1 }),
  ]);
  transcript(b, g, 'restart with persisted state: new messages go on', ['Restart'], ['rplPersisted'], reset(), [
    a.open(5, 'ok', { ts: TS }),
    { op: 'restart', now: later, persist: true, result: 'valid' },
    a.open(6, 'ok', { ts: later + 1 }),
  ]);
  transcript(b, g, 'restart without state: a replay from before the restart is refused', ['Restart', 'Duplicate'], ['rplRestart', 'rplNoBindingNoSkip'], reset(), [
    a.open(5, 'ok', { ts: TS }),
    { op: 'restart', now: later, result: 'valid' },
    a.open(5, 'ERR_STATE_LOST', { ts: TS, now: later + 1 }),
  ]);
  transcript(b, g, 'restart without state: ts up to restart + skew is refused on an unknown stream', ['Restart', 'Boundary'], ['rplRestart', 'rplStartBound'], reset(), [
    { op: 'restart', now: later, result: 'valid' },
    a.open(6, 'ERR_STATE_LOST', { ts: later + SKEW, now: later + SKEW }),
  ]);
  transcript(b, g, 'restart without state: ts after restart + skew is accepted', ['Restart', 'Boundary'], ['rplRestart', 'rplStartBound'], reset(), [
    a.open(5, 'ok', { ts: TS }),
    { op: 'restart', now: later, result: 'valid' },
    a.open(6, 'ok', { ts: later + SKEW + 1, now: later + SKEW + 1 }),
  ]);
  return b.build();
}

export function freshness(): VectorFile {
  const b: B = new FileBuilder('sealwire-replay-v1', SCHEMA, [
    'Freshness against the receiver clock `now` (spec/replay.md): ts > now + maxFutureSkewMs is',
    'ERR_FUTURE, ts < now - maxAgeMs is ERR_STALE; both bounds inclusive. Checked before replay state.',
    ...HEADER,
  ]);
  const g = b.group({ type: 'Transcript' });
  const a = new Sender('A');
  const reset = (extra: Partial<ResetSpec> = {}) => replayReset([a.key], { window: 32, ...extra });
  const now = TS;
  transcript(b, g, 'ts = now + max skew', ['Freshness', 'Boundary'], ['rplFuture'], reset(), [a.open(1, 'ok', { ts: now + SKEW, now })]);
  transcript(b, g, 'ts = now + max skew + 1', ['Freshness', 'Boundary'], ['rplFuture'], reset(), [a.open(1, 'ERR_FUTURE', { ts: now + SKEW + 1, now })]);
  transcript(b, g, 'max skew 0: ts = now', ['Freshness', 'Boundary'], ['rplFuture', 'rplSettings'], reset({ maxFutureSkewMs: 0 }), [a.open(1, 'ok', { ts: now, now })]);
  transcript(b, g, 'max skew 0: ts = now + 1', ['Freshness', 'Boundary'], ['rplFuture'], reset({ maxFutureSkewMs: 0 }), [a.open(1, 'ERR_FUTURE', { ts: now + 1, now })]);
  transcript(b, g, 'ts = now - max age', ['Freshness', 'Boundary'], ['rplStale'], reset(), [a.open(1, 'ok', { ts: now - MAX_AGE, now })]);
  transcript(b, g, 'ts = now - max age - 1', ['Freshness', 'Boundary'], ['rplStale'], reset(), [a.open(1, 'ERR_STALE', { ts: now - MAX_AGE - 1, now })]);
  transcript(b, g, 'max age 1000: ts = now - 1001', ['Freshness', 'Boundary'], ['rplStale'], reset({ maxAgeMs: 1000 }), [a.open(1, 'ERR_STALE', { ts: now - 1001, now })]);
  transcript(b, g, 'a replay after max age is stale, not a replay', ['Freshness', 'Duplicate'], ['rplStale', 'rplFreshOrder'], reset(), [
    a.open(1, 'ok', { ts: now, now }),
    a.open(1, 'ERR_STALE', { ts: now, now: now + MAX_AGE + 1 }),
  ]);
  transcript(b, g, 'a forged envelope from the future is refused before its signature matters', ['Freshness', 'Forged'], ['rplFuture', 'rplStages'], reset(), [
    a.open(1, 'ERR_FUTURE', { ts: now + SKEW + 1, now, tamper: true }),
  ]);
  transcript(b, g, 'late but fresh: out of order delivery inside max age', ['Freshness', 'Reorder'], ['rplWindow', 'rplStale'], reset(), [
    a.open(2, 'ok', { ts: now, now }),
    a.open(1, 'ok', { ts: now - 10, now: now + MAX_AGE - 10 }),
  ]);
  // The restart bound on a receiver whose state begins at `startedAt`.
  transcript(b, g, 'fresh receiver: ts = startedAt + skew is refused (may predate its state)', ['Restart', 'Boundary'], ['rplRestart', 'rplStartBound'], reset({ startedAt: now }), [
    a.open(1, 'ERR_STATE_LOST', { ts: now + SKEW, now: now + SKEW }),
  ]);
  transcript(b, g, 'fresh receiver: ts = startedAt + skew + 1 is accepted', ['Restart', 'Boundary'], ['rplRestart', 'rplStartBound'], reset({ startedAt: now }), [
    a.open(1, 'ok', { ts: now + SKEW + 1, now: now + SKEW + 1 }),
  ]);
  return b.build();
}

export function keyValidity(): VectorFile {
  const b: B = new FileBuilder('sealwire-keys-v1', SCHEMA, [
    'Key validity at the envelope timestamp, rotation and revocation (spec/envelope.md): notBefore and',
    'notAfter are inclusive; revocation is permanent; revokeIdentity(identity, T) revokes that',
    'identity\'s keys issued before T, now and when added later. Replay protection is off ("replay": false).',
    ...HEADER,
  ]);
  const g = b.group({ type: 'Transcript' });
  const a = new Sender('A');
  const c = new Sender('C');
  const d = new Sender('D');
  const kidA = hex(a.signer.kid);
  const reset = (keys: KeySpec[]): ResetSpec => ({ keys, replay: false });
  const windowed = { ...a.key, identity: 'alice', notBefore: TS, notAfter: TS + 1000 };
  for (const [ts, expect, what] of [
    [TS - 1, 'ERR_KEY_NOT_YET_VALID', 'notBefore - 1'],
    [TS, 'ok', 'notBefore'],
    [TS + 1000, 'ok', 'notAfter'],
    [TS + 1001, 'ERR_KEY_EXPIRED', 'notAfter + 1'],
  ] as const) {
    transcript(b, g, `envelope ts at ${what}`, ['KeyValidity', 'Boundary'], ['envKeyValidity'], reset([windowed]), [a.open(1, expect, { ts })]);
  }
  transcript(b, g, 'a key the ring does not hold', ['UnknownKey'], ['envKeyLookup'], reset([c.key]), [a.open(1, 'ERR_UNKNOWN_KEY')]);
  transcript(b, g, 'rotation: old and new key both valid in the overlap, the old one expires', ['Rotation', 'KeyValidity'], ['envKeyValidity'], reset([
    { ...a.key, identity: 'alice', notBefore: TS - 10_000, notAfter: TS + 1000 },
    { ...c.key, identity: 'alice', notBefore: TS, notAfter: TS + 100_000 },
  ]), [
    a.open(1, 'ok', { ts: TS + 500 }),
    c.open(1, 'ok', { ts: TS + 500 }),
    c.open(2, 'ok', { ts: TS + 1001 }),
    a.open(2, 'ERR_KEY_EXPIRED', { ts: TS + 1001 }),
  ]);
  transcript(b, g, 'revokeKey: accepted before, refused after', ['Revocation'], ['envRevocation'], reset([a.key]), [
    a.open(1, 'ok'),
    { op: 'keyring.revoke', kid: kidA, result: 'valid' },
    a.open(2, 'ERR_KEY_REVOKED'),
  ]);
  transcript(b, g, 'revokeKey: envelopes stamped before the revocation are refused too', ['Revocation'], ['envRevocation'], reset([a.key]), [
    { op: 'keyring.revoke', kid: kidA, result: 'valid' },
    a.open(1, 'ERR_KEY_REVOKED', { ts: TS - 1_000_000 }),
  ]);
  transcript(b, g, 'a revoked key id never comes back', ['Revocation'], ['envRevocation'], reset([a.key]), [
    { op: 'keyring.revoke', kid: kidA, result: 'valid' },
    { op: 'keyring.add', ...a.key, result: 'invalid', code: 'ERR_KEY_REVOKED' },
  ]);
  transcript(b, g, 'revoking an unknown key id also refuses it when added later', ['Revocation'], ['envRevocation'], reset([]), [
    { op: 'keyring.revoke', kid: kidA, result: 'valid' },
    { op: 'keyring.add', ...a.key, result: 'invalid', code: 'ERR_KEY_REVOKED' },
  ]);
  transcript(b, g, 'revoked and expired: revocation is reported', ['Revocation', 'KeyValidity'], ['envRevocation', 'envKeyCheckOrder'], reset([windowed]), [
    { op: 'keyring.revoke', kid: kidA, result: 'valid' },
    a.open(1, 'ERR_KEY_REVOKED', { ts: TS + 5000 }),
  ]);
  transcript(b, g, 'remove: accepted before, unknown after, accepted again once added back', ['Removal', 'UnknownKey'], ['envKeyRemoval', 'envKeyLookup'], reset([a.key]), [
    a.open(1, 'ok'),
    { op: 'keyring.remove', kid: kidA, result: 'valid' },
    a.open(2, 'ERR_UNKNOWN_KEY'),
    { op: 'keyring.add', ...a.key, result: 'valid' },
    a.open(3, 'ok'),
  ]);
  transcript(b, g, 'remove does not undo a revocation', ['Removal', 'Revocation'], ['envKeyRemoval', 'envRevocation'], reset([a.key]), [
    { op: 'keyring.revoke', kid: kidA, result: 'valid' },
    { op: 'keyring.remove', kid: kidA, result: 'valid' },
    a.open(1, 'ERR_UNKNOWN_KEY'),
    { op: 'keyring.add', ...a.key, result: 'invalid', code: 'ERR_KEY_REVOKED' },
  ]);
  transcript(b, g, 'removing a key id the ring does not hold changes nothing', ['Removal'], ['envKeyRemoval'], reset([a.key]), [
    { op: 'keyring.remove', kid: hex(c.signer.kid), result: 'valid' },
    a.open(1, 'ok'),
  ]);
  const alice = (s: Sender, issuedAt: number): KeySpec => ({ ...s.key, identity: 'alice', issuedAt });
  const cutoff = TS - 1000;
  transcript(b, g, 'revokeIdentity: a key issued before the cutoff is revoked', ['Revocation'], ['envIdentityRevocation'], reset([alice(a, TS - 2000), alice(c, TS)]), [
    { op: 'keyring.revokeIdentity', identity: 'alice', issuedBefore: cutoff, result: 'valid' },
    a.open(1, 'ERR_KEY_REVOKED'),
  ]);
  transcript(b, g, 'revokeIdentity: a key issued after the cutoff stays valid', ['Revocation', 'Rotation'], ['envIdentityRevocation'], reset([alice(a, TS - 2000), alice(c, TS)]), [
    { op: 'keyring.revokeIdentity', identity: 'alice', issuedBefore: cutoff, result: 'valid' },
    c.open(1, 'ok'),
  ]);
  transcript(b, g, 'revokeIdentity: a key issued before the cutoff cannot be added later', ['Revocation'], ['envIdentityRevocation'], reset([]), [
    { op: 'keyring.revokeIdentity', identity: 'alice', issuedBefore: cutoff, result: 'valid' },
    { op: 'keyring.add', ...alice(d, cutoff - 1), result: 'invalid', code: 'ERR_KEY_REVOKED' },
  ]);
  transcript(b, g, 'revokeIdentity: a key issued exactly at the cutoff is not "before" it', ['Revocation', 'Boundary'], ['envIdentityRevocation'], reset([]), [
    { op: 'keyring.revokeIdentity', identity: 'alice', issuedBefore: cutoff, result: 'valid' },
    { op: 'keyring.add', ...alice(d, cutoff), result: 'valid' },
    d.open(1, 'ok'),
  ]);
  transcript(b, g, 'revokeIdentity touches only that identity', ['Revocation'], ['envIdentityRevocation'], reset([alice(a, TS - 2000), { ...c.key, identity: 'bob', issuedAt: TS - 2000 }]), [
    { op: 'keyring.revokeIdentity', identity: 'alice', issuedBefore: cutoff, result: 'valid' },
    c.open(1, 'ok'),
  ]);
  return b.build();
}
