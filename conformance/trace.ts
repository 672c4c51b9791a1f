// Traceability: every interoperability MUST / MUST NOT in spec/*.md has a vector citing its id or a
// live check (conformance/live/) naming it; an implementation requirement (tagged `(implementation)`
// in spec/, spec/README.md says why) is listed in conformance/implementation-requirements.json with
// the test files that check it (each must exist and name the id). conformance/extra-tests.json may
// only add named tests to a rule that has vectors ("withVectors"). Every id a vector cites exists in
// the spec. `npx tsx conformance/trace.ts` prints the table and exits non-zero on any problem.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestBase, VectorFile } from './lib/format.js';
import { registryCodes, registryProblems, specCodes } from './gen/senders.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SPEC_DIR = ROOT + 'spec/';
export const VECTOR_DIR = ROOT + 'conformance/vectors/';
export const UNCOVERED = ROOT + 'conformance/extra-tests.json';
export const LIVE_DIR = ROOT + 'conformance/live/';
export const IMPLEMENTATION = ROOT + 'conformance/implementation-requirements.json';
/** The tag that opens an implementation requirement's text in spec/ (spec/README.md). */
const IMPLEMENTATION_TAG = /^\(implementation\)\s/;

const ID = '(?:ENV|VER|RPL|HS|POL|RCP|ERR|ROOM|NODE|E2E)-\\d+(?:\\.\\d+)*';
// A requirement is defined where its id opens a list item or a paragraph: "- [ENV-5.3] ...".
const DEFINITION = new RegExp(`^\\s*(?:[-*+]\\s+|\\d+[.)]\\s+)\\[(${ID})\\]`);
// Or opens a paragraph (previous line blank); an id at the start of a wrapped line is a citation.
const PARAGRAPH_DEFINITION = new RegExp(`^\\[(${ID})\\]`);
const HEADING_ID = new RegExp(`^#+ .*\\[(${ID})\\]`);
const ITEM_START = /^\s*(?:[-*+]\s+|\d+[.)]\s+|#)/;

export type Level = 'MUST' | 'SHOULD' | 'MAY' | 'NONE';

export interface Requirement {
  id: string;
  file: string;
  line: number;
  level: Level;
  text: string;
  /** Tagged `(implementation)`: binds a component of an implementation, not what two exchange. */
  implementation: boolean;
}

function levelOf(text: string): Level {
  if (/\b(MUST|SHALL|REQUIRED)\b/.test(text)) return 'MUST';
  if (/\b(SHOULD|RECOMMENDED)\b/.test(text)) return 'SHOULD';
  if (/\b(MAY|OPTIONAL)\b/.test(text)) return 'MAY';
  return 'NONE';
}

/** Requirements defined in spec/*.md, and the section ids (e.g. HS-4) citations may also name. */
export function readSpec(dir = SPEC_DIR): { requirements: Requirement[]; sections: Set<string>; problems: string[] } {
  const requirements: Requirement[] = [];
  const sections = new Set<string>();
  const problems: string[] = [];
  if (!existsSync(dir)) return { requirements, sections, problems };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    const lines = readFileSync(dir + file, 'utf8').split('\n');
    let inFence = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (/^\s*```/.test(line)) inFence = !inFence;
      if (inFence) continue;
      const h = HEADING_ID.exec(line);
      if (h) sections.add(h[1]!);
      const m = DEFINITION.exec(line) ?? (i === 0 || lines[i - 1]!.trim() === '' ? PARAGRAPH_DEFINITION.exec(line) : null);
      if (!m || h) continue;
      // The requirement's text runs until the next list item, heading or blank line.
      let text = line.slice(m.index + m[0].length);
      for (let j = i + 1; j < lines.length; j++) {
        const next = lines[j]!;
        if (next.trim() === '' || ITEM_START.test(next)) break;
        text += ' ' + next.trim();
      }
      const id = m[1]!;
      if (requirements.some((r) => r.id === id)) problems.push(`${file}:${i + 1}: ${id} is defined twice`);
      text = text.trim();
      requirements.push({ id, file, line: i + 1, level: levelOf(text), text, implementation: IMPLEMENTATION_TAG.test(text) });
      const parts = id.split('.');
      for (let k = 1; k < parts.length; k++) sections.add(parts.slice(0, k).join('.'));
    }
  }
  return { requirements, sections, problems };
}

/** spec id → the vector files and tcIds citing it. */
export function readCitations(dir = VECTOR_DIR): Map<string, string[]> {
  const cited = new Map<string, string[]>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const v = JSON.parse(readFileSync(dir + file, 'utf8')) as VectorFile;
    for (const g of v.testGroups) {
      for (const t of g.tests as TestBase[]) {
        for (const id of t.specRefs) {
          const list = cited.get(id) ?? [];
          list.push(`${file}#${t.tcId}`);
          cited.set(id, list);
        }
      }
    }
  }
  return cited;
}

