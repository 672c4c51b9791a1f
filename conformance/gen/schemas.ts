// JSON Schemas (draft-07 subset) for the vector files, written by the generator next to them so
// the two cannot drift. Every object is closed (`additionalProperties: false`).
type Schema = Record<string, unknown>;

const hex = { type: 'string', pattern: '^([0-9a-f]{2})*$' };
const uint = { type: 'integer', minimum: 0, maximum: 9007199254740991 };
const code = { type: 'string', pattern: '^ERR_[A-Z0-9_]+$' };
const specRef = { type: 'string', pattern: '^(ENV|VER|RPL|HS|POL|RCP|ERR|ROOM|NODE|E2E)-[0-9]+(\\.[0-9]+)*$' };
const contentType = { type: ['integer', 'string'] };

const testBase = {
  tcId: { type: 'integer', minimum: 1, description: 'unique within the file' },
  comment: { type: 'string' },
  flags: { type: 'array', items: { type: 'string' }, description: 'each a key of notes' },
  specRefs: { type: 'array', items: specRef, minItems: 1, description: 'spec requirement ids this test checks' },
  result: { enum: ['valid', 'invalid'] },
  code: { ...code, description: 'the exact error code; present exactly when result is invalid' },
};
const testRequired = ['tcId', 'comment', 'flags', 'specRefs', 'result'];

function closed(properties: Schema, required: string[]): Schema {
  return { type: 'object', properties, required, additionalProperties: false };
}

function file(title: string, group: Schema): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title,
    type: 'object',
    properties: {
      algorithm: { type: 'string' },
      schema: { type: 'string' },
      numberOfTests: { type: 'integer', minimum: 0 },
      header: { type: 'array', items: { type: 'string' } },
      notes: {
        type: 'object',
        additionalProperties: closed({ bugType: { type: 'string' }, description: { type: 'string' }, effect: { type: 'string' } }, [
          'bugType',
          'description',
          'effect',
        ]),
      },
      testGroups: { type: 'array', items: { $ref: '#/definitions/Group' } },
    },
    required: ['algorithm', 'schema', 'numberOfTests', 'header', 'notes', 'testGroups'],
    additionalProperties: false,
    definitions: group,
  };
}

const keySpec = closed({ publicKey: hex, kid: hex, identity: { type: 'string' }, notBefore: uint, notAfter: uint, issuedAt: uint }, ['publicKey']);

const stepCommon = { result: testBase.result, code, comment: { type: 'string' } };

const hexOrNull = { type: ['string', 'null'], pattern: '^([0-9a-f]{2})*$' };
const strings = { type: 'array', items: { type: 'string' } };

