// The sealing side (spec/replay.md §8) and the frozen error-code registry (spec/errors.md [ERR-1.1])
// as Steps vectors. Sender envelopes are rebuilt with the reference signer (gen/envelope.ts): the
// bytes pin the seq each seal must carry. The registry is read from spec/errors.md and from the
// committed error_codes.json: a code the committed file holds may never change its number or leave.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpStep, StepsGroup, StepsTest, VectorFile } from '../lib/format.js';
import { FileBuilder } from './build.js';
import { Signer } from './envelope.js';
import { enc, hex, seed } from './ref.js';
import { refs, type RefName } from './refs.js';

type B = FileBuilder<StepsGroup>;
const SCHEMA = 'steps_schema.json';
const ERRORS_MD = fileURLToPath(new URL('../../spec/errors.md', import.meta.url));
const REGISTRY = fileURLToPath(new URL('../vectors/error_codes.json', import.meta.url));
const MAX = Number.MAX_SAFE_INTEGER; // 2^53 − 1

const ok = (s: Omit<OpStep, 'result'>): OpStep => ({ ...s, result: 'valid' }) as OpStep;

function add(b: B, g: StepsGroup, comment: string, flags: string[], r: RefName[], steps: OpStep[]): void {
  const last = steps[steps.length - 1]!;
  b.add(g, { comment, flags, specRefs: refs(...r), steps, result: last.result, ...(last.code !== undefined ? { code: last.code } : {}) });
}

export function senders(): VectorFile {
  const b: B = new FileBuilder<StepsGroup>('sealwire-sender-v1', SCHEMA, [
    'The sealing side of one stream (spec/replay.md §8). sender.reset starts a sender on `stream`',
    'with the key of `secretKey`, continuing at `seq` (default 0) and, with `blockSize` K, reserving',
    'sequence numbers in blocks before using them ([RPL-8.3]): the driver keeps the bound the sender',
    'stored durably, reports it as `stored` after each seal, and sender.restart rebuilds the sender',
    'from it. sender.seal seals `payload` stamped `ts` with the next number: `seq` and the exact',
    '`envelope` bytes (Ed25519 is deterministic) must match; after 2^53 − 1 it is ERR_SEQ_EXHAUSTED.',
  ]);
  const g = b.group({ type: 'Steps' });
  const signer = new Signer(seed('sender vectors key'));
  const stream = seed('sender vectors stream').subarray(0, 16);
  const TS = 1_700_000_000_000;
  const reset = (o: { seq?: number; blockSize?: number } = {}): OpStep =>
    ok({ op: 'sender.reset', secretKey: hex(signer.secretKey), stream: hex(stream), ...o });
  const sealed = (seq: number, stored?: number | null): OpStep => {
    const payload = enc.encode(`message ${seq}`);
    const envelope = signer.seal({ seq, ts: TS + (seq % 1000), stream }, payload).envelope;
    return ok({
      op: 'sender.seal',
      payload: hex(payload),
      ts: TS + (seq % 1000),
      expect: { seq, envelope: hex(envelope), ...(stored !== undefined ? { stored } : {}) },
    });
  };
  const exhausted = (): OpStep => ({ op: 'sender.seal', payload: hex(enc.encode('one too many')), ts: TS, result: 'invalid', code: 'ERR_SEQ_EXHAUSTED' });
  const restart = (next: number): OpStep => ok({ op: 'sender.restart', expect: { next } });

  add(b, g, 'a new stream numbers from 0 and increases by one per seal', ['Sender'], ['rplSenderSeq'], [reset(), sealed(0), sealed(1), sealed(2), sealed(3)]);
  add(b, g, 'a continued stream numbers from the given seq', ['Sender'], ['rplSenderSeq'], [reset({ seq: 41 }), sealed(41), sealed(42)]);
  add(
    b,
    g,
    'reservation: the bound R + K is stored before the first number of each block is used',
    ['Sender'],
    ['rplReserve', 'rplSenderSeq'],
    [reset({ blockSize: 3 }), sealed(0, 3), sealed(1, 3), sealed(2, 3), sealed(3, 6)],
  );
  add(
    b,
    g,
    'reservation: after a restart the stream continues at the stored bound, skipping the unused numbers',
    ['Sender'],
    ['rplReserve', 'rplSenderSeq'],
    [reset({ blockSize: 4 }), sealed(0, 4), sealed(1, 4), restart(4), sealed(4, 8), restart(8), restart(8), sealed(8, 12)],
  );
  add(
    b,
    g,
    'reservation: a restart before any seal starts at 0 and reserves again',
    ['Sender'],
    ['rplReserve'],
    [reset({ blockSize: 10 }), restart(0), sealed(0, 10)],
  );
  add(
    b,
    g,
    'reservation with K = 1: every number is stored before use',
    ['Sender', 'Boundary'],
    ['rplReserve'],
    [reset({ blockSize: 1 }), sealed(0, 1), sealed(1, 2), restart(2), sealed(2, 3)],
  );
  add(
    b,
    g,
    '2^53 − 1 is the last number: the next seal is ERR_SEQ_EXHAUSTED',
    ['Sender', 'Boundary'],
    ['rplSeqExhausted'],
    [reset({ seq: MAX - 1 }), sealed(MAX - 1), sealed(MAX), exhausted()],
  );
  add(b, g, 'an exhausted stream stays exhausted', ['Sender', 'Boundary'], ['rplSeqExhausted'], [reset({ seq: MAX }), sealed(MAX), exhausted(), exhausted()]);
  add(
    b,
    g,
    'reservation near the end: the bound stops at 2^53, and the stream ends at 2^53 − 1',
    ['Sender', 'Boundary'],
    ['rplSeqExhausted', 'rplReserve'],
    [reset({ seq: MAX - 1, blockSize: 8 }), sealed(MAX - 1, MAX + 1), sealed(MAX, MAX + 1), exhausted()],
  );
  return b.build();
}

