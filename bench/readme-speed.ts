// README's Speed section: a few ratios a user cares about, read from the Targets table of
// bench/RESULTS.md, so the two files never disagree and RESULTS.md keeps every row, goal and the
// method. `npm run bench` calls this after writing RESULTS.md; `tsx bench/readme-speed.ts` redoes it.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const START = '<!-- speed:start (written by npm run bench) -->';
const END = '<!-- speed:end -->';

/** Rows shown in the README: the RESULTS.md target they come from (its start), and what it means to a user. */
const ROWS: readonly { readonly target: string; readonly label: string }[] = [
  { target: 'open() / bare crypto.verify (node backend)', label: '`open()` (decode, header, key, freshness, signature) / the bare Ed25519 verify inside it' },
  {
    target: 'Receiver.openSync (replay guard on) / bare crypto.verify, node backend',
    label: '`Receiver.openSync`, the same plus the replay window / the bare verify',
  },
  { target: 'open() with sodium / bare crypto.verify', label: '`open()` on libsodium (optional `sodium-native`) / the bare node:crypto verify' },
  { target: 'pool / one thread, raw verify, node backend, 2 workers', label: '`VerifyPool` of 2 workers / one thread' },
  {
    target: 'sealwire over uWS / bare crypto.verify ceiling of the cores used, sodium backend, no pool: nominal 1 core',
    label: 'signed messages received over uWS on one core (libsodium) / bare node:crypto verifies on that core',
  },
  { target: 'new-key import / one verification (sodium backend)', label: 'importing a new key / one verification (a cost: lower is better)' },
];

/** `measured` of each Targets row of RESULTS.md, by its `target` text (notes in parentheses included). */
function targetsOf(results: string): { target: string; measured: string }[] {
  const section = results.split('\n## Targets\n')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| target') && !l.startsWith('| ---'))
    .map((l) => l.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '')))
    .map((cells) => ({ target: cells[0]!, measured: cells[3]! }));
}

/** The README block for RESULTS.md's text; throws when a row it needs is missing there. */
export function speedBlock(results: string): string {
  const targets = targetsOf(results);
  const date = /^- Date: (\d{4}-\d{2}-\d{2})/m.exec(results)?.[1] ?? 'unknown date';
  const machine = /^- Machine: ([^,]+), (\d+) cores/m.exec(results);
  const rows = ROWS.map(({ target, label }) => {
    const found = targets.find((t) => t.target === target || t.target.startsWith(`${target} (`));
    if (found === undefined) throw new Error(`bench/RESULTS.md has no target "${target}"`);
    return `| ${label} | ${found.measured} |`;
  });
  return [
    START,
    `Ratios from one run of \`npm run bench\` on ${date} (${machine ? `${machine[1]}, ${machine[2]} shared cores` : 'unknown machine'}); every figure, the goals and the method are in [bench/RESULTS.md](bench/RESULTS.md).`,
    '',
    '| ratio | measured |',
    '| --- | --- |',
    ...rows,
    END,
  ].join('\n');
}

/** Rewrites README's Speed section from bench/RESULTS.md. */
export function updateReadmeSpeed(): void {
  const readme = new URL('../README.md', import.meta.url);
  const current = readFileSync(readme, 'utf8');
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  if (a === -1 || b < a) {
    process.stderr.write('[bench] README.md has no speed markers; not updated\n');
    return;
  }
  const block = speedBlock(readFileSync(new URL('./RESULTS.md', import.meta.url), 'utf8'));
  writeFileSync(readme, current.slice(0, a) + block + current.slice(b + END.length));
  process.stderr.write('[bench] updated the Speed section of README.md\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) updateReadmeSpeed();
