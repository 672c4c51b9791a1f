// [HS-8.8]: a data envelope carries content type 60 and no other. The server's side is pinned by
// conformance/vectors/session_data.json; this is the client's: a correctly signed data envelope of
// the server with another content type ends the session with ERR_MESSAGE_MALFORMED (4050).
import { describe, expect, it } from 'vitest';
import { ClientSession, SecureServer, fromHex, generateKeyPair, importPublicKey, importSigningKey, seal } from '../../src/index.js';
import { encodeServerMessage } from '../../src/session/messages.js';
import { memoryLink } from '../helpers/net-memory.js';

const serverPair = generateKeyPair();
const serverKey = importSigningKey(serverPair.secretKey);

async function open(): Promise<{ server: SecureServer; link: ReturnType<typeof memoryLink>; client: ClientSession }> {
  const server = new SecureServer({ key: serverKey, authenticate: () => ({ identity: 'alice' }), authorize: () => true });
  const link = memoryLink();
  const session = server.accept(link.server, server.admit({}));
  const client = new ClientSession(link.client, { key: importSigningKey(generateKeyPair().secretKey), serverKey: importPublicKey(serverPair.publicKey), credential: 'x' });
  link.connect(session, client);
  await client.ready;
  return { server, link, client };
}

/** A server data envelope on a fresh stream at seq 0, bound to the client's session (direction 0x02). */
function serverData(client: ClientSession, contentType: number | string): Uint8Array {
  const binding = new Uint8Array(33);
  binding.set(fromHex(client.sessionId!));
  binding[32] = 0x02;
  const payload = encodeServerMessage({ op: 17, refSeq: 0, code: null });
  return seal(serverKey, payload, { seq: 0, stream: new Uint8Array(16).fill(0x5a), contentType, binding });
}

describe('data envelopes of the server at the client ([HS-8.8])', () => {
  it('content type 60: accepted, the session stays open', async () => {
    const { server, link, client } = await open();
    link.injectToClient(serverData(client, 60));
    await new Promise((r) => setTimeout(r, 20));
    expect(client.state).toBe('open');
    server.close();
  });

  for (const ct of [42, 'application/cbor']) {
    it(`content type ${JSON.stringify(ct)}: closed with ERR_MESSAGE_MALFORMED`, async () => {
      const { server, link, client } = await open();
      link.injectToClient(serverData(client, ct));
      const info = await client.closed;
      expect(info.code).toBe(4050);
      expect(info.error?.code).toBe('ERR_MESSAGE_MALFORMED');
      server.close();
    });
  }
});