/**
 * spec id → the live checks naming it: each check in conformance/live/ declares `covers: [ids]`
 * next to its `name` (read as text, so tracing never opens a socket).
 */
export function readLiveCovers(dir = LIVE_DIR): Map<string, string[]> {
  const covers = new Map<string, string[]>();
  if (!existsSync(dir)) return covers;
  const CHECK = /name:\s*(['"`])(.*?)\1,\s*covers:\s*\[([^\]]*)\]/gs;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    for (const m of readFileSync(dir + file, 'utf8').matchAll(CHECK)) {
      for (const id of m[3]!.match(new RegExp(ID, 'g')) ?? []) covers.set(id, [...(covers.get(id) ?? []), `${file}: ${m[2]}`]);
    }
  }
  return covers;
}

/**
 * An allow-list entry: why no vector can test the rule, and either the test files that do (`tests`,
 * paths from the repository root) or `untested: true` (no automated test checks it yet).
 */
export interface Uncovered {
  reason: string;
  tests?: string[];
  untested?: true;
  /**
   * The rule has vectors too; `tests` add what no driver op expresses (real sockets, HTTP at the
   * upgrade, wall-clock bounds), and `reason` says what.
   */
  withVectors?: true;
}

export function readUncovered(path = UNCOVERED): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const data = JSON.parse(readFileSync(path, 'utf8')) as { ids?: Record<string, unknown> };
  return data.ids ?? {};
}

/**
 * Problems of one allow-list entry: its shape, and whether each named test file exists and names
 * the id. `file` names the list in messages; implementation-requirements.json takes only {reason, tests}.
 */
export function checkEntry(id: string, entry: unknown, root = ROOT, file = 'extra-tests.json'): string[] {
  const problems: string[] = [];
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return [`${file}: ${id} must be {reason, tests} or {reason, untested: true}`];
  const e = entry as Record<string, unknown>;
  const members = file === 'extra-tests.json' ? ['reason', 'tests', 'untested', 'withVectors'] : ['reason', 'tests'];
  for (const k of Object.keys(e)) if (!members.includes(k)) problems.push(`${file}: ${id} has an unknown member "${k}"`);
  if (typeof e['reason'] !== 'string' || e['reason'].trim().length < 10) problems.push(`${file}: ${id} needs a reason`);
  const tests = e['tests'];
  if (e['untested'] !== undefined) {
    if (e['untested'] !== true) problems.push(`${file}: ${id}: "untested" can only be true`);
    if (tests !== undefined) problems.push(`${file}: ${id} names tests and says untested`);
    if (e['withVectors'] !== undefined) problems.push(`${file}: ${id} says untested and withVectors`);
    return problems;
  }
  if (e['withVectors'] !== undefined && e['withVectors'] !== true) problems.push(`${file}: ${id}: "withVectors" can only be true`);
  if (!Array.isArray(tests) || tests.length === 0 || !tests.every((t) => typeof t === 'string')) {
    problems.push(`${file}: ${id} needs "tests" (the test files that check it) or "untested": true`);
    return problems;
  }
  const mention = new RegExp(`(?<![\\w.-])${id.replace(/\./g, '\\.')}(?![\\w.]*\\d)`);
  for (const t of tests as string[]) {
    if (!existsSync(root + t)) problems.push(`${file}: ${id} names ${t}, which does not exist`);
    else if (!mention.test(readFileSync(root + t, 'utf8'))) problems.push(`${file}: ${id} names ${t}, which does not mention ${id}`);
  }
  return problems;
}

