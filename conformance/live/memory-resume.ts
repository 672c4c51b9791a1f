// The resume store our test server's two nodes share in the handover checks (spec/handshake.md
// §7.1): both nodes run in this process, so one Map holds what Redis holds between processes, with
// the same rules as shareResume's scripts — a take moves the state to a new holder and fences the
// old one, a write of a holder that lost the state changes nothing, and entries expire.
import type { SharedResume, TakenState } from '../../src/session/shared-resume.js';

interface Entry {
  holder: string;
  fields: Map<string, string>;
  expiresAt: number;
}

/** Resume state shared by nodes of one process. */
export function memoryResume(clock: () => number = Date.now): SharedResume {
  const states = new Map<string, Entry>();
  const ids = new Map<string, { state: string; expiresAt: number }>();
  const live = (state: string): Entry | undefined => {
    const e = states.get(state);
    if (e !== undefined && e.expiresAt <= clock()) states.delete(state);
    return states.get(state);
  };
  return {
    lookup(id) {
      const n = ids.get(id);
      return Promise.resolve(n !== undefined && n.expiresAt > clock() ? n.state : undefined);
    },
    create(state, holder, fields, ttlMs) {
      states.set(state, { holder, fields: new Map([...fields]), expiresAt: clock() + ttlMs });
      return Promise.resolve();
    },
    take(state, holder, ttlMs, kid, expect = ''): Promise<TakenState | 'held' | undefined> {
      const e = live(state);
      if (e === undefined || e.fields.get('kid') !== kid) return Promise.resolve(undefined);
      e.expiresAt = clock() + ttlMs;
      if (e.holder === expect) return Promise.resolve('held');
      const previous = e.holder;
      e.holder = holder;
      return Promise.resolve({ previous, fields: new Map([['holder', holder], ...e.fields]) });
    },
    write(state, holder, set, del, ttlMs) {
      const e = live(state);
      if (e === undefined || e.holder !== holder) return Promise.resolve(false);
      for (const [k, v] of set) e.fields.set(k, v);
      for (const k of del) e.fields.delete(k);
      e.expiresAt = clock() + ttlMs;
      return Promise.resolve(true);
    },
    name(id, state, ttlMs) {
      ids.set(id, { state, expiresAt: clock() + ttlMs });
      return Promise.resolve();
    },
    refresh(list, named, ttlMs) {
      for (const s of list) {
        const e = live(s);
        if (e !== undefined) e.expiresAt = clock() + ttlMs;
      }
      for (const id of named) {
        const n = ids.get(id);
        if (n !== undefined) n.expiresAt = clock() + ttlMs;
      }
      return Promise.resolve();
    },
    drop(state) {
      states.delete(state);
      return Promise.resolve();
    },
  };
}
