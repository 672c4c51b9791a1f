// The pieces the vector schemas are built from (conformance/gen/schemas.ts): shared value shapes,
// closed objects, one file's outline, and the shape of one step of a transcript.
export type Schema = Record<string, unknown>;

export const hex = { type: 'string', pattern: '^([0-9a-f]{2})*$' };
export const uint = { type: 'integer', minimum: 0, maximum: 9007199254740991 };
export const code = { type: 'string', pattern: '^ERR_[A-Z0-9_]+$' };
export const specRef = { type: 'string', pattern: '^(ENV|VER|RPL|HS|POL|RCP|ERR|ROOM|NODE|E2E)-[0-9]+(\\.[0-9]+)*$' };
export const contentType = { type: ['integer', 'string'] };

export const testBase = {
  tcId: { type: 'integer', minimum: 1, description: 'unique within the file' },
  comment: { type: 'string' },
  flags: { type: 'array', items: { type: 'string' }, description: 'each a key of notes' },
  specRefs: { type: 'array', items: specRef, minItems: 1, description: 'spec requirement ids this test checks' },
  result: { enum: ['valid', 'invalid'] },
  code: { ...code, description: 'the exact error code; present exactly when result is invalid' },
};
export const testRequired = ['tcId', 'comment', 'flags', 'specRefs', 'result'];

export function closed(properties: Schema, required: string[]): Schema {
  return { type: 'object', properties, required, additionalProperties: false };
}

export function file(title: string, group: Schema): Schema {
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

export const keySpec = closed({ publicKey: hex, kid: hex, identity: { type: 'string' }, notBefore: uint, notAfter: uint, issuedAt: uint }, ['publicKey']);

export const stepCommon = { result: testBase.result, code, comment: { type: 'string' } };

export const hexOrNull = { type: ['string', 'null'], pattern: '^([0-9a-f]{2})*$' };
export const strings = { type: 'array', items: { type: 'string' } };

/** One closed schema per stateful op of a `Steps` test, told apart by `op`. */
export function opStep(op: string, properties: Schema, required: string[] = []): Schema {
  return closed({ op: { const: op }, ...stepCommon, expect: { type: 'object', description: 'answer members that must be equal' }, ...properties }, [
    'op',
    'result',
    ...required,
  ]);
}
export const limitsSchema = closed({ maxSkewMs: uint, maxMessageSize: uint, window: uint, handshakeTimeoutMs: uint }, [
  'maxSkewMs',
  'maxMessageSize',
  'window',
  'handshakeTimeoutMs',
]);
export const account = closed({ credential: hexOrNull, identity: { type: 'string' }, roles: strings, expires: uint, code }, ['credential']);
export const hexes = { type: 'array', items: hex };
export const rate = closed({ perSecond: uint, burst: uint }, ['perSecond', 'burst']);
export const memberPost = closed(
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