export interface TraceReport {
  problems: string[];
  must: number;
  covered: number;
  /** MUSTs without vectors that a live check (conformance/live/) names. */
  byLive: number;
  /** Implementation requirements (tagged in spec/), each checked by the named tests of implementation-requirements.json. */
  byTests: number;
  /** MUSTs without vectors that no automated test checks yet (`untested: true`); always a problem now. */
  untested: number;
  rows: { id: string; level: Level; vectors: number; live: number; tests: string[]; untested: boolean; implementation: boolean }[];
}

/**
 * Optional rules that name a verdict or an error code, with why no implementation's choice can
 * change a verdict. Any other MAY or SHOULD that does is a spec bug: the lint below fails on it.
 */
const OPTIONAL_OUTSIDE_VERDICTS: Record<string, string> = {
  'ENV-4.12': 'what a sender emits; every receiver accepts both values ([ENV-4.2])',
  'ENV-7.7': "an operator's rotation practice; verdicts follow the keys' validity as configured",
  'ENV-9.4': 'advice to later versions of the format, not a rule of v1',
  'POL-2.5': "the application's own hook: its answer is an input of the verdict, like the keys it trusts",
};

/**
 * The spec lint ([issue: one verdict everywhere]): no vector may depend on a MAY or SHOULD, and an
 * optional rule that speaks of accepting, refusing or a code must be one whose choice changes no
 * verdict, listed above with the reason.
 */
export function lintOptional(requirements: Requirement[], cited: Map<string, string[]>): string[] {
  const problems: string[] = [];
  const byId = new Map(requirements.map((r) => [r.id, r] as const));
  for (const [id, where] of cited) {
    const r = byId.get(id);
    if (r !== undefined && (r.level === 'MAY' || r.level === 'SHOULD')) {
      problems.push(`${id} is a ${r.level} but ${where.length} vector(s) depend on it (first: ${where[0]}): an optional rule must not decide a verdict`);
    }
  }
  for (const r of requirements) {
    if (r.level !== 'MAY' && r.level !== 'SHOULD') continue;
    if (!/\bERR_[A-Z0-9_]+\b|\b(reject|refuse|accept)/i.test(r.text) || Object.hasOwn(OPTIONAL_OUTSIDE_VERDICTS, r.id)) continue;
    problems.push(
      `${r.id} (${r.file}:${r.line}) is a ${r.level} that speaks of a verdict; make it a MUST, or say why no choice changes a verdict in trace.ts: "${r.text.slice(0, 100)}"`,
    );
  }
  return problems;
}

/**
 * Every integer the CDDL admits is bounded, as the prose bounds it: a bare `uint`, `int` or `nint`
 * would let one decoder read 2^64 − 1 where another reads a double. Bound it (`.le N`, a range,
 * or a named bounded type such as `ms`, `u32`, `u53`).
 */
export function lintCddl(dir = SPEC_DIR): string[] {
  const problems: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    const text = readFileSync(dir + file, 'utf8');
    for (const block of text.matchAll(/```cddl\n([\s\S]*?)```/g)) {
      const start = text.slice(0, block.index).split('\n').length + 1;
      block[1]!.split('\n').forEach((line, i) => {
        const code = line.split(';')[0]!;
        // A definition of a bounded name (`ms = uint .le …`) is how bounds are made.
        if (/\b(uint|int|nint)\b(?!\s*\.(le|lt|size)\b)/.test(code)) {
          problems.push(`${file}:${start + i} has an unbounded integer in CDDL: "${line.trim().slice(0, 100)}"`);
        }
      });
    }
  }
  return problems;
}

