// [POL-7.2]: security events carry no payload, credential, nonce, signature or exporter value, and a
// failing event sink (throwing, or an async sink that rejects) does not affect the session. A
// session is driven with distinctive values through accepted and refused paths, and every event is
// scanned as JSON for them in every encoding an event could plausibly carry.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClientSession,
  ProtocolError,
  SecureServer,
  generateKeyPair,
  importSigningKey,
  toHex,
  type SessionMessage,
  type SecureServerOptions,
  type SecurityEvent,
  type ServerMessage,
} from '../../src/index.js';
import { decodeEnvelope } from '../../src/protocol.js';
import { channelBindingHash, decodeAuth, decodeHello, decodeWelcome } from '../../src/session/handshake.js';
import { memoryLink, type MemoryLink } from '../helpers/net-memory.js';
import { serverKey, serverPublic } from '../helpers/server-fixture.js';

const enc = new TextEncoder();

const PAYLOAD = 'PAYLOAD-quokka-7f3c91-zebra';
const REFUSED_PAYLOAD = 'REFUSED-PAYLOAD-walrus-5d20';
const CREDENTIAL = 'CREDENTIAL-narwhal-9b1e44';
const BAD_CREDENTIAL = 'BAD-CREDENTIAL-axolotl-66aa';
const EXPORTER = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 ^ (i * 7));

const servers: SecureServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  vi.restoreAllMocks();
});

function makeServer(onEvent: SecureServerOptions['onEvent']): SecureServer {
  const server = new SecureServer({
    key: serverKey,
    authenticate: (credential) => {
      if (new TextDecoder().decode(credential ?? new Uint8Array()) !== CREDENTIAL) throw new ProtocolError('ERR_UNAUTHENTICATED', 'credential refused');
      return { identity: 'alice', roles: ['user'] };
    },
    authorize: ({ room }) => room !== 'staff',
    validate: ({ payload }) => new TextDecoder().decode(payload) !== REFUSED_PAYLOAD,
    ...(onEvent !== undefined ? { onEvent } : {}),
  });
  servers.push(server);
  return server;
}

function connect(server: SecureServer, credential: string): { client: ClientSession; link: MemoryLink } {
  const link = memoryLink();
  const session = server.accept(link.server, server.admit({ address: '127.0.0.1' }), { tlsExporter: EXPORTER });
  const client = new ClientSession(link.client, { key: importSigningKey(generateKeyPair().secretKey), serverKey: serverPublic, credential, channelBinding: () => EXPORTER });
  link.connect(session, client);
  return { client, link };
}

const encodings = (bytes: Uint8Array): string[] => {
  const b64 = Buffer.from(bytes).toString('base64');
  const b64url = Buffer.from(bytes).toString('base64url');
  // A prefix long enough to be unmistakable, short enough to catch a truncated copy.
  return [toHex(bytes), toHex(bytes).toUpperCase(), b64.slice(0, 16), b64url.slice(0, 16), `{"0":${bytes[0]},"1":${bytes[1]},"2":${bytes[2]}`, `[${bytes[0]},${bytes[1]},${bytes[2]},`];
};

const ALLOWED = new Set(['type', 'outcome', 'code', 'closeCode', 'session', 'keyId', 'identity', 'peer', 'room', 'time']);

