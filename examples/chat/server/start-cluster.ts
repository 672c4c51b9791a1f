// `npm run start:cluster`: the chat as three nodes on this machine sharing one Redis. Starts a
// redis-server of its own (Debian's: apt-get install -y redis-server) on 127.0.0.1 without
// persistence, then nodes a, b and c on ports 8443, 8453 and 8463 (or --port N, N+10, N+20), the
// first with the bots. Open any node's page: it says which node it is on; stop that node (Ctrl-C
// in its line below, or kill its pid) and the page continues on another and recovers what it
// missed. Flags: --port N, --redis-port N (default 6390), --plain (HTTP + WS on loopback).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REDIS_SERVER = '/usr/bin/redis-server';
const { values } = parseArgs({
  options: { port: { type: 'string', default: '8443' }, 'redis-port': { type: 'string', default: '6390' }, plain: { type: 'boolean', default: false } },
});
const say = (line: string): void => void process.stderr.write(`${line}\n`);
const base = Number(values.port);
const redisPort = Number(values['redis-port']);
if (!Number.isInteger(base) || base < 1 || base > 65515 || !Number.isInteger(redisPort) || redisPort < 1 || redisPort > 65535) {
  say('--port and --redis-port expected port numbers');
  process.exit(2);
}
if (!existsSync(REDIS_SERVER)) {
  say(`sealwire chat cluster: ${REDIS_SERVER} not found. Install it (apt-get install -y redis-server), or use npm start for one process.`);
  process.exit(1);
}

const children: ChildProcess[] = [];
let stopping = false;
function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on('SIGINT', () => stop());
process.on('SIGTERM', () => stop());

/** Starts a process and resolves once a line of its output says it is ready. */
function start(name: string, command: string, args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.on('exit', (code) => {
    say(`  [${name}] stopped (${code ?? 'signal'})`);
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const watch = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes(ready)) resolve(child);
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', (d: Buffer) => {
      watch(d);
      for (const line of d.toString().split('\n')) if (line.trim() !== '') say(`  [${name}] ${line}`);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready: ${seen.slice(-400)}`)));
  });
}

const nodes = ['a', 'b', 'c'].map((name, i) => ({ name, port: base + 10 * i }));
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
try {
  await start('redis', REDIS_SERVER, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], 'Ready to accept connections');
  // One node first: it creates the keys and certificate the others then share.
  for (const [i, n] of nodes.entries()) {
    const flags = ['--port', String(n.port), '--node', n.name, '--nodes', nodes.map((x) => `${x.name}:${x.port}`).join(','), '--redis-port', String(redisPort)];
    if (values.plain) flags.push('--plain');
    if (i > 0) flags.push('--no-bots');
    const child = await start(`node ${n.name}`, process.execPath, ['--import', 'tsx', main, ...flags], 'Ctrl-C stops');
    say(`  node ${n.name}: pid ${child.pid}, ${values.plain ? 'http' : 'https'}://localhost:${n.port}/`);
  }
  say(`  redis-server on 127.0.0.1:${redisPort} (no persistence). Ctrl-C stops everything.`);
} catch (err) {
  say(`sealwire chat cluster: ${err instanceof Error ? err.message : String(err)}`);
  stop(1);
}