/**
 * [ERR-1.1]: spec/errors.md against the frozen registry (vectors/error_codes.json): no registered
 * code leaves the table or changes number, no number names two codes, every code is registered.
 */
export function lintRegistry(specDir = SPEC_DIR, vectorDir = VECTOR_DIR): string[] {
  if (!existsSync(specDir + 'errors.md') || !existsSync(vectorDir + 'error_codes.json')) return [];
  const spec = specCodes(readFileSync(specDir + 'errors.md', 'utf8'));
  const frozen = registryCodes(JSON.parse(readFileSync(vectorDir + 'error_codes.json', 'utf8')) as VectorFile);
  const problems = registryProblems(spec, frozen);
  for (const [code] of spec) if (!frozen.has(code)) problems.push(`${code} is in spec/errors.md but not in vectors/error_codes.json: run the generator`);
  return problems;
}

export function trace(
  specDir = SPEC_DIR,
  vectorDir = VECTOR_DIR,
  uncoveredPath = UNCOVERED,
  liveDir: string | null = specDir === SPEC_DIR ? LIVE_DIR : null,
  implementationPath: string | null = specDir === SPEC_DIR ? IMPLEMENTATION : null,
): TraceReport {
  const { requirements, sections, problems } = readSpec(specDir);
  const cited = readCitations(vectorDir);
  // A spec other than ours (a test's copy) gets no live checks unless it names a folder of them.
  const live = liveDir === null ? new Map<string, string[]>() : readLiveCovers(liveDir);
  const uncovered = readUncovered(uncoveredPath);
  const implementation = implementationPath === null ? {} : readUncovered(implementationPath);
  const defined = new Set(requirements.map((r) => r.id));
  const byId = new Map(requirements.map((r) => [r.id, r] as const));
  const exists = (id: string) => defined.has(id) || sections.has(id);
  for (const [id, where] of cited) {
    if (!exists(id)) problems.push(`${id} is cited by ${where.length} vector(s) (first: ${where[0]}) but spec/ does not define it`);
  }
  for (const [id, where] of live) {
    if (!exists(id)) problems.push(`${id} is named by live check ${where[0]} but spec/ does not define it`);
  }
  for (const [id, entry] of Object.entries(uncovered)) {
    problems.push(...checkEntry(id, entry));
    if (live.has(id)) problems.push(`extra-tests.json: ${id} is covered by a live check now (${live.get(id)![0]}); remove it from the allow-list`);
    if (!defined.has(id)) problems.push(`extra-tests.json: ${id} is not a requirement in spec/ (stale entry)`);
    else if (cited.has(id) && (entry as Partial<Uncovered> | null)?.withVectors !== true) {
      problems.push(`extra-tests.json: ${id} has vectors now; remove it from the allow-list, or mark it "withVectors" if its tests add transport coverage`);
    } else if (!cited.has(id) && (entry as Partial<Uncovered> | null)?.withVectors === true) {
      problems.push(`extra-tests.json: ${id} says withVectors but no vector cites it`);
    } else if (!cited.has(id)) {
      // Issue 16: a rule another implementation cannot be checked against is not covered.
      problems.push(
        `extra-tests.json: ${id} has no vector; give it one or a live check, or, if it binds a component no wire or driver op shows, tag it (implementation) in spec/ and list it in implementation-requirements.json`,
      );
    }
  }
  for (const [id, entry] of Object.entries(implementation)) {
    problems.push(...checkEntry(id, entry, ROOT, 'implementation-requirements.json'));
    const r = byId.get(id);
    if (r === undefined) problems.push(`implementation-requirements.json: ${id} is not a requirement in spec/ (stale entry)`);
    else if (!r.implementation) problems.push(`implementation-requirements.json: ${id} is not tagged (implementation) in ${r.file}:${r.line}`);
    if (Object.hasOwn(uncovered, id)) problems.push(`implementation-requirements.json: ${id} is in extra-tests.json too`);
    if (cited.has(id) || live.has(id))
      problems.push(`implementation-requirements.json: ${id} has a vector or a live check: it is an interoperability rule, drop its (implementation) tag`);
  }
  for (const r of requirements) {
    if (r.implementation && implementationPath !== null && !Object.hasOwn(implementation, r.id)) {
      problems.push(`${r.id} (${r.file}:${r.line}) is tagged (implementation) but implementation-requirements.json does not list it with its tests`);
    }
  }
  problems.push(...lintOptional(requirements, cited), ...lintCddl(specDir), ...lintRegistry(specDir, vectorDir));
  const rows: TraceReport['rows'] = [];
  let must = 0;
  let covered = 0;
  let byLive = 0;
  let byTests = 0;
  let untested = 0;
  for (const r of requirements) {
    const n = cited.get(r.id)?.length ?? 0;
    const l = live.get(r.id)?.length ?? 0;
    const impl = (Object.hasOwn(implementation, r.id) ? implementation[r.id] : undefined) as Partial<Uncovered> | undefined;
    const entry = (Object.hasOwn(uncovered, r.id) ? uncovered[r.id] : impl) as Partial<Uncovered> | undefined;
    const tests = Array.isArray(entry?.tests) ? entry.tests : [];
    rows.push({ id: r.id, level: r.level, vectors: n, live: l, tests, untested: entry?.untested === true, implementation: r.implementation });
    if (r.level !== 'MUST') continue;
    must++;
    if (n > 0) covered++;
    else if (l > 0) byLive++;
    else if (r.implementation && impl !== undefined && tests.length > 0) byTests++;
    else if (entry?.untested === true) untested++;
    // A tagged id without its entry is reported above.
    else if (entry === undefined && !(r.implementation && implementationPath !== null))
      problems.push(`${r.id} (${r.file}:${r.line}) is a MUST with no vector and no live check: "${r.text.slice(0, 100)}"`);
  }
  return { problems, must, covered, byLive, byTests, untested, rows };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = trace();
  const verbose = process.argv.includes('--verbose');
  if (verbose) {
    for (const r of report.rows) {
      const liveNote = r.live > 0 ? `; ${r.live} live check(s)` : '';
      const how =
        r.vectors > 0
          ? `${r.vectors} vector(s)${r.tests.length > 0 ? `; also tests: ${r.tests.join(', ')}` : ''}${liveNote}`
          : r.live > 0
            ? `${r.live} live check(s)`
            : r.tests.length > 0
              ? `${r.implementation ? 'implementation requirement, ' : ''}tests: ${r.tests.join(', ')}`
              : r.untested
                ? 'UNTESTED (allow-listed)'
                : '-';
      console.log(`${r.id.padEnd(10)} ${r.level.padEnd(6)} ${how}`);
    }
  }
  for (const p of report.problems) console.log(`PROBLEM ${p}`);
  const untested = report.rows.filter((r) => r.level === 'MUST' && r.vectors === 0 && r.untested).map((r) => r.id);
  if (untested.length > 0) console.log(`untested: ${untested.join(' ')}`);
  console.log(
    `${report.must} MUST requirements: ${report.covered} covered by vectors, ${report.byLive} by live checks, ${report.byTests} implementation requirements by named tests, ` +
      `${report.untested} allow-listed without a test, ${report.must - report.covered - report.byLive - report.byTests - report.untested} uncovered; ` +
      `${report.problems.length} problem(s)`,
  );
  process.exit(report.problems.length > 0 ? 1 : 0);
}
