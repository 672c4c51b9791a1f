// examples/ws-minimal.ts, the smallest complete server and client, which the README links to. (The
// README's own server code is the ten-minute walkthrough, run by readme.test.ts.)
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

  it('is linked from the README and stays under 30 lines', () => {
    expect(readFileSync(`${root}/README.md`, 'utf8')).toContain('[examples/ws-minimal.ts](examples/ws-minimal.ts)');
    expect(readFileSync(`${root}/examples/ws-minimal.ts`, 'utf8').trimEnd().split('\n').length).toBeLessThan(30);
  });
});