describe('[POL-7.2] security events', () => {
  it('carry no payload, credential, nonce, signature or exporter value, on accepted and refused paths', async () => {
    const events: SecurityEvent[] = [];
    const server = makeServer((e) => events.push(e));
    const viaEmitter: SecurityEvent[] = [];
    server.on('event', (e) => viaEmitter.push(e));
    const delivered: ServerMessage[] = [];
    server.on('message', (m) => delivered.push(m));

    const { client, link } = connect(server, CREDENTIAL);
    await client.ready;
    await client.join('lobby');
    await expect(client.join('staff')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    client.send('lobby', PAYLOAD);
    await expect(client.request('shout', PAYLOAD, 'lobby')).resolves.toBeUndefined();
    await expect(client.request('shout', REFUSED_PAYLOAD, 'lobby')).rejects.toMatchObject({ code: 'ERR_PAYLOAD_INVALID' });
    const refused = new Promise((r) => client.on('refused', r));
    client.send('elsewhere', REFUSED_PAYLOAD); // not joined
    await refused;
    expect(delivered.map((m) => new TextDecoder().decode(m.payload))).toEqual([PAYLOAD, PAYLOAD]);
    // A refused handshake carries a credential too; a session ended by a bad envelope carries a payload.
    const bad = connect(server, BAD_CREDENTIAL);
    await expect(bad.client.ready).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    const lastData = link.fromClient.filter((b) => b[0] === 0xd2).at(-1)!;
    link.injectToServer(lastData); // a replay: the session ends with ERR_REPLAY
    expect((await client.closed).reason).toBe('ERR_REPLAY');
    await new Promise((r) => setTimeout(r, 10));

    // What the wire carried that events must not: nonces, signatures, exporter, payloads, credentials.
    const secrets: Uint8Array[] = [EXPORTER, channelBindingHash(EXPORTER), enc.encode(PAYLOAD), enc.encode(REFUSED_PAYLOAD), enc.encode(CREDENTIAL), enc.encode(BAD_CREDENTIAL)];
    for (const l of [link, bad.link]) {
      secrets.push(decodeHello(l.fromServer[0]!).nonce);
      const auth = decodeAuth(l.fromClient[0]!);
      secrets.push(auth.body.nonce, auth.signature);
    }
    secrets.push(decodeWelcome(link.fromServer[1]!).signature);
    for (const b of [...link.fromClient, ...link.fromServer].filter((x) => x[0] === 0xd2)) secrets.push(decodeEnvelope(b).signature);
    const texts = [PAYLOAD, REFUSED_PAYLOAD, CREDENTIAL, BAD_CREDENTIAL];

    expect(events.map((e) => `${e.type}:${e.outcome}`)).toEqual(expect.arrayContaining(['handshake:accept', 'join:reject', 'send:accept', 'custom:accept', 'custom:reject', 'send:reject', 'handshake:reject', 'message:reject', 'close:close']));
    expect(viaEmitter).toEqual(events);
    for (const e of events) {
      for (const [k, v] of Object.entries(e)) {
        expect(ALLOWED.has(k), `unexpected field ${k}`).toBe(true);
        expect(['string', 'number'], `${k} is ${typeof v}`).toContain(typeof v);
      }
      const json = JSON.stringify(e);
      for (const t of texts) expect(json, `${json} contains ${t}`).not.toContain(t);
      for (const s of secrets) for (const form of encodings(s)) expect(json.includes(form), `${json} contains ${form}`).toBe(false);
    }
  });

  for (const [name, sink] of [
    ['a throwing sink', (): void => { throw new Error('sink down'); }],
    ['an async sink that rejects', async (): Promise<void> => { throw new Error('sink down'); }],
  ] as const) {
    it(`${name} does not affect the session: messages still flow both ways, the failure is reported`, async () => {
      const reported = vi.spyOn(console, 'error').mockImplementation(() => {});
      const rejections: unknown[] = [];
      const onRejection = (r: unknown): void => void rejections.push(r);
      process.on('unhandledRejection', onRejection);
      try {
        const server = makeServer(sink as SecureServerOptions['onEvent']);
        server.on('event', sink as (e: SecurityEvent) => void); // the emitter is a sink too
        const got: ServerMessage[] = [];
        server.on('message', (m) => got.push(m));
        const { client } = connect(server, CREDENTIAL);
        await client.ready;
        await client.join('lobby');
        client.send('lobby', PAYLOAD);
        const down = new Promise<SessionMessage>((r) => client.on('message', r));
        const session = [...server.sessions][0]!;
        await new Promise((r) => setTimeout(r, 20));
        session.send('lobby', enc.encode('from the server'));
        expect(new TextDecoder().decode((await down).payload)).toBe('from the server');
        expect(got.map((m) => new TextDecoder().decode(m.payload))).toEqual([PAYLOAD]);
        expect(client.state).toBe('open');
        await new Promise((r) => setTimeout(r, 20));
        expect(rejections).toEqual([]);
        // Not silent: every failure went to the error report.
        expect(reported.mock.calls.some((c) => c.some((a) => a instanceof Error && a.message === 'sink down'))).toBe(true);
        client.close();
      } finally {
        process.off('unhandledRejection', onRejection);
      }
    });
  }
});
