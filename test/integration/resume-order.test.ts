// Order across a resume with asynchronous hooks ([HS-7.10]): an envelope the old session committed
// but had not yet delivered (its `authorize` still pending when the connection dropped) reaches the
// application before anything the resumed session receives. Real servers on 127.0.0.1, every adapter.
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigningKey } from '../../src/index.js';
import { connect } from '../../src/adapters/ws/index.js';
import { ADAPTERS, type AdapterFactory, type RunningAdapter } from '../helpers/net-adapters.js';
import { deviceServer } from '../helpers/device-server.js';
import { TrackedWebSocket } from '../helpers/tracked-ws.js';

const text = new TextDecoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const running: RunningAdapter[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

/**
 * A server on `factory` whose first send is decided slowly (a remote policy service, say) and
 * every other at once; `firstSendAsked` settles when that decision starts, after the commit.
 */
async function slowFirstSend(factory: AdapterFactory) {
  const key = importSigningKey(generateKeyPair().secretKey);
  let sends = 0;
  let firstAsked!: () => void;
  const firstSendAsked = new Promise<void>((r) => (firstAsked = r));
  const { server, adapter, options } = await deviceServer(factory, key, running, {
    authorize: async ({ action }) => {
      if (action === 'send' && ++sends === 1) {
        firstAsked();
        await sleep(300);
      }
      return true;
    },
  });
  const delivered: string[] = [];
  server.on('message', (m) => delivered.push(text.decode(m.payload)));
  // m0 is committed (its authorize runs after the commit); then the connection drops.
  const first = await connect(adapter.url, options);
  await first.join('r');
  first.send('r', 'm0');
  await firstSendAsked;
  TrackedWebSocket.last!.terminate();
  await first.closed;
  return { adapter, delivered, options, first };
}

for (const factory of ADAPTERS) {
  describe(`resume keeps order with an async authorize, over ${factory.name}`, () => {
    it("a message committed before the drop is delivered before the resumed session's first", async () => {
      const { adapter, delivered, options, first } = await slowFirstSend(factory);
      const second = await connect(adapter.url, { ...options, resumeFrom: first });
      second.send('r', 'm1');
      await expect.poll(() => delivered.length, { timeout: 5000 }).toBe(2);
      expect(delivered).toEqual(['m0', 'm1']);
      second.close();
    });

    it('also when the resumed session drops too before the first one has delivered', async () => {
      const { adapter, delivered, options, first } = await slowFirstSend(factory);
      // The second session takes the state over, receives the resent m0 (held), and drops at once.
      const second = await connect(adapter.url, { ...options, resumeFrom: first });
      TrackedWebSocket.last!.terminate();
      await second.closed;
      const third = await connect(adapter.url, { ...options, resumeFrom: second });
      third.send('r', 'm1');
      await expect.poll(() => delivered.length, { timeout: 5000 }).toBe(2);
      expect(delivered).toEqual(['m0', 'm1']);
      third.close();
    });
  });
}
