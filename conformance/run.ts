// `npm run conformance -- --live-server URL | --live-client CMD`: the live mode (conformance/live/).
// `npm run conformance -- --driver "<command>"`: runs every vector file against any driver that
// speaks the JSON-lines protocol of conformance/README.md. Prints per-file results and closes with
// `N passed, N failed`; exits non-zero on any failure.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { liveMode } from './live/run-live.js';
import type {
  Ed25519VerifyGroup,
  HandshakeGroup,
  HandshakeTest,
  ReceiptCodecGroup,
  ReceiptVerifyGroup,
  OpenGroup,
  OpenTest,
  SealGroup,
  Step,
  TestBase,
  TranscriptGroup,
  StepsGroup,
  VectorFile,
} from './lib/format.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Answer = { [k: string]: Json };

export const DEFAULT_VECTORS = fileURLToPath(new URL('./vectors/', import.meta.url));
export const DEFAULT_DRIVER = `"${fileURLToPath(new URL('./driver', import.meta.url))}" --backend node`;
const TIMEOUT_MS = 20_000;

/** One driver process; requests are answered strictly in order. */
export class DriverProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  #dead: Error | undefined;

  constructor(command: string) {
    this.#child = spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.on('data', (d: Buffer) => process.stderr.write(`[driver] ${d.toString()}`));
    this.#child.stdin.on('error', () => undefined); // reported through 'exit'
    const rl = createInterface({ input: this.#child.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      const w = this.#waiting.shift();
      if (!w) return;
      clearTimeout(w.timer);
      try {
        const parsed = JSON.parse(line) as unknown;
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        w.resolve(parsed as Answer);
      } catch {
        w.reject(new Error(`driver answered with a line that is not a JSON object: ${line.slice(0, 200)}`));
      }
    });
    this.#child.on('exit', (code, signal) => {
      this.#dead = new Error(`driver exited (code ${code}, signal ${signal})`);
      for (const w of this.#waiting.splice(0)) {
        clearTimeout(w.timer);
        w.reject(this.#dead);
      }
    });
    this.#child.on('error', (err) => {
      this.#dead = err;
    });
  }

  get dead(): boolean {
    return this.#dead !== undefined;
  }

  request(req: Record<string, unknown>): Promise<Answer> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`driver did not answer within ${TIMEOUT_MS} ms`));
        this.close();
      }, TIMEOUT_MS);
      this.#waiting.push({ resolve, reject, timer });
      this.#child.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  close(): void {
    this.#child.stdin.end();
    if (!this.#dead) setTimeout(() => this.#child.kill(), 2_000).unref();
  }
}

const same = (a: Json | undefined, b: unknown): boolean =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

function describe(a: Answer): string {
  if (a['ok'] === true) return 'ok';
  if (typeof a['code'] === 'string') return a['code'];
  if (typeof a['error'] === 'string') return `request error "${a['error']}"`;
  return JSON.stringify(a).slice(0, 200);
}

/** Checks one answer against an expected outcome; returns a failure message or undefined. */
function outcome(a: Answer, result: string, code: string | undefined): string | undefined {
  if (result === 'valid') return a['ok'] === true ? undefined : `expected ok, got ${describe(a)}`;
  if (a['ok'] === false && a['code'] === code) return undefined;
  return `expected ${code}, got ${describe(a)}`;
}

function fields(a: Answer, want: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(want)) {
    if (v === undefined) continue;
    if (!same(a[k], v)) return `field ${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(a[k] ?? null)}`;
  }
  return undefined;
}

function pick<T extends object>(o: T, keys: (keyof T)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k as string] = o[k];
  return out;
}

/** Every member of `want` equals the answer's, compared as JSON (hex in either case). */
function fieldsJson(a: Answer, want: Record<string, unknown>): string | undefined {
  const norm = (v: unknown): string => JSON.stringify(v ?? null).toLowerCase();
  for (const [k, v] of Object.entries(want)) {
    if (norm(a[k]) !== norm(v)) return `field ${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(a[k] ?? null)}`;
  }
  return undefined;
}

type Check = (d: DriverProcess) => Promise<string | undefined>;

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A handshake vector: the client answers the hello (and the Welcome), the server answers the
 * ClientAuth, each with exact bytes; the tested side's verdict is the vector's.
 */
