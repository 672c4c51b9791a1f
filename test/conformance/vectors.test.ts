// The vector files themselves: schema-valid, internally consistent, byte-identical on regeneration,
// and traceable to the spec (every MUST has a vector or a stated reason; every cited id exists).
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATORS, outputs } from '../../conformance/gen.js';
import { checkConsistency, type VectorFile } from '../../conformance/lib/format.js';
import { validate } from '../../conformance/lib/schema.js';
import { checkEntry, lintCddl, trace } from '../../conformance/trace.js';

const DIR = fileURLToPath(new URL('../../conformance/', import.meta.url));
const vectorNames = readdirSync(DIR + 'vectors')
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as VectorFile;

describe('vector files', () => {
  it('every committed vector file has a generator, and every generator a committed file', () => {
    expect(vectorNames).toEqual(Object.keys(GENERATORS).sort());
  });

  for (const name of vectorNames) {
    it(`${name} validates against its schema and is consistent`, () => {
      const file = load(DIR + 'vectors/' + name);
      const schema = JSON.parse(readFileSync(DIR + 'schemas/' + file.schema, 'utf8')) as Record<string, unknown>;
      expect(validate(file, schema)).toEqual([]);
      expect(checkConsistency(file, name)).toEqual([]);
    });
  }

  it('regenerating changes no byte (vectors and schemas)', () => {
    for (const [path, text] of outputs()) {
      expect(readFileSync(path, 'utf8') === text, `${path} differs from what conformance:gen writes`).toBe(true);
    }
  }, 60_000);
});

describe('schema validator', () => {
  const schema = JSON.parse(readFileSync(DIR + 'schemas/envelope_open_schema.json', 'utf8')) as Record<string, unknown>;
  const good = load(DIR + 'vectors/envelope_header.json');
  const mutate = (f: (v: any) => void) => {
    const v = structuredClone(good) as any;
    f(v);
    return validate(v, schema);
  };
  it('rejects unknown properties, wrong types, bad hex, a missing field and a bad result', () => {
    expect(mutate((v) => (v.extra = 1))).not.toEqual([]);
    expect(mutate((v) => (v.testGroups[0].tests[0].surprise = true))).not.toEqual([]);
    expect(mutate((v) => (v.testGroups[0].tests[0].tcId = '1'))).not.toEqual([]);
    expect(mutate((v) => (v.testGroups[0].tests[0].envelope = 'D2'))).not.toEqual([]);
    expect(mutate((v) => delete v.testGroups[0].tests[0].specRefs)).not.toEqual([]);
    expect(mutate((v) => (v.testGroups[0].tests[0].result = 'acceptable'))).not.toEqual([]);
    expect(mutate((v) => (v.testGroups[0].tests[0].specRefs = ['nonsense']))).not.toEqual([]);
    expect(mutate((v) => (v.notes.Foo = { bugType: 'X', description: 'y' }))).not.toEqual([]);
  });
  it('refuses a schema keyword it does not implement', () => {
    expect(() => validate({}, { type: 'object', patternProperties: {} })).toThrow(/not supported/);
  });
  it('consistency check catches a code on a valid test and a duplicate tcId', () => {
    const v = structuredClone(good);
    (v.testGroups[0]!.tests[0] as { code?: string }).code = 'ERR_X';
    v.testGroups[0]!.tests[1]!.tcId = v.testGroups[0]!.tests[2]!.tcId;
    expect(checkConsistency(v, 'x').length).toBeGreaterThanOrEqual(2);
  });
});