/** `| \`ERR_X\` | 4001 |` rows of spec/errors.md, in order. */
export function specCodes(text = readFileSync(ERRORS_MD, 'utf8')): [string, number][] {
  return [...text.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \| (\d{4}) \|/gm)].map((m) => [m[1]!, Number(m[2])]);
}

/** code → close code as a registry file (error_codes.json) states them. */
export function registryCodes(file: VectorFile): Map<string, number> {
  const out = new Map<string, number>();
  for (const g of file.testGroups) {
    for (const t of g.tests as StepsTest[]) {
      for (const s of t.steps) if (s.op === 'error.close') out.set(String(s['name']), Number(s.expect?.['closeCode']));
    }
  }
  return out;
}

/**
 * Problems of the spec's table against a frozen registry ([ERR-1.1]): a registered code that left
 * the table or changed number, a number that names two codes, a table code not yet registered.
 */
export function registryProblems(spec: [string, number][], frozen: Map<string, number>): string[] {
  const problems: string[] = [];
  const table = new Map(spec);
  for (const [code, n] of frozen) {
    if (!table.has(code)) problems.push(`[ERR-1.1] ${code} (${n}) is registered but spec/errors.md no longer lists it: a published code stays`);
    else if (table.get(code) !== n)
      problems.push(`[ERR-1.1] ${code} is registered as ${n} but spec/errors.md gives ${table.get(code)}: a code never changes number`);
  }
  const byNumber = new Map<number, string>();
  for (const [code, n] of [...frozen, ...spec]) {
    const other = byNumber.get(n);
    if (other !== undefined && other !== code) problems.push(`[ERR-1.1] ${n} names both ${other} and ${code}: a number is never reused`);
    byNumber.set(n, code);
  }
  return problems;
}

export function errorCodes(): VectorFile {
  const spec = specCodes();
  const frozen = existsSync(REGISTRY) ? registryCodes(JSON.parse(readFileSync(REGISTRY, 'utf8')) as VectorFile) : new Map<string, number>();
  const problems = registryProblems(spec, frozen);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const b: B = new FileBuilder<StepsGroup>('sealwire-errors-v1', SCHEMA, [
    'The published error codes and their close codes (spec/errors.md), frozen ([ERR-1.1]): the',
    'generator refuses a spec whose table changes the number of a code this file holds, drops one,',
    'or gives one number to two codes, and conformance/trace.ts checks the spec against this file.',
    'New codes are appended with the next tcId. error.close asks an implementation the close code',
    'it gives a code ([ERR-1.5]); every code here must be known, with exactly this number.',
  ]);
  const g = b.group({ type: 'Steps' });
  // Registered codes first, in their registered order, then codes new in the spec.
  const order = [...frozen.keys(), ...spec.map(([c]) => c).filter((c) => !frozen.has(c))];
  const table = new Map(spec);
  for (const code of order) {
    add(
      b,
      g,
      `${code} is ${table.get(code)!}`,
      ['ErrorRegistry'],
      ['errFrozen', 'errCloseCode'],
      [ok({ op: 'error.close', name: code, expect: { closeCode: table.get(code)! } })],
    );
  }
  return b.build();
}