async function checkHandshake(d: DriverProcess, t: HandshakeTest): Promise<string | undefined> {
  if (t.side !== 'server') {
    const a = await d.request({
      op: 'handshake.client',
      clientSeed: t.clientSeed,
      clientNonce: t.clientNonce,
      clientTime: t.clientTime,
      serverKey: t.serverKey,
      origin: t.origin,
      exporter: t.exporter,
      credential: t.credential,
      hello: t.hello,
      welcome: t.welcome,
    });
    const bad = outcome(a, t.result, t.code);
    if (bad) return `client: ${bad}`;
    if (a['clientAuth'] !== undefined && !same(a['clientAuth'], t.clientAuth)) {
      return `client: clientAuth: expected ${t.clientAuth.slice(0, 64)}…, got ${String(a['clientAuth']).slice(0, 64)}…`;
    }
    if (t.result === 'valid') {
      if (a['clientAuth'] === undefined) return 'client: no clientAuth in the answer';
      const f = fields(a, { sessionId: t.sessionId, identity: t.identity, expires: t.expires });
      if (f) return `client: ${f}`;
      if (!sameJson(a['roles'], t.roles)) return `client: roles: expected ${JSON.stringify(t.roles)}, got ${JSON.stringify(a['roles'] ?? null)}`;
    }
  }
  if (t.side !== 'client') {
    const s = t.server;
    const a = await d.request({
      op: 'handshake.server',
      serverSeed: t.serverSeed,
      serverNonce: t.serverNonce,
      serverTime: t.serverTime,
      limits: t.limits,
      exporter: s.exporter !== undefined ? s.exporter : t.exporter,
      ...pick(s, ['requireChannelBinding', 'peerOrigin', 'origins', 'accounts', 'keys', 'revoked']),
      clientAuth: t.clientAuth,
    });
    if (a['hello'] !== undefined && !same(a['hello'], t.hello)) return `server: hello: expected ${t.hello.slice(0, 64)}…, got ${String(a['hello']).slice(0, 64)}…`;
    const bad = outcome(a, t.result, t.code);
    if (bad) return `server: ${bad}`;
    if (t.result === 'valid') {
      if (a['hello'] === undefined) return 'server: no hello in the answer';
      const f = fields(a, { welcome: t.welcome, sessionId: t.sessionId, identity: t.identity });
      if (f) return `server: ${f}`;
      if (!sameJson(a['roles'], t.roles)) return `server: roles: expected ${JSON.stringify(t.roles)}, got ${JSON.stringify(a['roles'] ?? null)}`;
    }
  }
  return undefined;
}

// A test's check, given its group: one entry per group type.
const by = <G extends { tests: readonly unknown[] }>(f: (g: G, t: G['tests'][number]) => Check) => f as (g: unknown, t: unknown) => Check;
const CHECKS: Record<string, (g: unknown, t: unknown) => Check> = {
  Ed25519Verify: by((g: Ed25519VerifyGroup, t: Ed25519VerifyGroup['tests'][number]): Check => async (d) =>
    outcome(await d.request({ op: 'ed25519.verify', publicKey: g.publicKey, message: t.msg, signature: t.sig }), t.result, t.code)),
  EnvelopeSeal: by((g: SealGroup, t: SealGroup['tests'][number]): Check => async (d) => {
    const req = { op: 'seal', secretKey: g.secretKey, ...pick(t, ['seq', 'ts', 'stream', 'payload', 'aad', 'binding', 'contentType', 'alg']) };
    const sealed = await d.request(req);
    if (typeof sealed['envelope'] !== 'string') return `seal: expected an envelope, got ${describe(sealed)}`;
    const bad = fields(sealed, { envelope: t.envelope, externalAad: t.externalAad });
    if (bad) return `seal: ${bad}`;
    const opened = await d.request({ op: 'open', publicKey: g.publicKey, envelope: t.envelope, ...pick(t, ['aad', 'binding']) });
    const o = outcome(opened, 'valid', undefined);
    if (o) return `open: ${o}`;
    const f = fields(opened, { payload: t.payload, seq: t.seq, ts: t.ts, stream: t.stream, kid: g.kid, contentType: t.contentType ?? 42 });
    return f ? `open: ${f}` : undefined;
  }),
  EnvelopeOpen: by((g: OpenGroup, t: OpenGroup['tests'][number]): Check => async (d) => {
    const a = await d.request({
      op: 'open',
      publicKey: g.publicKey,
      ...(g.kid !== undefined ? { kid: g.kid } : {}),
      envelope: t.envelope,
      ...pick(t, ['aad', 'binding', 'maxEnvelopeSize']),
    });
    return outcome(a, t.result, t.code) ?? (t.result === 'valid' ? fields(a, pick(t, ['payload', 'seq', 'ts', 'stream', 'kid', 'contentType'] as (keyof OpenTest)[])) : undefined);
  }),
  Transcript: by((_g: TranscriptGroup, t: TranscriptGroup['tests'][number]): Check => async (d) => {
    const r = await d.request({ op: 'reset', ...t.reset });
    if (r['ok'] !== true) return `reset: ${describe(r)}`;
    for (const [i, step] of t.steps.entries()) {
      const { result, code, comment: _c, ...req } = step as Step & { comment?: string };
      // seq/ts/stream on open steps are informational.
      if (req.op === 'open') {
        delete (req as { seq?: number }).seq;
        delete (req as { ts?: number }).ts;
        delete (req as { stream?: string }).stream;
      }
      const bad = outcome(await d.request(req), result, code);
      if (bad) return `step ${i + 1} (${step.op}${step.comment ? `: ${step.comment}` : ''}): ${bad}`;
    }
    return undefined;
  }),
  Handshake: by((_g: HandshakeGroup, t: HandshakeGroup['tests'][number]): Check => (d) => checkHandshake(d, t)),
  ReceiptCodec: by((_g: ReceiptCodecGroup, t: ReceiptCodecGroup['tests'][number]): Check => async (d) => {
    const want = pick(t, ['kid', 'stream', 'next', 'sack', 'hash']);
    if (t.result === 'valid') {
      const e = await d.request({ op: 'receipt.encode', ...want });
      const bad = outcome(e, 'valid', undefined) ?? fields(e, { payload: t.payload });
      if (bad) return `encode: ${bad}`;
    }
    const a = await d.request({ op: 'receipt.decode', payload: t.payload });
    const bad = outcome(a, t.result, t.code) ?? (t.result === 'valid' ? fields(a, want) : undefined);
    return bad ? `decode: ${bad}` : undefined;
  }),
  ReceiptVerify: by((g: ReceiptVerifyGroup, t: ReceiptVerifyGroup['tests'][number]): Check => async (d) => {
    const a = await d.request({ op: 'receipt.verify', publicKey: g.publicKey, ...pick(t, ['envelope', 'binding', 'acked']) });
    const bad = outcome(a, t.result, t.code);
    if (bad || t.result !== 'valid') return bad;
    const r = a['receipt'];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'no receipt in the answer';
    return fields(r, { ...t.receipt }) ?? fields(a, { stream: t.stream, seq: t.seq, ts: t.ts });
  }),
  Steps: by((_g: StepsGroup, t: StepsGroup['tests'][number]): Check => async (d) => {
    for (const [i, step] of t.steps.entries()) {
      const { result, code, comment, expect, ...req } = step;
      const a = await d.request(req);
      const bad = outcome(a, result, code) ?? (expect === undefined ? undefined : fieldsJson(a, expect));
      if (bad) return `step ${i + 1} (${step.op}${comment ? `: ${comment}` : ''}): ${bad}`;
    }
    return undefined;
  }),
};