/** One closed schema per stateful op of a `Steps` test, told apart by `op`. */
function opStep(op: string, properties: Schema, required: string[] = []): Schema {
  return closed({ op: { const: op }, ...stepCommon, expect: { type: 'object', description: 'answer members that must be equal' }, ...properties }, [
    'op',
    'result',
    ...required,
  ]);
}
const limitsSchema = closed({ maxSkewMs: uint, maxMessageSize: uint, window: uint, handshakeTimeoutMs: uint }, [
  'maxSkewMs',
  'maxMessageSize',
  'window',
  'handshakeTimeoutMs',
]);
const account = closed({ credential: hexOrNull, identity: { type: 'string' }, roles: strings, expires: uint, code }, ['credential']);
const hexes = { type: 'array', items: hex };
const rate = closed({ perSecond: uint, burst: uint }, ['perSecond', 'burst']);
const memberPost = closed(
  {
    kind: { enum: ['post', 'relay', 'join', 'leave'] },
    identity: { type: 'string' },
    author: hex,
    authorKey: hex,
    contentType: { type: 'string' },
    stream: hex,
    seq: uint,
    offset: uint,
    payload: hex,
  },
  ['kind', 'identity', 'offset'],
);
const STEP_OPS: Schema[] = [
  opStep(
    'outbox.reset',
    { secretKey: hex, stream: hex, keys: hexes, receiverKey: hex, capacity: uint, maxBytes: uint, binding: hex, startedAt: uint, window: uint },
    ['secretKey', 'stream', 'keys', 'startedAt'],
  ),
  opStep('outbox.send', { payload: hex, ts: uint }, ['payload', 'ts']),
  opStep('outbox.ack', { envelope: hex, now: uint, binding: hex }, ['envelope', 'now']),
  opStep('outbox.state', {}),
  opStep('outbox.reseal', { binding: hex, ts: uint }, ['binding', 'ts']),
  opStep('outbox.resume', { binding: hex, ts: uint }, ['binding', 'ts']),
  opStep('acks.reset', { secretKey: hex, keys: hexes, startedAt: uint, window: uint, binding: hex }, ['secretKey', 'keys', 'startedAt']),
  opStep('acks.open', { envelope: hex, now: uint }, ['envelope', 'now']),
  opStep('acks.receipt', { kid: hex, stream: hex, receiptStream: hex, ts: uint }, ['kid', 'stream', 'receiptStream', 'ts']),
  opStep(
    'session.reset',
    {
      serverSeed: hex,
      serverTime: { ...uint, description: 'the server clock at the reset; only session.advance moves it' },
      limits: limitsSchema,
      exporter: hexOrNull,
      requireChannelBinding: { type: 'boolean' },
      origins: strings,
      accounts: { type: 'array', items: account },
      jwt: closed({ issuerKey: hex, issuer: { type: 'string' }, audience: { type: 'string' } }, ['issuerKey', 'issuer', 'audience']),
      keys: { type: 'array', items: closed({ publicKey: hex, identity: { type: 'string' } }, ['publicKey', 'identity']) },
      forbidden: strings,
      refuse: { type: 'array', items: closed({ action: { type: 'string' }, channel: { type: 'string' }, identity: { type: 'string' } }, []) },
      rateLimit: closed({ connection: rate, identity: rate }, []),
      maxConnectionsPerIdentity: uint,
      maxConnectionsPerIp: uint,
    },
    ['serverSeed', 'serverTime', 'limits'],
  ),
  opStep('session.open', { serverNonce: hex, clientAuth: hex, peerOrigin: { type: 'string' }, peerAddress: { type: 'string' } }, ['serverNonce']),
  opStep('session.revoke', { kid: hex }, ['kid']),
  opStep('session.send', { envelope: hex }, ['envelope']),
  opStep('session.advance', { ms: { ...uint, description: 'virtual ms: the server clock moves by exactly this, firing the timers due by then' } }, ['ms']),
  opStep('session.drop', {}),
  opStep('room.reset', { serverKey: hex, rooms: strings }, ['serverKey', 'rooms']),
  opStep('room.reset', { nodes: { const: true, description: 'check frames under the node-set holder of the nodes.* ops' }, rooms: strings }, [
    'nodes',
    'rooms',
  ]),
  opStep('room.frame', { frame: hex }, ['frame']),
  opStep('room.position', { room: { type: 'string' }, epoch: hex, next: uint, status: uint, count: uint }, ['room', 'epoch', 'next', 'status', 'count']),
  opStep('room.server', { room: { type: 'string' }, epoch: hex, authorKey: hex }, ['room', 'epoch', 'authorKey']),
  opStep('room.post', { epoch: hex, post: hex }, ['epoch', 'post']),
  opStep('sender.reset', { secretKey: hex, stream: hex, seq: uint, blockSize: uint }, ['secretKey', 'stream']),
  opStep('sender.seal', { payload: hex, ts: uint }, ['payload', 'ts']),
  opStep('sender.restart', {}),
  opStep('error.close', { name: { type: 'string', pattern: '^ERR_[A-Z0-9_]+$' } }, ['name']),
  opStep('room.transcript', { keys: { type: 'array', items: closed({ publicKey: hex, identity: { type: 'string' } }, ['publicKey', 'identity']) }, records: hexes }, ['keys', 'records']),
  opStep('nodes.reset', { operator: hex, service: { type: 'string' } }, ['operator', 'service']),
  opStep('nodes.accept', { set: hex, now: uint }, ['set', 'now']),
  opStep('nodes.resolve', { kid: hex, ts: uint }, ['kid', 'ts']),
  opStep('nodes.hello', { key: hex, now: uint }, ['key', 'now']),
  opStep('e2ee.hpke', { ikmE: hex, ikmR: hex, info: hex, aad: hex, pt: hex, enc: hex, ct: hex }, ['ikmR', 'info', 'aad']),
  opStep('e2ee.chain', { chainKey: hex, index: uint }, ['chainKey', 'index']),
  opStep('e2ee.aad', { room: { type: 'string' }, epoch: hex, author: hex, stream: hex, seq: uint }, ['room', 'epoch', 'author', 'stream', 'seq']),
  opStep('e2ee.decrypt', { room: { type: 'string' }, epoch: hex, author: hex, stream: hex, seq: uint, chainKey: hex, message: hex }, [
    'room',
    'epoch',
    'author',
    'stream',
    'seq',
    'chainKey',
    'message',
  ]),
  opStep('e2ee.keys', { room: { type: 'string' }, epoch: hex, sender: hex, me: hex, deviceSeed: hex, seen: hexes, distribution: hex }, [
    'room',
    'epoch',
    'sender',
    'me',
    'deviceSeed',
    'seen',
    'distribution',
  ]),
  opStep('e2ee.device', { publicKey: hex, statement: hex }, ['publicKey', 'statement']),
  opStep('e2ee.member.reset', { room: { type: 'string' }, epoch: hex, seed: hex, identity: { type: 'string' }, deviceSeed: hex, now: uint, holdMs: uint }, [
    'room',
    'epoch',
    'seed',
    'identity',
    'deviceSeed',
    'now',
  ]),
  opStep('e2ee.member.receive', { now: uint, post: memberPost }, ['now']),
  opStep('e2ee.member.send', { now: uint, plaintext: hex }, ['now', 'plaintext']),
  opStep('merkle.verify', { leaf: hex, index: uint, count: uint, path: hexes, root: hex }, ['leaf', 'index', 'count', 'path', 'root']),
];

