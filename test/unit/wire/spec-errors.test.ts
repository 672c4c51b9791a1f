// spec/errors.md and src/errors.ts name the same codes with the same numbers, each in its range.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../../src/errors.js';

const spec = (name: string): string => readFileSync(new URL(name, new URL('../../../spec/', import.meta.url)), 'utf8');

describe('spec/errors.md lists every code exactly as src/errors.ts defines it', () => {
  const rows = new Map<string, number>();
  for (const m of spec('errors.md').matchAll(/^\| `(ERR_[A-Z0-9_]+)` \| (\d{4}) \|/gm)) rows.set(m[1]!, Number(m[2]));
  it('every code has its row with its close code', () => {
    for (const [code, num] of Object.entries(ERROR_CODES)) expect(rows.get(code), code).toBe(num);
  });
  it('every row names an existing code with its number', () => {
    for (const [code, num] of rows) expect((ERROR_CODES as Record<string, number>)[code], code).toBe(num);
  });
  // [ERR-1.1]: no number names two codes, and each code sits in the range of the section that owns it.
  it('[ERR-1.1] every close code is unique and in its documented range', () => {
    const numbers = Object.values(ERROR_CODES);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) expect(n >= 4000 && n <= 4999, String(n)).toBe(true);
    // Each "## n. Title (4001–4019)" section (or "### n.m" subsection) owns the rows below it, up to the next one.
    const text = spec('errors.md');
    const sections = [...text.matchAll(/^##(?:#)? \d+(?:\.\d+)?\.? .*\((\d{4})–(\d{4})\)$/gm)];
    expect(sections.length).toBe(8);
    const seen = new Set<string>();
    for (const [i, m] of sections.entries()) {
      const [lo, hi] = [Number(m[1]), Number(m[2])];
      // The §2 table lists the same range for the same area.
      expect(text).toMatch(new RegExp(`^\\| ${lo}–${hi} \\|`, 'm'));
      const body = text.slice(m.index, sections[i + 1]?.index ?? text.length);
      for (const row of body.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \| (\d{4}) \|/gm)) {
        const n = Number(row[2]);
        expect(n >= lo && n <= hi, `${row[1]} ${n} outside ${lo}–${hi}`).toBe(true);
        seen.add(row[1]!);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
