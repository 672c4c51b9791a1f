// A throwaway Redis Cluster of three masters on 127.0.0.1 (no replicas, no persistence), made with
// Debian's redis-server and redis-cli, for the tests of what sealwire keeps in Redis on a Cluster.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_SERVER } from './redis-server.js';

const REDIS_CLI = '/usr/bin/redis-cli';

export function redisClusterAvailable(): boolean {
  return existsSync(REDIS_SERVER) && existsSync(REDIS_CLI);
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10,000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    if (port + 10_000 <= 65_535 && (await listens(port + 10_000))) return port;
  }
}

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
}

/** Starts three masters and joins them into one cluster; resolves once every slot is served. */
export async function startRedisCluster(): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sealwire-cluster-'));
  const ports = [await clusterPort(), await clusterPort(), await clusterPort()];
  const children = ports.map((port) =>
    spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise<void>((r) => (c.once('exit', () => r()), c.kill('SIGKILL'))))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(children.map(started));
    const made = spawnSync(REDIS_CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (made.status !== 0) throw new Error(`redis-cli --cluster create failed: ${made.stdout}${made.stderr}`);
    const end = Date.now() + 20_000;
    for (;;) {
      const states = ports.map((p) => spawnSync(REDIS_CLI, ['-p', String(p), 'CLUSTER', 'INFO'], { encoding: 'utf8' }).stdout);
      if (states.every((s) => s.includes('cluster_state:ok'))) break;
      if (Date.now() > end) throw new Error('the cluster did not come up');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, stop };
}
