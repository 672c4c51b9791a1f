// The vector file format (Wycheproof's shape), shared by the generator, the runner and the checks.
// conformance/schemas/*.json state the same thing for other languages.

export type Result = 'valid' | 'invalid';

export interface Note {
  bugType: string;
  description: string;
  effect?: string;
}

export interface TestBase {
  tcId: number;
  comment: string;
  flags: string[];
  specRefs: string[];
  result: Result;
  /** The exact error code when `result` is "invalid"; absent when "valid". */
  code?: string;
}

export interface Ed25519VerifyTest extends TestBase {
  msg: string;
  sig: string;
}

export interface Ed25519VerifyGroup {
  type: 'Ed25519Verify';
  source: string;
  publicKey: string;
  tests: Ed25519VerifyTest[];
}

export interface SealTest extends TestBase {
  seq: number;
  ts: number;
  stream: string;
  payload: string;
  aad?: string;
  binding?: string;
  contentType?: number | string;
  alg?: number;
  /** Intermediate values, for implementers debugging their own encoder. */
  protectedHeader: string;
  externalAad: string;
  sigStructure: string;
  envelope: string;
}

export interface SealGroup {
  type: 'EnvelopeSeal';
  secretKey: string;
  publicKey: string;
  kid: string;
  tests: SealTest[];
}

export interface OpenTest extends TestBase {
  envelope: string;
  aad?: string;
  binding?: string;
  maxEnvelopeSize?: number;
  /** For a valid test: what `open` must return. */
  payload?: string;
  seq?: number;
  ts?: number;
  stream?: string;
  kid?: string;
  contentType?: number | string;
}

export interface OpenGroup {
  type: 'EnvelopeOpen';
  publicKey: string;
  /** The key id the receiver registers the key under; absent means the RFC 7638 thumbprint. */
  kid?: string;
  tests: OpenTest[];
}

export interface KeySpec {
  publicKey: string;
  kid?: string;
  identity?: string;
  notBefore?: number;
  notAfter?: number;
  issuedAt?: number;
}

export interface ResetSpec {
  keys: KeySpec[];
  replay?: boolean;
  window?: number;
  strict?: boolean;
  maxFutureSkewMs?: number;
  maxAgeMs?: number;
  maxStreams?: number;
  /** When the receiver's replay state began (ms); required when replay is on. */
  startedAt?: number;
  /** Receivers ("nodes") sharing the one replay store (spec/replay.md §9); default 1. */
  nodes?: number;
}

export type Step =
  | {
      op: 'open';
      envelope: string;
      now?: number;
      aad?: string;
      binding?: string;
      /** Which node receives it (default 0). */
      node?: number;
      /** Informational: the header fields sealed into `envelope`. */
      seq?: number;
      ts?: number;
      stream?: string;
      result: Result;
      code?: string;
      comment?: string;
    }
  | { op: 'restart'; now: number; persist?: boolean; snapshot?: boolean; result: Result; code?: string; comment?: string }
  | { op: 'store.fail'; phase?: 'check' | 'commit' | 'both'; result: Result; code?: string; comment?: string }
  | { op: 'store.recover' | 'store.snapshot' | 'store.lose'; result: Result; code?: string; comment?: string }
  | ({ op: 'keyring.add'; result: Result; code?: string; comment?: string } & KeySpec)
  | { op: 'keyring.revoke' | 'keyring.remove'; kid: string; result: Result; code?: string; comment?: string }
  | { op: 'keyring.revokeIdentity'; identity: string; issuedBefore: number; result: Result; code?: string; comment?: string };

export interface TranscriptTest extends TestBase {
  reset: ResetSpec;
  steps: Step[];
}

export interface TranscriptGroup {
  type: 'Transcript';
  tests: TranscriptTest[];
}

export interface HandshakeLimits {
  maxSkewMs: number;
  maxMessageSize: number;
  window: number;
  handshakeTimeoutMs: number;
}

/** An `authenticate` hook as a table: a listed credential gives its identity, or its `code`. */
export interface HandshakeAccount {
  credential: string | null;
  identity?: string;
  roles?: string[];
  expires?: number;
  code?: string;
}

/** The server's situation beyond the hello inputs (spec/handshake.md §3–§5). */
export interface HandshakeServer {
  /** The server's own tls-exporter value; absent = the test's `exporter`, null = none. */
  exporter?: string | null;
  requireChannelBinding?: boolean;
  /** The web origin the transport reported (a browser's Origin header). */
  peerOrigin?: string;
  /** Origin allow-list. */
  origins?: string[];
  /** The authenticate hook; absent = no hook, keys from `keys` ([HS-5.1]). */
  accounts?: HandshakeAccount[];
  /** Keys in the server's key ring, with identities. */
  keys?: { publicKey: string; identity: string }[];
  /** Kids revoked in the server's key ring. */
  revoked?: string[];
}

