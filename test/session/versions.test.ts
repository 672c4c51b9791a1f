// [ENV-9.2]: a client never sends an envelope of a version its peer did not advertise.
// the two streams per side and what travels on them, delivery of a committed envelope when the
// session closes mid-processing, the version a sender may use, and a forgotten acknowledgement
// record. All on the in-memory link, real crypto; the wire bytes are read from the link's capture.
import { describe, expect, it } from 'vitest';
import { ClientSession, type Transport } from '../../src/index.js';
import { decodeEnvelope } from '../../src/protocol.js';
import {
  HANDSHAKE_VERSION,
  MSG_AUTH,
  CB_NONE,
  clientSignatureInput,
  encodeAuthBody,
  encodeHello,
  encodeSigned,
  transcriptHash,
} from '../../src/session/handshake.js';
import { memoryLink } from '../helpers/net-memory.js';
import { serverPair, serverPublic } from '../helpers/server-fixture.js';
import { makeServer, newKey, pair, until } from '../helpers/session-pair.js';

const enc = new TextEncoder();

describe('[ENV-9.2] no envelope of a version the peer did not advertise', () => {
  const limits = { maxSkewMs: 5000, maxMessageSize: 65536, window: 1024, handshakeTimeoutMs: 10_000 };

  function bareClient(): { client: ClientSession; sent: Uint8Array[]; closes: number[] } {
    const sent: Uint8Array[] = [];
    const closes: number[] = [];
    const transport: Transport = { send: (b) => void sent.push(b.slice()), close: (code) => void closes.push(code) };
    const client = new ClientSession(transport, { key: newKey(), serverKey: serverPublic });
    return { client, sent, closes };
  }
  const hello = (versions: number[]): Uint8Array =>
    encodeHello({ versions, nonce: crypto.getRandomValues(new Uint8Array(32)), key: serverPair.publicKey, time: Date.now(), limits });

  it('a client whose hello offers no version 1 refuses with ERR_UNSUPPORTED_VERSION and sends nothing', async () => {
    const { client, sent, closes } = bareClient();
    client.receive(hello([2, 3]));
    await expect(client.ready).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_VERSION', closeCode: 4016 });
    expect(sent).toHaveLength(0);
    expect(closes).toEqual([4016]);
    // Control: the same hello offering 1 as well is answered with a version-1 ClientAuth.
    const ok = bareClient();
    ok.client.receive(hello([1, 2]));
    expect(ok.sent).toHaveLength(1);
    expect(ok.sent[0]![1]).toBe(MSG_AUTH);
    ok.client.close();
  });

  it('a server refuses a ClientAuth of another version and sends no envelope', async () => {
    const key = newKey();
    const server = makeServer(key);
    const link = memoryLink();
    const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }));
    const helloBytes = link.fromServer[0]!;
    const body = encodeAuthBody({
      version: HANDSHAKE_VERSION + 1,
      nonce: crypto.getRandomValues(new Uint8Array(32)),
      key: key.publicKey,
      time: Date.now(),
      origin: '',
      cbType: CB_NONE,
      cb: new Uint8Array(0),
      credential: null,
      resume: null,
    });
    session.receive(encodeSigned(MSG_AUTH, body, key.sign(clientSignatureInput(transcriptHash(helloBytes, body)))));
    expect((await session.closed).reason).toBe('ERR_UNSUPPORTED_VERSION');
    expect(link.fromServer).toEqual([helloBytes]);
  });

  it('in a session every envelope either side sends decodes as version 1', async () => {
    const key = newKey();
    const p = pair(makeServer(key), key);
    await p.client.ready;
    await p.client.join('r');
    p.client.send('r', 'x');
    p.session.send(null, enc.encode('y'));
    await until(() => p.client.unacknowledged === 0 && p.session.unacknowledged === 0, 'acknowledged');
    // decodeEnvelope refuses any version but 1 (ERR_UNSUPPORTED_VERSION), so decoding is the check.
    const all = [...p.link.fromClient, ...p.link.fromServer].filter((b) => b[0] === 0xd2);
    expect(all.length).toBeGreaterThan(4);
    for (const b of all) expect(() => decodeEnvelope(b)).not.toThrow();
  });
});