export const SCHEMAS: Record<string, Schema> = {
  'steps_schema.json': file('sealwire step transcripts (outbox, acknowledging side, live sessions)', {
    Group: closed({ type: { const: 'Steps' }, tests: { type: 'array', items: { $ref: '#/definitions/Test' } } }, ['type', 'tests']),
    Test: closed({ ...testBase, steps: { type: 'array', minItems: 1, items: { oneOf: STEP_OPS } } }, [...testRequired, 'steps']),
  }),
  'ed25519_verify_schema.json': file('sealwire Ed25519 verify vectors', {
    Group: closed(
      {
        type: { const: 'Ed25519Verify' },
        source: { type: 'string' },
        publicKey: hex,
        tests: { type: 'array', items: { $ref: '#/definitions/Test' } },
      },
      ['type', 'source', 'publicKey', 'tests'],
    ),
    Test: closed({ ...testBase, msg: hex, sig: hex }, [...testRequired, 'msg', 'sig']),
  }),
  'envelope_seal_schema.json': file('sealwire envelope codec vectors', {
    Group: closed(
      {
        type: { const: 'EnvelopeSeal' },
        secretKey: hex,
        publicKey: hex,
        kid: hex,
        tests: { type: 'array', items: { $ref: '#/definitions/Test' } },
      },
      ['type', 'secretKey', 'publicKey', 'kid', 'tests'],
    ),
    Test: closed(
      {
        ...testBase,
        result: { const: 'valid' },
        seq: uint,
        ts: uint,
        stream: hex,
        payload: hex,
        aad: hex,
        binding: hex,
        contentType,
        alg: { enum: [-8, -19] },
        protectedHeader: hex,
        externalAad: hex,
        sigStructure: hex,
        envelope: hex,
      },
      [...testRequired, 'seq', 'ts', 'stream', 'payload', 'protectedHeader', 'externalAad', 'sigStructure', 'envelope'],
    ),
  }),
  'envelope_open_schema.json': file('sealwire envelope open vectors', {
    Group: closed(
      {
        type: { const: 'EnvelopeOpen' },
        publicKey: hex,
        kid: hex,
        tests: { type: 'array', items: { $ref: '#/definitions/Test' } },
      },
      ['type', 'publicKey', 'tests'],
    ),
    Test: closed(
      {
        ...testBase,
        envelope: hex,
        aad: hex,
        binding: hex,
        maxEnvelopeSize: uint,
        payload: hex,
        seq: uint,
        ts: uint,
        stream: hex,
        kid: hex,
        contentType,
      },
      [...testRequired, 'envelope'],
    ),
  }),
  'transcript_schema.json': file('sealwire transcript vectors (replay, freshness, keys)', {
    Group: closed({ type: { const: 'Transcript' }, tests: { type: 'array', items: { $ref: '#/definitions/Test' } } }, ['type', 'tests']),
    Test: closed(
      {
        ...testBase,
        reset: closed(
          {
            keys: { type: 'array', items: keySpec },
            replay: { type: 'boolean' },
            window: uint,
            strict: { type: 'boolean' },
            maxFutureSkewMs: uint,
            maxAgeMs: uint,
            maxStreams: uint,
            startedAt: uint,
            nodes: uint,
          },
          ['keys'],
        ),
        steps: { type: 'array', minItems: 1, items: { $ref: '#/definitions/Step' } },
      },
      [...testRequired, 'reset', 'steps'],
    ),
    Step: {
      oneOf: [
        closed({ op: { const: 'open' }, envelope: hex, now: uint, aad: hex, binding: hex, node: uint, seq: uint, ts: uint, stream: hex, ...stepCommon }, [
          'op',
          'envelope',
          'result',
        ]),
        closed({ op: { const: 'restart' }, now: uint, persist: { type: 'boolean' }, snapshot: { type: 'boolean' }, ...stepCommon }, ['op', 'now', 'result']),
        closed({ op: { const: 'store.fail' }, phase: { enum: ['check', 'commit', 'both'] }, ...stepCommon }, ['op', 'result']),
        closed({ op: { enum: ['store.recover', 'store.snapshot', 'store.lose'] }, ...stepCommon }, ['op', 'result']),
        closed(
          {
            op: { const: 'keyring.add' },
            publicKey: hex,
            kid: hex,
            identity: { type: 'string' },
            notBefore: uint,
            notAfter: uint,
            issuedAt: uint,
            ...stepCommon,
          },
          ['op', 'publicKey', 'result'],
        ),
        closed({ op: { enum: ['keyring.revoke', 'keyring.remove'] }, kid: hex, ...stepCommon }, ['op', 'kid', 'result']),
        closed({ op: { const: 'keyring.revokeIdentity' }, identity: { type: 'string' }, issuedBefore: uint, ...stepCommon }, [
          'op',
          'identity',
          'issuedBefore',
          'result',
        ]),
      ],
    },
  }),
  'handshake_schema.json': file('sealwire handshake transcripts', {
    Group: closed({ type: { const: 'Handshake' }, tests: { type: 'array', items: { $ref: '#/definitions/Test' } } }, ['type', 'tests']),
    Test: closed(
      {
        ...testBase,
        side: { enum: ['client', 'server', 'both'] },
        serverSeed: hex,
        clientSeed: hex,
        serverKey: hex,
        serverNonce: hex,
        clientNonce: hex,
        serverTime: uint,
        clientTime: uint,
        limits: closed({ maxSkewMs: uint, maxMessageSize: uint, window: uint, handshakeTimeoutMs: uint }, [
          'maxSkewMs',
          'maxMessageSize',
          'window',
          'handshakeTimeoutMs',
        ]),
        origin: { type: 'string' },
        exporter: hexOrNull,
        credential: hexOrNull,
        server: closed(
          {
            exporter: hexOrNull,
            requireChannelBinding: { type: 'boolean' },
            peerOrigin: { type: 'string' },
            origins: strings,
            accounts: {
              type: 'array',
              items: closed({ credential: hexOrNull, identity: { type: 'string' }, roles: strings, expires: uint, code }, ['credential']),
            },
            keys: { type: 'array', items: closed({ publicKey: hex, identity: { type: 'string' } }, ['publicKey', 'identity']) },
            revoked: { type: 'array', items: hex },
          },
          [],
        ),
        identity: { type: 'string' },
        roles: strings,
        expires: { type: ['integer', 'null'], minimum: 0, maximum: 9007199254740991 },
        hello: hex,
        authBody: hex,
        clientAuth: hex,
        welcomeBody: hex,
        welcome: hex,
        sessionId: hex,
      },
      [
        ...testRequired,
        'side',
        'serverSeed',
        'clientSeed',
        'serverKey',
        'serverNonce',
        'clientNonce',
        'serverTime',
        'clientTime',
        'limits',
        'origin',
        'exporter',
        'credential',
        'server',
        'identity',
        'roles',
        'expires',
        'hello',
        'authBody',
        'clientAuth',
        'welcomeBody',
        'welcome',
        'sessionId',
      ],
    ),
  }),
  'receipt_codec_schema.json': file('sealwire receipt payload vectors', {
    Group: closed({ type: { const: 'ReceiptCodec' }, tests: { type: 'array', items: { $ref: '#/definitions/Test' } } }, ['type', 'tests']),
    Test: closed({ ...testBase, kid: hex, stream: hex, next: uint, sack: hex, hash: hex, payload: hex }, [...testRequired, 'payload']),
  }),
  'receipt_verify_schema.json': file('sealwire receipt envelope vectors', {
    Group: closed({ type: { const: 'ReceiptVerify' }, publicKey: hex, tests: { type: 'array', items: { $ref: '#/definitions/Test' } } }, [
      'type',
      'publicKey',
      'tests',
    ]),
    Test: closed(
      {
        ...testBase,
        envelope: hex,
        binding: hex,
        acked: closed({ publicKey: hex, envelope: hex, binding: hex }, ['publicKey', 'envelope']),
        receipt: closed({ kid: hex, stream: hex, next: uint, sack: hex, hash: hex }, ['kid', 'stream', 'next', 'sack', 'hash']),
        stream: hex,
        seq: uint,
        ts: uint,
      },
      [...testRequired, 'envelope'],
    ),
  }),
};
