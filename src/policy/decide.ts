// A policy hook's verdict ([POL-2.1], [POL-2.5]): only a literal true allows, and a hook that
// throws or rejects refuses, so a faulty hook fails closed.

/** At once when the hook answers synchronously, else a promise of it (never rejecting). */
export function decide<T>(hook: (req: T) => boolean | Promise<boolean>, req: T): boolean | Promise<boolean> {
  let r: unknown;
  try {
    r = hook(req);
  } catch {
    return false;
  }
  // A truthy object returned by mistake denies. A thenable is awaited, as `await` would.
  if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof (r as PromiseLike<unknown>).then === 'function') {
    return Promise.resolve(r as PromiseLike<unknown>).then(
      (v) => v === true,
      () => false,
    );
  }
  return r === true;
}