export interface HandshakeTest extends TestBase {
  /** Which end the vector tests: the client, the server, or both (happy paths). */
  side: 'client' | 'server' | 'both';
  serverSeed: string;
  clientSeed: string;
  /** The server key the client pins (normally the public key of serverSeed). */
  serverKey: string;
  serverNonce: string;
  clientNonce: string;
  serverTime: number;
  clientTime: number;
  limits: HandshakeLimits;
  origin: string;
  exporter: string | null;
  credential: string | null;
  server: HandshakeServer;
  identity: string;
  roles: string[];
  expires: number | null;
  hello: string;
  authBody: string;
  clientAuth: string;
  welcomeBody: string;
  welcome: string;
  sessionId: string;
}

export interface HandshakeGroup {
  type: 'Handshake';
  tests: HandshakeTest[];
}

export interface ReceiptFields {
  kid: string;
  stream: string;
  next: number;
  sack: string;
  hash: string;
}

export interface ReceiptCodecTest extends TestBase, Partial<ReceiptFields> {
  payload: string;
}

export interface ReceiptCodecGroup {
  type: 'ReceiptCodec';
  tests: ReceiptCodecTest[];
}

export interface ReceiptVerifyTest extends TestBase {
  envelope: string;
  binding?: string;
  /** The auditor's check ([RCP-7.1]) against this envelope of the acknowledged sender. */
  acked?: { publicKey: string; envelope: string; binding?: string };
  /** For a valid test: the receipt, and the receipt envelope's own stream, seq and ts. */
  receipt?: ReceiptFields;
  stream?: string;
  seq?: number;
  ts?: number;
}

export interface ReceiptVerifyGroup {
  type: 'ReceiptVerify';
  /** The acknowledging side's public key. */
  publicKey: string;
  tests: ReceiptVerifyTest[];
}

/**
 * One request of a `Steps` test: `op` and its fields are sent as they are; `result`/`code` is the
 * verdict, and every member of `expect` must equal the answer's member of that name.
 */
export interface OpStep {
  op: string;
  result: Result;
  code?: string;
  comment?: string;
  expect?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface StepsTest extends TestBase {
  steps: OpStep[];
}

/** Stateful driver ops in sequence: the outbox, the acknowledging side, live sessions. */
export interface StepsGroup {
  type: 'Steps';
  tests: StepsTest[];
}

export type Group = Ed25519VerifyGroup | SealGroup | OpenGroup | TranscriptGroup | HandshakeGroup | ReceiptCodecGroup | ReceiptVerifyGroup | StepsGroup;

export interface VectorFile {
  algorithm: string;
  schema: string;
  numberOfTests: number;
  header: string[];
  notes: Record<string, Note>;
  testGroups: Group[];
}

/** Checks the rules a JSON Schema cannot state. Returns messages; empty means consistent. */
export function checkConsistency(file: VectorFile, name: string): string[] {
  const problems: string[] = [];
  const ids = new Set<number>();
  let count = 0;
  for (const g of file.testGroups) {
    for (const t of g.tests as TestBase[]) {
      count++;
      const at = `${name} tcId ${t.tcId}`;
      if (ids.has(t.tcId)) problems.push(`${at}: duplicate tcId`);
      ids.add(t.tcId);
      if ((t.result === 'invalid') !== (t.code !== undefined)) {
        problems.push(`${at}: "code" must be present exactly when result is "invalid"`);
      }
      for (const f of t.flags) if (!(f in file.notes)) problems.push(`${at}: flag ${f} has no note`);
      if (g.type === 'Transcript' || g.type === 'Steps') {
        const steps = (t as TranscriptTest | StepsTest).steps;
        const last = steps[steps.length - 1];
        if (!last) problems.push(`${at}: transcript without steps`);
        else if (last.result !== t.result || last.code !== t.code) {
          problems.push(`${at}: the test's result must be its last step's result`);
        }
        for (const s of steps) {
          if ((s.result === 'invalid') !== (s.code !== undefined)) problems.push(`${at}: step code/result mismatch`);
        }
      }
    }
  }
  if (count !== file.numberOfTests) problems.push(`${name}: numberOfTests ${file.numberOfTests} but ${count} tests`);
  return problems;
}
