// Shared stores, store failure and snapshots (spec/replay.md §5, §7.2, §9) as transcripts: a
// `reset` with `nodes` starts that many receivers over one replay store, `open` names its `node`,
// `store.fail`/`store.recover` make the store unreachable and back, and `restart` with `snapshot`
// brings the nodes back over the store as of the last `store.snapshot`. Expected outcomes follow
// the rules cited on each test; the window, freshness and restart rules are those of the other
// replay files.
import type { ResetSpec, Step, TranscriptGroup, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { HEADER, MAX_AGE, SCHEMA, SKEW, Sender, TS, replayReset, streamOf, transcript, type B } from './transcripts.js';

const ok = (op: 'store.recover' | 'store.snapshot' | 'store.lose'): Step => ({ op, result: 'valid' });
const fail = (phase?: 'check' | 'commit'): Step => ({ op: 'store.fail', ...(phase ? { phase } : {}), result: 'valid' });

export function replayNodes(): VectorFile {
  const b: B = new FileBuilder<TranscriptGroup>('sealwire-replay-v1', SCHEMA, [
    'Several receivers over one replay store, an unreachable store, and restarts from a snapshot',
    '(spec/replay.md §5, §7.2, §9). "nodes" on the reset starts that many receivers, all with the',
    'reset\'s settings, over ONE store; "node" on an open step names the receiver (default 0).',
    'store.fail makes the store unreachable ("phase": check, commit, or both by default): a receiver',
    'then refuses with ERR_STORE at the first store call, after every stateless check; store.recover',
    'brings it back with its state. store.snapshot remembers the store as of that step; restart with',
    '"snapshot": true brings every node back over that state with startedAt = the restart time.',
    'store.lose makes the store lose its state while the nodes run ([RPL-9.5]): each node\'s next store',
    'call finds the state\'s marker (startedAt) not the one it holds, is refused with ERR_STORE, and',
    'the node takes the new startedAt (the first call after the loss starts the state at its now).',
    ...HEADER,
  ]);
  const g = b.group({ type: 'Transcript' });
  const a = new Sender('A');
  const W = 32;
  const reset = (extra: Partial<ResetSpec> = {}) => replayReset([a.key], { window: W, nodes: 2, ...extra });
  const later = TS + 1_000;

  // [RPL-9.1] one store: what one node accepted, every node refuses.
  transcript(b, g, 'an envelope accepted on node 0 is a replay on node 1', ['SharedStore', 'Duplicate'], ['rplSharedStore', 'rplDuplicate', 'rplNoDoubleAccept'], reset(), [
    a.open(0, 'ok', { node: 0 }),
    a.open(0, 'ERR_REPLAY', { node: 1 }),
  ]);
  transcript(b, g, 'three nodes: each refuses what another accepted', ['SharedStore', 'Duplicate'], ['rplSharedStore', 'rplDuplicate'], reset({ nodes: 3 }), [
    a.open(0, 'ok', { node: 0 }),
    a.open(1, 'ok', { node: 1 }),
    a.open(2, 'ok', { node: 2 }),
    a.open(1, 'ERR_REPLAY', { node: 0 }),
    a.open(2, 'ERR_REPLAY', { node: 1 }),
    a.open(0, 'ERR_REPLAY', { node: 2 }),
  ]);
  transcript(b, g, 'envelopes reordered across nodes inside the window, then a replay', ['SharedStore', 'Reorder', 'Duplicate'], ['rplSharedStore', 'rplWindow', 'rplDuplicate'], reset(), [
    a.open(3, 'ok', { node: 1 }),
    a.open(1, 'ok', { node: 0 }),
    a.open(2, 'ok', { node: 1 }),
    a.open(3, 'ERR_REPLAY', { node: 0 }),
  ]);
  // [RPL-9.2] one W, strict mode, maxAge and maxFutureSkew on every node.
  transcript(b, g, `W=${W} across nodes: the highest set on node 0 bounds the window on node 1`, ['SharedStore', 'Window', 'Boundary'], ['rplSharedStore', 'rplNodeSettings', 'rplTooOld'], reset(), [
    a.open(100, 'ok', { node: 0 }),
    a.open(100 - W + 1, 'ok', { node: 1, comment: 'W-1 behind' }),
    a.open(100 - W, 'ERR_TOO_OLD', { node: 1, comment: 'W behind' }),
  ]);
  transcript(b, g, 'strict mode on every node: below the highest accepted elsewhere is too old', ['SharedStore', 'StrictOrder'], ['rplNodeSettings', 'rplStrict'], reset({ strict: true }), [
    a.open(5, 'ok', { node: 0 }),
    a.open(4, 'ERR_TOO_OLD', { node: 1 }),
  ]);
  transcript(b, g, 'maxAge on every node: a replay is refused up to the bound, stale after it', ['SharedStore', 'Freshness', 'Boundary'], ['rplNodeSettings', 'rplStale', 'rplFreshOrder'], reset(), [
    a.open(1, 'ok', { node: 0, ts: TS, now: TS }),
    a.open(1, 'ERR_REPLAY', { node: 1, ts: TS, now: TS + MAX_AGE, comment: 'now = ts + maxAge: still fresh, so the shared state refuses it' }),
    a.open(1, 'ERR_STALE', { node: 1, ts: TS, now: TS + MAX_AGE + 1 }),
  ]);
  transcript(b, g, 'maxFutureSkew on every node', ['SharedStore', 'Freshness', 'Boundary'], ['rplNodeSettings', 'rplFuture'], reset(), [
    a.open(1, 'ok', { node: 0, ts: TS + SKEW, now: TS }),
    a.open(2, 'ERR_FUTURE', { node: 1, ts: TS + SKEW + 1, now: TS }),
  ]);
  transcript(b, g, 'the stream cap counts the store\'s streams, whichever node created them', ['SharedStore', 'StreamLimit'], ['rplSharedStore', 'rplStreams'], reset({ maxStreams: 1 }), [
    a.open(0, 'ok', { node: 0, stream: streamOf('s1') }),
    a.open(0, 'ERR_STREAM_LIMIT', { node: 1, stream: streamOf('s2') }),
    a.open(1, 'ok', { node: 1, stream: streamOf('s1') }),
  ]);
  // [RPL-9.3] the horizon lives in the store: a node whose clock lags still refuses forgotten state.
  transcript(b, g, 'horizon in the shared store: state forgotten by node 1 stays refused on node 0, whose clock lags', ['SharedStore', 'StreamLimit', 'Duplicate'], ['rplSharedHorizon', 'rplHorizon', 'rplNodeSettings'], reset({ maxStreams: 1 }), [
    a.open(0, 'ok', { node: 0, stream: streamOf('s1'), ts: TS, now: TS }),
    a.open(0, 'ok', { node: 1, stream: streamOf('s2'), ts: TS + MAX_AGE + 1, comment: 'node 1 forgets s1 (expired at its clock) to make room' }),
    a.open(0, 'ERR_STALE', { node: 0, stream: streamOf('s1'), ts: TS, now: TS, comment: 'fresh at node 0\'s clock; ts + maxAge is at the horizon' }),
  ]);
  // Restarts of every node ([RPL-7.1], [RPL-7.3]) with a shared store.
  transcript(b, g, 'nodes restart over the surviving shared store: the replay is still refused on the other node', ['SharedStore', 'Restart', 'Duplicate'], ['rplSharedStore', 'rplPersisted'], reset(), [
    a.open(5, 'ok', { node: 0, ts: TS }),
    { op: 'restart', now: later, persist: true, result: 'valid' },
    a.open(5, 'ERR_REPLAY', { node: 1, ts: TS, now: later + 1 }),
  ]);
  transcript(b, g, 'nodes restart with the store lost: the restart bound applies on every node', ['SharedStore', 'Restart'], ['rplRestart', 'rplSharedStore'], reset(), [
    a.open(5, 'ok', { node: 0, ts: TS }),
    { op: 'restart', now: later, result: 'valid' },
    a.open(5, 'ERR_STATE_LOST', { node: 1, ts: TS, now: later + 1 }),
  ]);

  // [RPL-5.6], [RPL-9.4] fail closed.
  transcript(b, g, 'the shared store is unreachable: node 1 refuses a new envelope with ERR_STORE', ['SharedStore', 'StoreDown'], ['rplSharedFailClosed', 'rplStoreDown'], reset(), [
    a.open(0, 'ok', { node: 0 }),
    fail(),
    a.open(1, 'ERR_STORE', { node: 1 }),
  ]);
  transcript(b, g, 'the shared store is unreachable: a replay is refused with ERR_STORE, never accepted', ['SharedStore', 'StoreDown', 'Duplicate'], ['rplSharedFailClosed', 'rplStoreDown'], reset(), [
    a.open(0, 'ok', { node: 0 }),
    fail(),
    a.open(0, 'ERR_STORE', { node: 1 }),
  ]);
  transcript(b, g, 'after the store recovers, the envelope refused while it was down is accepted once', ['SharedStore', 'StoreDown'], ['rplSharedFailClosed', 'rplStoreDown'], reset(), [
    fail(),
    a.open(1, 'ERR_STORE', { node: 0 }),
    ok('store.recover'),
    a.open(1, 'ok', { node: 1 }),
    a.open(1, 'ERR_REPLAY', { node: 0 }),
  ]);
  transcript(b, g, 'the store fails only at the commit: ERR_STORE after a valid signature, and nothing accepted', ['SharedStore', 'StoreDown'], ['rplStoreDown', 'rplSharedFailClosed'], reset(), [
    fail('commit'),
    a.open(5, 'ERR_STORE', { node: 0 }),
    ok('store.recover'),
    a.open(5, 'ok', { node: 1, comment: 'the refused envelope was not recorded' }),
  ]);
  transcript(b, g, 'the store fails only at the pre-check: ERR_STORE', ['StoreDown'], ['rplStoreDown'], reset({ nodes: 1 }), [
    fail('check'),
    a.open(5, 'ERR_STORE'),
  ]);
  // Check order ([RPL-5.1]): freshness and the restart bound need no store; the pre-check comes
  // before the signature, the signature before the commit.
  transcript(b, g, 'store down: a post-dated envelope is ERR_FUTURE (freshness needs no store)', ['StoreDown', 'CheckOrder'], ['rplStages', 'rplStoreDown'], reset(), [
    fail(),
    a.open(1, 'ERR_FUTURE', { ts: TS + SKEW + 1, now: TS }),
  ]);
  transcript(b, g, 'store down: an envelope inside the restart bound is ERR_STATE_LOST', ['StoreDown', 'CheckOrder', 'Restart'], ['rplStages', 'rplRestart'], reset({ startedAt: TS }), [
    fail(),
    a.open(1, 'ERR_STATE_LOST', { ts: TS + SKEW, now: TS + SKEW }),
  ]);
  transcript(b, g, 'store down: a forged envelope is ERR_STORE (the pre-check precedes the signature)', ['StoreDown', 'CheckOrder', 'Forged'], ['rplStages', 'rplStoreDown'], reset(), [
    fail(),
    a.open(1, 'ERR_STORE', { tamper: true }),
  ]);
  transcript(b, g, 'store down at the commit only: a forged envelope is ERR_BAD_SIGNATURE (the signature precedes the commit)', ['StoreDown', 'CheckOrder', 'Forged'], ['rplStages', 'rplStoreDown'], reset(), [
    fail('commit'),
    a.open(1, 'ERR_BAD_SIGNATURE', { tamper: true }),
  ]);

  // [RPL-7.2] snapshots: the restored store starts at the restart.
  transcript(b, g, 'restart from a snapshot: an envelope accepted after the snapshot is refused by the restart bound', ['Snapshot', 'Restart', 'Duplicate'], ['rplSnapshot', 'rplRestart'], reset({ nodes: 1 }), [
    a.open(4, 'ok', { ts: TS }),
    ok('store.snapshot'),
    a.open(5, 'ok', { ts: TS }),
    { op: 'restart', now: later, snapshot: true, result: 'valid' },
    a.open(5, 'ERR_STATE_LOST', { ts: TS, now: later + 1, comment: 'not in the snapshot: only startedAt = restart time refuses it' }),
  ]);
  transcript(b, g, 'restart from a snapshot: an envelope in the snapshot is refused by the restart bound too', ['Snapshot', 'Restart', 'Duplicate'], ['rplSnapshot', 'rplRestart'], reset({ nodes: 1 }), [
    a.open(4, 'ok', { ts: TS }),
    ok('store.snapshot'),
    { op: 'restart', now: later, snapshot: true, result: 'valid' },
    a.open(4, 'ERR_STATE_LOST', { ts: TS, now: later + 1 }),
  ]);
  transcript(b, g, 'restart from a snapshot: ts = restart + skew is refused on every node', ['Snapshot', 'Restart', 'Boundary', 'SharedStore'], ['rplSnapshot', 'rplStartBound'], reset(), [
    a.open(4, 'ok', { node: 0, ts: TS }),
    ok('store.snapshot'),
    { op: 'restart', now: later, snapshot: true, result: 'valid' },
    a.open(6, 'ERR_STATE_LOST', { node: 1, ts: later + SKEW, now: later + SKEW }),
  ]);
  transcript(b, g, 'restart from a snapshot: ts = restart + skew + 1 is accepted', ['Snapshot', 'Restart', 'Boundary'], ['rplSnapshot', 'rplStartBound'], reset({ nodes: 1 }), [
    a.open(4, 'ok', { ts: TS }),
    ok('store.snapshot'),
    { op: 'restart', now: later, snapshot: true, result: 'valid' },
    a.open(6, 'ok', { ts: later + SKEW + 1, now: later + SKEW + 1 }),
  ]);
  transcript(b, g, 'restart from a snapshot: the snapshot\'s window carries over', ['Snapshot', 'Restart', 'Window'], ['rplSnapshot', 'rplTooOld'], reset({ nodes: 1 }), [
    a.open(100, 'ok', { ts: TS }),
    ok('store.snapshot'),
    { op: 'restart', now: later, snapshot: true, result: 'valid' },
    a.open(100 - W, 'ERR_TOO_OLD', { ts: later + SKEW + 1, now: later + SKEW + 1, comment: 'W behind the highest the snapshot holds' }),
  ]);
  // [RPL-9.5] a store that loses its state while the nodes run: every node notices on its next
  // call, refuses it, and takes the new startedAt, so what was forgotten is refused by the restart bound.
  transcript(b, g, 'the store loses its state: the call in hand is refused, and the forgotten envelope is ERR_STATE_LOST, never accepted again', ['SharedStore', 'StoreLost', 'Duplicate'], ['rplStoreLost', 'rplRestart'], reset(), [
    a.open(5, 'ok', { node: 0, ts: TS }),
    ok('store.lose'),
    a.open(6, 'ERR_STORE', { node: 0, ts: later, now: later, comment: 'this call finds the state lost and starts it again at its now' }),
    a.open(5, 'ERR_STATE_LOST', { node: 0, ts: TS, now: later + 1 }),
  ]);
  transcript(b, g, 'the store loses its state: the other node refuses its next call too, then takes the new startedAt', ['SharedStore', 'StoreLost', 'Duplicate'], ['rplStoreLost', 'rplRestart'], reset(), [
    a.open(5, 'ok', { node: 1, ts: TS }),
    ok('store.lose'),
    a.open(6, 'ERR_STORE', { node: 0, ts: later, now: later }),
    a.open(5, 'ERR_STORE', { node: 1, ts: TS, now: later + 1, comment: 'node 1 still holds the old marker: refused, not accepted' }),
    a.open(5, 'ERR_STATE_LOST', { node: 1, ts: TS, now: later + 2 }),
  ]);
  transcript(b, g, 'after a lost state, envelopes after the new restart bound are accepted once on every node', ['SharedStore', 'StoreLost', 'Boundary'], ['rplStoreLost', 'rplStartBound', 'rplSharedStore'], reset(), [
    a.open(5, 'ok', { node: 0, ts: TS }),
    ok('store.lose'),
    a.open(6, 'ERR_STORE', { node: 0, ts: later, now: later }),
    a.open(7, 'ERR_STORE', { node: 1, ts: later, now: later }),
    a.open(8, 'ERR_STATE_LOST', { node: 1, ts: later + SKEW, now: later + SKEW }),
    a.open(8, 'ok', { node: 1, ts: later + SKEW + 1, now: later + SKEW + 1 }),
    a.open(8, 'ERR_REPLAY', { node: 0, ts: later + SKEW + 1, now: later + SKEW + 1 }),
  ]);
  transcript(b, g, 'a lost store noticed at the commit: nothing is accepted from the empty state', ['SharedStore', 'StoreLost'], ['rplStoreLost'], reset({ nodes: 1 }), [
    a.open(5, 'ok', { ts: TS }),
    ok('store.lose'),
    a.open(5, 'ERR_STORE', { ts: TS, now: later, comment: 'a replay: refused by the store, not accepted from the empty state' }),
    a.open(5, 'ERR_STATE_LOST', { ts: TS, now: later + 1 }),
  ]);
  return b.build();
}
