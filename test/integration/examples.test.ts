// Every runnable example under examples/ runs as written and prints what it promises: the JWT
// login, the uWebSockets.js server, and replay state shared in Redis (against a redis-server
// started here on 127.0.0.1). examples/ws-minimal.ts has its own test (ws-example.test.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis } from '../helpers/redis-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(file: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 30_000, env: { ...process.env, ...env } }, (_err, stdout, stderr) =>
      resolve({ stdout, stderr, code: child.exitCode }),
    );
  });
}

describe('examples', () => {
  it('jwt-login.ts: a key-bound JWT from your login, checked in the handshake', async () => {
    const r = await run('examples/jwt-login.ts');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('alice (user) in lobby: signed, and logged in with a key-bound token\n');
    expect(r.code).toBe(0);
  });

  it('uws-minimal.ts: the same server on uWebSockets.js', async () => {
    const r = await run('examples/uws-minimal.ts');
    expect(r.stdout).toBe('alice in lobby over uWebSockets.js: hello from uWS\n');
    expect(r.code).toBe(0);
  });

  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const f of cleanup) await f();
  });

  // CI installs redis-server (.ci/run); elsewhere a machine without it skips this one.
  it.skipIf(!redisAvailable() && !process.env['CI'])('redis-replay.ts: two nodes on one Redis store, the second refuses the replay', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const r = await run('examples/redis-replay.ts', { REDIS_PORT: String(redis.port) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('node A accepted: pay bob 5 (from alice)\nnode B refused the same envelope: ERR_REPLAY\n');
    expect(r.code).toBe(0);
  });
});
