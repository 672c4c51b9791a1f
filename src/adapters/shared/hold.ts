// [POL-5.4]: a connection's per-IP slot is held until its session ended AND its socket is gone,
// whichever comes last: a session that ended on a socket still open must not free a slot early.
import type { Admission } from '../../session/server.js';

/** `admission`, released only once the session released it and `whenGone` reported the socket gone. */
export function heldUntilGone(admission: Admission, whenGone: (gone: () => void) => void): Admission {
  let sessionDone = false;
  let gone = false;
  let released = false;
  const maybe = (): void => {
    if (!sessionDone || !gone || released) return;
    released = true;
    admission.release();
  };
  whenGone(() => {
    gone = true;
    maybe();
  });
  return {
    address: admission.address,
    origin: admission.origin,
    release: () => {
      sessionDone = true;
      maybe();
    },
  };
}
