// The CLI's words, in process: help on every command (exit 0, with the file formats and an
// example), a key pair given where a keys file belongs answered with the keys line to write
// (which then works), and file problems as one plain line, never a stack.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { fromHex, importSigningKey, seal } from '../../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sealwire-cli-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('sealwire help', () => {
  it.each([
    [['keygen', '--help'], 'usage: sealwire keygen'],
    [['keygen', '-h'], 'usage: sealwire keygen'],
    [['help', 'keygen'], 'usage: sealwire keygen'],
    [['verify', '--help'], 'usage: sealwire verify'],
    [['help', 'verify'], 'usage: sealwire verify'],
    [['--help'], 'usage:\n'],
    [['help'], 'usage:\n'],
  ])('%j exits 0 with its usage', async (argv, first) => {
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.startsWith(first)).toBe(true);
  });

  it("each command's help shows its file formats and an example run", async () => {
    const keygen = (await cli('keygen', '--help')).out;
    expect(keygen).toContain('"secretKey"');
    expect(keygen).toMatch(/example:\n {2}\$ sealwire keygen --out alice\.json/);
    const verify = (await cli('verify', '--help')).out;
    expect(verify).toContain('{"alice": ');
    expect(verify).toMatch(/example evidence\.txt[^\n]*\n(?: {2}[^\n]+\n)+example:\n {2}\$ sealwire verify --keys keys\.json evidence\.txt/);
  });

  it('no command is a usage error (exit 2); a bad option shows the help of its command', async () => {
    expect((await cli()).code).toBe(2);
    const r = await cli('verify', '--nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage: sealwire verify');
  });
});

describe('key files', () => {
  it('a key pair given as --keys names the file and the keys line to write, and that line verifies', async () => {
    const pair = join(dir, 'alice.json');
    expect((await cli('keygen', '--out', pair)).code).toBe(0);
    const secretKey = (JSON.parse(readFileSync(pair, 'utf8')) as { secretKey: string }).secretKey;
    const envelope = seal(importSigningKey(fromHex(secretKey)), new TextEncoder().encode('hi'), { stream: new Uint8Array(16), seq: 0 });
    const evidence = join(dir, 'evidence.txt');
    writeFileSync(evidence, Buffer.from(envelope).toString('hex') + '\n');

    const wrong = await cli('verify', '--keys', pair, evidence);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain(`${pair} is a key pair from \`sealwire keygen\``);
    const line = /write e\.g\. (\{[^}]+\}) to keys\.json/.exec(wrong.err)?.[1];
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toHaveProperty('alice');

    const keys = join(dir, 'keys.json');
    writeFileSync(keys, line!);
    const right = await cli('verify', '--keys', keys, evidence);
    expect(right.err).toBe('');
    expect(right.out).toContain('line 1: ok envelope from=alice');
    expect(right.code).toBe(0);
  });

  it('keygen over an existing file, and a missing file, are one plain line each, exit 2', async () => {
    const pair = join(dir, 'taken.json');
    writeFileSync(pair, '{}');
    const taken = await cli('keygen', '--out', pair);
    expect(taken.code).toBe(2);
    expect(taken.err.split('\n')[0]).toBe(`sealwire: ${pair} exists: keygen never overwrites a key file; choose another --out`);
    expect(taken.err).not.toMatch(/EEXIST|\n\s+at /);

    const missing = await cli('verify', '--keys', join(dir, 'nope.json'), '-');
    expect(missing).toEqual({ code: 2, out: '', err: `sealwire: ${join(dir, 'nope.json')}: no such file or directory\n` });
    const noDir = await cli('keygen', '--out', join(dir, 'no', 'such', 'dir.json'));
    expect(noDir.err).toBe(`sealwire: ${join(dir, 'no', 'such', 'dir.json')}: no such file or directory\n`);
  });
});
