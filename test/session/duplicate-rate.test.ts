// Review: [POL-3.1] every envelope costs a token. A resumed session answers a resent duplicate of
// the peer's data stream with a receipt instead of ending ([HS-7.6]); that refusal comes before the
// rate-limit hook, so duplicates must be charged too, or a client floods the server with them and
// gets each answered by a freshly signed receipt ([POL-3.2]: a flood is not answered message by message).
import { describe, expect, it } from 'vitest';
import { ClientSession, KeyRing, SecureServer, generateKeyPair, importSigningKey } from '../../src/index.js';
import { memoryLink } from '../helpers/net-memory.js';
import { closedAfterEach, serverKey, serverPublic } from '../helpers/server-fixture.js';
import { seal } from '../../src/envelope/seal.js';
import { binding, DIRECTION_CLIENT_TO_SERVER } from '../../src/session/transport.js';
import { MESSAGE_CONTENT_TYPE, encodeClientMessage, OP_SEND } from '../../src/session/messages.js';
import { fromHex } from '../../src/bytes.js';

const servers = closedAfterEach();

describe('review: resent duplicates and rate limits', () => {
  it('a flood of duplicates in a resumed session is refused with ERR_RATE_LIMITED, not answered receipt by receipt', async () => {
    const keys = new KeyRing();
    const alice = importSigningKey(generateKeyPair().secretKey);
    keys.add(alice.publicKey, { identity: 'alice' });
    const server = new SecureServer({
      key: serverKey,
      keys,
      authorize: () => true,
      rateLimit: { connection: { perSecond: 1, burst: 20 }, identity: { perSecond: 1e6, burst: 1e6 } },
    });
    servers.push(server);

    const l1 = memoryLink();
    const s1 = server.accept(l1.server, server.admit({ address: '127.0.0.1' }));
    const c1 = new ClientSession(l1.client, { key: alice, serverKey: serverPublic });
    l1.connect(s1, c1);
    await c1.ready;
    await c1.join('r');
    const stream = c1.stream!;
    l1.cut();
    await c1.closed;

    const l2 = memoryLink();
    const s2 = server.accept(l2.server, server.admit({ address: '127.0.0.1' }));
    const c2 = new ClientSession(l2.client, { key: alice, serverKey: serverPublic, resumeFrom: c1 });
    l2.connect(s2, c2);
    await c2.ready;
    await new Promise((r) => setTimeout(r, 20));
    expect(s2.state).toBe('open');
    // Seq 0 (the join) was accepted in the first session: validly sealed again, it is a duplicate.
    const dup = seal(alice, encodeClientMessage({ op: OP_SEND, room: 'r', data: new Uint8Array(1) }), {
      seq: 0,
      stream,
      binding: binding(fromHex(s2.sessionId!), DIRECTION_CLIENT_TO_SERVER),
      contentType: MESSAGE_CONTENT_TYPE,
    });
    const before = l2.fromServer.length;
    for (let i = 0; i < 200; i++) s2.receive(dup);
    const info = await Promise.race([s2.closed, new Promise((r) => setTimeout(() => r(undefined), 200))]);
    expect(info, `${l2.fromServer.length - before} receipts sent for 200 duplicates`).toMatchObject({ reason: 'ERR_RATE_LIMITED' });
    expect(l2.fromServer.length - before).toBeLessThanOrEqual(20);
  });
});