describe('traceability', () => {
  it('every MUST in spec/ has a vector or a reason; every cited id exists', () => {
    const report = trace();
    expect(report.problems).toEqual([]);
  });

  it('the check fails on an uncovered MUST, an unknown cited id and an allow-listed id without reason', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sealwire-trace-'));
    mkdirSync(join(tmp, 'spec'));
    mkdirSync(join(tmp, 'vectors'));
    writeFileSync(
      join(tmp, 'spec', 'x.md'),
      '# X\n\n- [ENV-1.1] Decoders MUST reject it.\n- [ENV-1.2] Senders SHOULD do it.\n- [ENV-1.3] Receivers MUST NOT\n  accept that.\n- [ENV-1.4] Encoders MUST do this.\n',
    );
    const file = {
      algorithm: 'x',
      schema: 'x',
      numberOfTests: 1,
      header: [],
      notes: {},
      testGroups: [{ type: 'Transcript', tests: [{ tcId: 1, comment: '', flags: [], specRefs: ['ENV-1.1', 'ENV-9.9'], result: 'valid' }] }],
    };
    writeFileSync(join(tmp, 'vectors', 'v.json'), JSON.stringify(file));
    writeFileSync(join(tmp, 'extra-tests.json'), JSON.stringify({ ids: { 'ENV-1.4': { reason: '' } } }));
    const report = trace(join(tmp, 'spec') + '/', join(tmp, 'vectors') + '/', join(tmp, 'extra-tests.json'));
    expect(report.must).toBe(3);
    expect(report.problems.some((p) => p.startsWith('ENV-1.3'))).toBe(true); // multi-line MUST NOT, no vector
    expect(report.problems.some((p) => p.includes('ENV-9.9'))).toBe(true);
    expect(report.problems.some((p) => p.includes('ENV-1.4 needs a reason'))).toBe(true);
    expect(report.problems.some((p) => p.startsWith('ENV-1.2'))).toBe(false); // SHOULD: not required
  });

  it('the spec lint fails on a vector that depends on a MAY or SHOULD, and on an optional rule that decides a verdict', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sealwire-lint-'));
    mkdirSync(join(tmp, 'spec'));
    mkdirSync(join(tmp, 'vectors'));
    writeFileSync(
      join(tmp, 'spec', 'x.md'),
      '# X\n\n- [ENV-1.1] Decoders MUST reject it.\n- [ENV-1.2] A receiver MAY forget the state early.\n- [ENV-1.3] A receiver MAY refuse it with `ERR_STALE`.\n- [ENV-1.4] Senders SHOULD pad.\n',
    );
    const file = {
      algorithm: 'x',
      schema: 'x',
      numberOfTests: 1,
      header: [],
      notes: {},
      testGroups: [{ type: 'Transcript', tests: [{ tcId: 1, comment: '', flags: [], specRefs: ['ENV-1.1', 'ENV-1.2'], result: 'valid' }] }],
    };
    writeFileSync(join(tmp, 'vectors', 'v.json'), JSON.stringify(file));
    writeFileSync(join(tmp, 'extra-tests.json'), JSON.stringify({ ids: {} }));
    const report = trace(join(tmp, 'spec') + '/', join(tmp, 'vectors') + '/', join(tmp, 'extra-tests.json'));
    expect(report.problems.filter((p) => p.startsWith('ENV-1.2 is a MAY but 1 vector(s) depend on it'))).toHaveLength(1);
    expect(report.problems.filter((p) => p.startsWith('ENV-1.3') && p.includes('speaks of a verdict'))).toHaveLength(1);
    expect(report.problems.some((p) => p.startsWith('ENV-1.4'))).toBe(false); // optional, and about no verdict
  });

  it('the spec lint fails on an integer the CDDL leaves unbounded', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sealwire-cddl-'));
    mkdirSync(join(tmp, 'spec'));
    writeFileSync(
      join(tmp, 'spec', 'x.md'),
      '# X\n\n```cddl\nA = [count: uint, ts: ms]   ; uint in a comment is fine\nms = uint .le 9007199254740991\nB = [n: 1..1024]\n```\n',
    );
    const problems = lintCddl(join(tmp, 'spec') + '/');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^x\.md:4 has an unbounded integer in CDDL: "A = \[count: uint/);
  });

  it('an allow-listed id must name existing test files that mention it, or say it is untested', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sealwire-trace-'));
    mkdirSync(join(tmp, 'test'));
    writeFileSync(join(tmp, 'test', 'a.test.ts'), "it('closes the session [HS-6.6]', () => {})\n// HS-6.10 and HS-6.12 only\n");
    const root = tmp + '/';
    const reason = 'a live-transport property, not a verdict on bytes';
    expect(checkEntry('HS-6.6', { reason, tests: ['test/a.test.ts'] }, root)).toEqual([]);
    expect(checkEntry('HS-6.1', { reason, tests: ['test/a.test.ts'] }, root)).toEqual([
      'extra-tests.json: HS-6.1 names test/a.test.ts, which does not mention HS-6.1',
    ]);
    expect(checkEntry('HS-6.6', { reason, tests: ['test/gone.test.ts'] }, root)[0]).toContain('does not exist');
    expect(checkEntry('HS-6.6', { reason, tests: [] }, root)[0]).toContain('needs "tests"');
    expect(checkEntry('HS-6.6', reason, root)[0]).toContain('must be {reason, tests}');
    expect(checkEntry('HS-6.6', { reason, untested: true }, root)).toEqual([]);
    expect(checkEntry('HS-6.6', { reason, untested: true, tests: ['test/a.test.ts'] }, root)).toEqual(['extra-tests.json: HS-6.6 names tests and says untested']);
    expect(checkEntry('HS-6.6', { reason, tests: ['test/a.test.ts'], withVectors: true }, root)).toEqual([]);
    expect(checkEntry('HS-6.6', { reason, untested: true, withVectors: true }, root)).toContain('extra-tests.json: HS-6.6 says untested and withVectors');
  });

  it('an entry for an id with vectors must say withVectors, and withVectors needs a vector', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sealwire-trace-'));
    for (const d of ['spec', 'vectors', 'test']) mkdirSync(join(tmp, d));
    writeFileSync(join(tmp, 'spec', 'x.md'), '# X\n\n- [ENV-1.1] Decoders MUST reject it.\n- [ENV-1.2] Encoders MUST do this.\n');
    const file = {
      algorithm: 'x',
      schema: 'x',
      numberOfTests: 1,
      header: [],
      notes: {},
      testGroups: [{ type: 'Transcript', tests: [{ tcId: 1, comment: '', flags: [], specRefs: ['ENV-1.1'], result: 'valid' }] }],
    };
    writeFileSync(join(tmp, 'vectors', 'v.json'), JSON.stringify(file));
    const run = (ids: Record<string, unknown>) => {
      writeFileSync(join(tmp, 'extra-tests.json'), JSON.stringify({ ids }));
      return trace(join(tmp, 'spec') + '/', join(tmp, 'vectors') + '/', join(tmp, 'extra-tests.json')).problems;
    };
    const reason = 'real sockets add the HTTP status at the upgrade';
    // Named test files are resolved from the repository root: cite one that mentions both ids.
    const tests = ['test/conformance/vectors.test.ts'];
    expect(run({ 'ENV-1.1': { reason, tests }, 'ENV-1.2': { reason, tests } }).some((p) => p.includes('ENV-1.1 has vectors now'))).toBe(true);
    expect(run({ 'ENV-1.1': { reason, tests, withVectors: true } }).filter((p) => !p.startsWith('ENV-1.2'))).toEqual([]);
    expect(run({ 'ENV-1.1': { reason, tests, withVectors: true }, 'ENV-1.2': { reason, tests, withVectors: true } })).toEqual([
      'extra-tests.json: ENV-1.2 says withVectors but no vector cites it',
    ]);
    // Issue 16: named tests alone no longer cover a MUST another implementation cannot be checked on.
    expect(run({ 'ENV-1.1': { reason, tests, withVectors: true }, 'ENV-1.2': { reason, tests } })).toEqual([
      'extra-tests.json: ENV-1.2 has no vector; give it one or a live check, or, if it binds a component no wire or driver op shows, tag it (implementation) in spec/ and list it in implementation-requirements.json',
    ]);
    expect(
      run({ 'ENV-1.2': { reason: 'not observable yet, no test either', untested: true } }).some((p) => p.startsWith('extra-tests.json: ENV-1.2 has no vector')),
    ).toBe(true);
  });

  it('implementation requirements: tagged in spec/, listed with their tests, never also covered by a vector', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sealwire-trace-'));
    for (const d of ['spec', 'vectors']) mkdirSync(join(tmp, d));
    writeFileSync(
      join(tmp, 'spec', 'x.md'),
      '# X\n\n- [ENV-1.1] Decoders MUST reject it.\n- [ENV-1.2] (implementation) A node MUST keep it.\n- [ENV-1.3] Encoders MUST do this.\n',
    );
    const cites = (ids: string[]) => ({
      algorithm: 'x',
      schema: 'x',
      numberOfTests: 1,
      header: [],
      notes: {},
      testGroups: [{ type: 'Transcript', tests: [{ tcId: 1, comment: '', flags: [], specRefs: ids, result: 'valid' }] }],
    });
    writeFileSync(join(tmp, 'extra-tests.json'), JSON.stringify({ ids: {} }));
    const reason = 'a store shared by the server processes only';
    const tests = ['test/conformance/vectors.test.ts'];
    const run = (impl: Record<string, unknown>, cited = ['ENV-1.1', 'ENV-1.3']) => {
      writeFileSync(join(tmp, 'vectors', 'v.json'), JSON.stringify(cites(cited)));
      writeFileSync(join(tmp, 'impl.json'), JSON.stringify({ ids: impl }));
      return trace(join(tmp, 'spec') + '/', join(tmp, 'vectors') + '/', join(tmp, 'extra-tests.json'), null, join(tmp, 'impl.json'));
    };
    const good = run({ 'ENV-1.2': { reason, tests } });
    expect(good.problems).toEqual([]);
    expect([good.must, good.covered, good.byTests]).toEqual([3, 2, 1]);
    expect(run({}).problems).toEqual(['ENV-1.2 (x.md:4) is tagged (implementation) but implementation-requirements.json does not list it with its tests']);
    expect(run({ 'ENV-1.2': { reason, tests }, 'ENV-1.3': { reason, tests } }, ['ENV-1.1']).problems).toEqual([
      'implementation-requirements.json: ENV-1.3 is not tagged (implementation) in x.md:5',
    ]);
    expect(run({ 'ENV-1.2': { reason, tests } }, ['ENV-1.1', 'ENV-1.2', 'ENV-1.3']).problems).toEqual([
      'implementation-requirements.json: ENV-1.2 has a vector or a live check: it is an interoperability rule, drop its (implementation) tag',
    ]);
    expect(run({ 'ENV-1.2': { reason, untested: true } }).problems).toContain('implementation-requirements.json: ENV-1.2 has an unknown member "untested"');
  });
});