function checksFor(file: VectorFile): { test: TestBase; check: Check }[] {
  const out: { test: TestBase; check: Check }[] = [];
  for (const group of file.testGroups) {
    const checkOf = CHECKS[group.type];
    if (checkOf === undefined) {
      out.push({
        test: { tcId: 0, comment: '', flags: [], specRefs: [], result: 'valid' },
        check: async () => `unknown group type ${(group as { type: string }).type}`,
      });
      continue;
    }
    for (const t of (group as { tests: TestBase[] }).tests) out.push({ test: t, check: checkOf(group, t) });
  }
  return out;
}

export interface FileReport {
  file: string;
  passed: number;
  failed: number;
  failures: string[];
}

export interface RunOptions {
  driver: string;
  dir?: string;
  /** Only files whose name contains one of these. */
  only?: string[];
  log?: (line: string) => void;
}

export function vectorFiles(dir = DEFAULT_VECTORS): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/** Runs the vectors against one driver process, started again only if it dies. */
export async function runConformance(opts: RunOptions): Promise<{ passed: number; failed: number; files: FileReport[] }> {
  const dir = opts.dir ?? DEFAULT_VECTORS;
  const log = opts.log ?? ((l: string) => console.log(l));
  const reports: FileReport[] = [];
  let driver: DriverProcess | undefined;
  for (const name of vectorFiles(dir)) {
    if (opts.only && !opts.only.some((o) => name.includes(o))) continue;
    const file = JSON.parse(readFileSync(dir + '/' + name, 'utf8')) as VectorFile;
    const report: FileReport = { file: name, passed: 0, failed: 0, failures: [] };
    for (const { test, check } of checksFor(file)) {
      let problem: string | undefined;
      if (driver === undefined || driver.dead) driver = new DriverProcess(opts.driver);
      try {
        problem = await check(driver);
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (problem === undefined) report.passed++;
      else {
        report.failed++;
        report.failures.push(`tcId ${test.tcId} (${test.comment}) [${test.specRefs.join(' ')}]: ${problem}`);
      }
    }
    reports.push(report);
    log(`${report.failed === 0 ? 'PASS' : 'FAIL'} ${name}: ${report.passed} passed, ${report.failed} failed`);
    for (const f of report.failures.slice(0, 20)) log(`  ${f}`);
    if (report.failures.length > 20) log(`  … and ${report.failures.length - 20} more`);
  }
  driver?.close();
  const passed = reports.reduce((n, r) => n + r.passed, 0);
  const failed = reports.reduce((n, r) => n + r.failed, 0);
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed, files: reports };
}

function parseArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { driver: DEFAULT_DRIVER };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--driver') opts.driver = value();
    else if (a === '--vectors') opts.dir = value();
    else if (a === '--only') (opts.only ??= []).push(value());
    else throw new Error(`unknown argument ${a}\nusage: run.ts [--driver "<command>"] [--vectors dir] [--only name]...`);
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let opts: RunOptions;
  let live: ReturnType<typeof liveMode>;
  try {
    live = liveMode(process.argv.slice(2));
    opts = parseArgs(live ? [] : process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  (live ? live() : runConformance(opts)).then(
    ({ failed, passed }) => process.exit(failed > 0 || passed === 0 ? 1 : 0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
