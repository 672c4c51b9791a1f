// The README's ws example is examples/ws-minimal.ts with package imports; both must stay correct.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('examples/ws-minimal.ts', () => {
  it('runs: a real server and client exchange a signed message, then the process exits', async () => {
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', 'examples/ws-minimal.ts'], { cwd: root, timeout: 20_000 }, (_err, stdout) =>
        resolve({ stdout, code: child.exitCode }),
      );
    });
    expect(stdout).toBe('alice in lobby: hello, signed world\n');
    expect(code).toBe(0);
  });

  it('is the README section verbatim, with package imports, in under 30 lines', () => {
    const example = readFileSync(`${root}/examples/ws-minimal.ts`, 'utf8');
    const readme = readFileSync(`${root}/README.md`, 'utf8');
    const published = example.replace("'../src/index.js'", "'sealwire'").replace("'../src/adapters/ws/index.js'", "'sealwire/ws'");
    expect(readme).toContain('```ts\n' + published + '```');
    expect(published.trimEnd().split('\n').length).toBeLessThan(30);
  });
});
