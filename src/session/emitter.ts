// A minimal typed event emitter: the core runs in browsers, so no node:events.

export type Listener<T> = (value: T) => void;

export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
  /** Where a throwing listener is reported; a server with a logger sends it there. */
  protected listenerError: (err: unknown) => void = reportListenerError;

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    if (typeof listener !== 'function') throw new TypeError('"listener" expected function');
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Calls every listener; a throwing listener is reported on `reportError`, never to the caller. */
  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    // One listener needs no snapshot; several are copied first, so adding or removing one while
    // calling them changes nothing for this event.
    if (set.size === 1) {
      callListener(set.values().next().value as Listener<Events[K]>, value, this.listenerError);
      return;
    }
    for (const l of [...set]) callListener(l as Listener<Events[K]>, value, this.listenerError);
  }

  protected listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }
}

// An application bug in a listener must not break the session it listens to ([POL-7.2]), and must
// not be silent either: it goes where uncaught errors go in a browser, or to the console.
export function reportListenerError(err: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(err);
  else console.error('sealwire: a listener threw', err);
}

/**
 * Calls an application callback whose failure must not reach the caller: a throw, or the rejection
 * of an async callback (which would otherwise be unhandled and end a Node process), is reported.
 */
export function callListener<T>(listener: (value: T) => unknown, value: T, report: (err: unknown) => void = reportListenerError): void {
  try {
    const r = listener(value);
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      (r as PromiseLike<unknown>).then(undefined, report);
    }
  } catch (err) {
    report(err);
  }
}
