// Traceability: every MUST / MUST NOT requirement in spec/*.md has a vector citing its id, or an
// entry with a reason in conformance/uncovered.json; every id a vector cites exists in the spec.
// `npx tsx conformance/trace.ts` prints the table and exits non-zero on any problem.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestBase, VectorFile } from './lib/format.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SPEC_DIR = ROOT + 'spec/';
export const VECTOR_DIR = ROOT + 'conformance/vectors/';
export const UNCOVERED = ROOT + 'conformance/uncovered.json';

const ID = '(?:ENV|VER|RPL|HS|POL|RCP|ERR)-\\d+(?:\\.\\d+)*';
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
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.md')).sort()) {
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
      requirements.push({ id, file, line: i + 1, level: levelOf(text), text: text.trim() });
      const parts = id.split('.');
      for (let k = 1; k < parts.length; k++) sections.add(parts.slice(0, k).join('.'));
    }
  }
  return { requirements, sections, problems };
}

/** spec id → the vector files and tcIds citing it. */
export function readCitations(dir = VECTOR_DIR): Map<string, string[]> {
  const cited = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
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

export function readUncovered(path = UNCOVERED): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const data = JSON.parse(readFileSync(path, 'utf8')) as { ids?: Record<string, unknown> };
  return data.ids ?? {};
}

export interface TraceReport {
  problems: string[];
  must: number;
  covered: number;
  allowListed: number;
  rows: { id: string; level: Level; vectors: number; allowListed: boolean }[];
}

export function trace(specDir = SPEC_DIR, vectorDir = VECTOR_DIR, uncoveredPath = UNCOVERED): TraceReport {
  const { requirements, sections, problems } = readSpec(specDir);
  const cited = readCitations(vectorDir);
  const uncovered = readUncovered(uncoveredPath);
  const defined = new Set(requirements.map((r) => r.id));
  const exists = (id: string) => defined.has(id) || sections.has(id);
  for (const [id, where] of cited) {
    if (!exists(id)) problems.push(`${id} is cited by ${where.length} vector(s) (first: ${where[0]}) but spec/ does not define it`);
  }
  for (const [id, reason] of Object.entries(uncovered)) {
    if (typeof reason !== 'string' || reason.trim().length < 10) problems.push(`uncovered.json: ${id} needs a reason`);
    if (!defined.has(id)) problems.push(`uncovered.json: ${id} is not a requirement in spec/ (stale entry)`);
    else if (cited.has(id)) problems.push(`uncovered.json: ${id} has vectors now; remove it from the allow-list`);
  }
  const rows: TraceReport['rows'] = [];
  let must = 0;
  let covered = 0;
  let allowListed = 0;
  for (const r of requirements) {
    const n = cited.get(r.id)?.length ?? 0;
    const listed = Object.hasOwn(uncovered, r.id);
    rows.push({ id: r.id, level: r.level, vectors: n, allowListed: listed });
    if (r.level !== 'MUST') continue;
    must++;
    if (n > 0) covered++;
    else if (listed) allowListed++;
    else problems.push(`${r.id} (${r.file}:${r.line}) is a MUST with no vector and no reason in uncovered.json: "${r.text.slice(0, 100)}"`);
  }
  return { problems, must, covered, allowListed, rows };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = trace();
  const verbose = process.argv.includes('--verbose');
  if (verbose) {
    for (const r of report.rows) {
      console.log(`${r.id.padEnd(10)} ${r.level.padEnd(6)} ${r.vectors > 0 ? `${r.vectors} vector(s)` : r.allowListed ? 'allow-listed' : '-'}`);
    }
  }
  for (const p of report.problems) console.log(`PROBLEM ${p}`);
  console.log(
    `${report.must} MUST requirements: ${report.covered} covered by vectors, ${report.allowListed} allow-listed with a reason, ` +
      `${report.must - report.covered - report.allowListed} uncovered; ${report.problems.length} problem(s)`,
  );
  process.exit(report.problems.length > 0 ? 1 : 0);
}
