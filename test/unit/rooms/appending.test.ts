// The barrier a node's stored session record waits on ([HS-7.13]): events published until now,
// appended, refused or dropped as resent duplicates, in any order; later ones do not hold it.
import { describe, expect, it } from 'vitest';
import { Appending } from '../../../src/rooms/appending.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('Appending', () => {
  it('resolves once every event wrapped before it settled or was dropped, whatever the order', async () => {
    const a = new Appending();
    expect(a.settled()).toBeUndefined();
    const heard: string[] = [];
    const [e1, e2] = [a.wrap({ settled: (c) => heard.push(`1:${c}`) }), a.wrap({ dropped: () => heard.push('2:dropped') })];
    let through = false;
    void a.settled()!.then(() => (through = true));
    const e3 = a.wrap(undefined);
    e2.dropped!();
    await tick();
    expect(through).toBe(false);
    e1.settled!('ERR_STORE');
    await tick();
    // e3 came after the barrier: it does not hold it.
    expect(through).toBe(true);
    expect(heard).toEqual(['2:dropped', '1:ERR_STORE']);
    expect(a.settled()).toBeInstanceOf(Promise);
    e3.settled!(null);
    e3.settled!(null); // a second word changes nothing
    expect(a.settled()).toBeUndefined();
  });
});
