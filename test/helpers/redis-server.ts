// A throwaway redis-server on 127.0.0.1 (no persistence), for the Redis store's tests and bench.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** Whether redis-server is installed (.ci/run installs it). */
export function redisAvailable(): boolean {
  return existsSync(REDIS_SERVER);
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Starts redis-server on a free port (or `onPort`, to restart one empty where it was) and resolves
 * once it accepts connections. `stop` resolves once it exited; `signal` pauses (SIGSTOP) or resumes it.
 */
export async function startRedis(onPort?: number): Promise<{ port: number; stop(): Promise<void>; signal(s: NodeJS.Signals): void }> {
  const port = onPort ?? (await freePort());
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    stop: () => {
      child.kill('SIGKILL');
      return exited;
    },
    signal: (sig) => void child.kill(sig),
  };
}

/**
 * One redis-server for a test file: started before its tests and stopped after them, with every
 * client passed to `track` disconnected first. Without redis-server the tests skip (`available`),
 * except under CI, which installs it.
 */
export function redisForFile(): { readonly available: boolean; readonly port: number; track<T extends { disconnect(): void }>(client: T): T } {
  const available = redisAvailable();
  if (!available && process.env['CI']) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs it`);
  let server: { stop(): unknown } | undefined;
  let port = 0;
  const clients: { disconnect(): void }[] = [];
  beforeAll(async () => {
    if (!available) return;
    const started = await startRedis();
    server = started;
    port = started.port;
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
    server?.stop();
  });
  return {
    available,
    get port() {
      return port;
    },
    track(client) {
      clients.push(client);
      return client;
    },
  };
}
