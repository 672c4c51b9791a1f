// Assembles one vector file: numbers tests, collects the notes of the flags used, counts tests.
import type { Group, Note, TestBase, VectorFile } from '../lib/format.js';
import { NOTES } from './notes.js';

type AnyTest = TestBase & Record<string, unknown>;

export class FileBuilder<G extends Group> {
  readonly groups: G[] = [];
  #next = 1;

  constructor(
    readonly algorithm: string,
    readonly schema: string,
    readonly header: string[],
  ) {}

  group(g: Omit<G, 'tests'>): G {
    const full = { ...g, tests: [] } as unknown as G;
    this.groups.push(full);
    return full;
  }

  /** Adds a test with the next tcId; `tcId` goes first so the JSON reads naturally. */
  add(g: G, test: Omit<G['tests'][number], 'tcId'>): void {
    const t = { tcId: this.#next++, ...test } as AnyTest;
    if (t.code === undefined) delete t.code;
    (g.tests as unknown as AnyTest[]).push(t);
  }

  build(): VectorFile {
    const used = new Set<string>();
    let n = 0;
    for (const g of this.groups) {
      for (const t of g.tests as TestBase[]) {
        n++;
        for (const f of t.flags) used.add(f);
      }
    }
    const notes: Record<string, Note> = {};
    for (const f of [...used].sort()) {
      const note = NOTES[f];
      if (!note) throw new Error(`flag ${f} has no entry in conformance/gen/notes.ts`);
      notes[f] = note;
    }
    return {
      algorithm: this.algorithm,
      schema: this.schema,
      numberOfTests: n,
      header: this.header,
      notes,
      testGroups: this.groups.filter((g) => g.tests.length > 0),
    };
  }
}
