// How a plugged-in signature check (ReceiverOptions.verify) tells a Receiver that it is done with
// its arguments when it returns, as VerifyPool is: it packs them into its batch buffer at once.
// The Receiver then lends it views into reused buffers instead of making a signing input and a
// signature copy per envelope, which a check that keeps its arguments past an await needs.
const COPIES_INPUTS = Symbol('sealwire.verify.copiesInputs');

/** @internal Marks `fn` as copying its arguments before it returns; returns `fn`. */
export function markCopiesInputs<F extends (...args: never[]) => unknown>(fn: F): F {
  Object.defineProperty(fn, COPIES_INPUTS, { value: true });
  return fn;
}

/** @internal Whether `fn` was marked by {@link markCopiesInputs}. */
export function copiesInputs(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [COPIES_INPUTS]?: unknown })[COPIES_INPUTS] === true;
}
