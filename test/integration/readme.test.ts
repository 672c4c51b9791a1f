// Every TypeScript block in README.md runs as written (package imports mapped to src/), so an
// example that throws fails the build. The ten-minute walkthrough's blocks are one program, run
// whole, its port 8080 replaced by a free one on 127.0.0.1. Elsewhere a block that continues an
// earlier one gets that one first; one that names your own objects (an http server, your keys)
// gets them from a short setup, shown here; Redis comes from a redis-server started on 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis } from '../helpers/redis-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = join(root, 'test-artifacts', 'readme');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const tsBlocks = (text: string): string[] => [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const WALKTHROUGH = '## Add sealwire to an existing ws server in ten minutes\n';
const walkthroughText = readme.split(WALKTHROUGH)[1]?.split(/\n## /)[0] ?? '';
const walkthrough = tsBlocks(walkthroughText);
const blocks = tsBlocks(readme.replace(walkthroughText, ''));

/** The walkthrough as one program: it listens on a free loopback port and its clients dial that. */
function walkthroughProgram(): string {
  const code = walkthrough.join('\n');
  const listen = 'http.listen(8080);';
  const url = "'ws://localhost:8080/sealwire'";
  if (!code.includes(listen) || !code.includes(url)) throw new Error(`the walkthrough no longer has ${listen} and ${url}`);
  return code
    .replace(listen, "await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));")
    .replace(url, '`ws://127.0.0.1:${(http.address() as { port: number }).port}/sealwire`');
}

const SUBPATHS: Record<string, string> = {
  sealwire: 'src/index.ts',
  'sealwire/redis': 'src/replay/redis.ts',
  'sealwire/socket.io': 'src/adapters/socket.io/index.ts',
  'sealwire/jwt': 'src/session/jwt.ts',
  'sealwire/ws': 'src/adapters/ws/index.ts',
  'sealwire/room-log': 'src/rooms/file-log.ts',
  'sealwire/e2ee': 'src/e2ee/index.ts',
};
const mapImports = (code: string): string =>
  code.replace(/from '(sealwire(?:\/[a-z.-]+)?)'/g, (_m, spec: string) => `from ${JSON.stringify(join(root, SUBPATHS[spec] ?? `unknown:${spec}`))}`);

/** What each block needs around it, found by its first line. */
function program(block: string): { code: string; needsRedis: boolean } {
  const envelopes = blocks.find((b) => b.includes('const envelope = seal('))!;
  if (block.includes("from 'sealwire/socket.io'")) {
    const setup = [
      "import { createServer } from 'node:http';",
      "import { generateKeyPair as joseKeyPair } from 'jose';",
      "import { generateKeyPair as edKeyPair, importSigningKey as importKey } from 'sealwire';",
      'const httpServer = createServer();',
      'const key = importKey(edKeyPair().secretKey);',
      "const issuerKey = (await joseKeyPair('EdDSA', { crv: 'Ed25519' })).publicKey;",
      "const issuer = 'https://auth.example';",
    ].join('\n');
    return { code: `${setup}\n${block}\nio.close();\n`, needsRedis: false };
  }
  if (block.includes('shareRevocations(')) {
    const setup = 'const serverKey = importSigningKey(generateKeyPair().secretKey);';
    const end = 'await revocations.close();\nserver.close();\nsubscriber.disconnect();\nredis.disconnect();\n';
    return { code: `${envelopes}\n${setup}\n${block}\n${end}`, needsRedis: true };
  }
  if (block.includes('shareLimits(')) {
    const setup = 'const serverKey = importSigningKey(generateKeyPair().secretKey);';
    return { code: `${envelopes}\n${setup}\n${block}\nlimits.close();\nserver.close();\nredis.disconnect();\n`, needsRedis: true };
  }
  if (block.includes('shareResume(')) {
    const setup = 'const serverKey = importSigningKey(generateKeyPair().secretKey);';
    return { code: `${envelopes}\n${setup}\n${block}\nserver.close();\nredis.disconnect();\n`, needsRedis: true };
  }
  if (block.includes('shareRooms(')) {
    const setup = 'const serverKey = importSigningKey(generateKeyPair().secretKey);';
    const end = 'for (const n of nodes) n.close();\nfor (const r of readers) r.disconnect();\nredis.disconnect();\n';
    return { code: `${envelopes}\n${setup}\n${block}\n${end}`, needsRedis: true };
  }
  if (block.includes("from 'sealwire/redis'")) {
    return { code: `${envelopes}\nimport { Receiver } from 'sealwire';\n${block}\nredis.disconnect();\n`, needsRedis: true };
  }
  if (block.includes('new Receiver(') && !block.includes('const envelope = seal(')) return { code: `${envelopes}\n${block}`, needsRedis: false };
  return { code: block, needsRedis: false };
}

function run(file: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 30_000, env: { ...process.env, ...env } }, (_e, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

const cleanup: (() => void)[] = [];
afterAll(() => {
  for (const f of cleanup) f();
});

describe('README.md code blocks', () => {
  it('has the blocks this test knows how to set up', () => {
    expect(walkthrough.length).toBeGreaterThanOrEqual(5);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  it('the ten-minute walkthrough runs as one program and prints what its comments say', async () => {
    mkdirSync(work, { recursive: true });
    const file = join(work, 'walkthrough.ts');
    writeFileSync(file, mapImports(walkthroughProgram()));
    const r = await run(file, {});
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^alice in lobby: hi bob\nreconnecting in \d+ ms…\nreconnected\n$/);
    expect(r.code).toBe(0);
  }, 40_000);

  blocks.forEach((block, i) => {
    const { code, needsRedis } = program(block);
    const skip = needsRedis && !redisAvailable() && !process.env['CI'];
    it.skipIf(skip)(
      `block ${i + 1} (${block.split('\n')[0]}) runs`,
      async () => {
        let env: Record<string, string> = {};
        if (needsRedis) {
          const redis = await startRedis();
          cleanup.push(() => redis.stop());
          env = { REDIS_URL: `redis://127.0.0.1:${redis.port}` };
        }
        mkdirSync(work, { recursive: true });
        const file = join(work, `block-${i + 1}.ts`);
        writeFileSync(file, mapImports(code));
        const r = await run(file, env);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      },
      40_000,
    );
  });
});
