// The conformance runner against our driver on every backend, and the runner's own failure modes:
// a driver that lies must fail the run, and a hostile request must never crash the driver.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runConformance } from '../../conformance/run.js';

const DRIVER = fileURLToPath(new URL('../../conformance/driver', import.meta.url));
const RUN = fileURLToPath(new URL('../../conformance/run.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

// sodium-native is an optionalDependency that `npm ci` installs here, so CI runs all three.
for (const backend of ['node', 'noble', 'sodium']) {
  it(`every vector passes against the TypeScript driver (${backend})`, async () => {
    const lines: string[] = [];
    const { passed, failed, files } = await runConformance({ driver: `"${DRIVER}" --backend ${backend}`, log: (l) => lines.push(l) });
    const failures = files.flatMap((f) => f.failures.map((x) => `${f.file} ${x}`));
    expect(failures.slice(0, 20)).toEqual([]);
    expect(failed).toBe(0);
    expect(passed).toBeGreaterThan(1000);
    expect(lines[lines.length - 1]).toBe(`${passed} passed, 0 failed`);
  }, 120_000);
}

describe('the runner fails what it must', () => {
  it('a driver that accepts everything fails, with a non-zero exit and the closing count line', () => {
    const yes = `node -e "require('readline').createInterface({input:process.stdin}).on('line',()=>console.log('{\\"ok\\":true}'))"`;
    const r = spawnSync(TSX, [RUN, '--driver', yes, '--only', 'envelope_malformed', '--only', 'ed25519_keys'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const last = r.stdout.trim().split('\n').pop()!;
    expect(last).toMatch(/^\d+ passed, \d+ failed$/);
    const [, passed, failed] = /^(\d+) passed, (\d+) failed$/.exec(last)!.map(Number);
    expect(failed).toBeGreaterThan(50);
    expect(passed).toBeGreaterThan(0); // the valid vectors
  }, 60_000);

  it('a driver that dies mid-run fails the remaining vectors instead of hanging', async () => {
    const dies = `node -e "process.stdin.once('data',()=>process.exit(3))"`;
    const { passed, failed } = await runConformance({ driver: dies, only: ['ed25519_rfc8032'], log: () => undefined });
    expect(passed).toBe(0);
    expect(failed).toBe(5);
  }, 60_000);

  it('a driver answering with non-JSON fails', async () => {
    const junk = `node -e "require('readline').createInterface({input:process.stdin}).on('line',()=>console.log('nope'))"`;
    const { failed } = await runConformance({ driver: junk, only: ['ed25519_rfc8032'], log: () => undefined });
    expect(failed).toBe(5);
  }, 60_000);
});

describe('driver: hostile requests get an error line, never a crash', () => {
  it('answers every line in order and keeps going', () => {
    const hostile: unknown[] = [
      'not json',
      [1, 2],
      null,
      42,
      { op: 'no.such.op' },
      {},
      { op: 'ed25519.verify', publicKey: 'zz', message: '', signature: '' },
      { op: 'ed25519.verify', publicKey: 'abc', message: '', signature: '' },
      { op: 'ed25519.verify', publicKey: 7, message: '', signature: '' },
      { op: 'seal', secretKey: '00', seq: 0, ts: 0, stream: '00', payload: '' },
      { op: 'seal', secretKey: '00'.repeat(32), seq: -1, ts: 0, stream: '00'.repeat(16), payload: '' },
      { op: 'seal', secretKey: '00'.repeat(32), seq: 2 ** 53, ts: 0, stream: '00'.repeat(16), payload: '' },
      { op: 'seal', secretKey: '00'.repeat(32), seq: 0, ts: 0, stream: '00'.repeat(15), payload: '' },
      { op: 'seal', secretKey: '00'.repeat(32), seq: 0, ts: 0, stream: '00'.repeat(16), payload: '', binding: '00' },
      { op: 'seal', secretKey: '00'.repeat(32), seq: 0, ts: 0, stream: '00'.repeat(16), payload: '', contentType: 'nope' },
      { op: 'seal', secretKey: '00'.repeat(32), seq: 0, ts: 0, stream: '00'.repeat(16), payload: '', alg: -7 },
      { op: 'open', envelope: 'd2' },
      { op: 'restart', now: 1 },
      { op: 'keyring.revoke', kid: '00' },
      { op: 'reset', keys: 'x' },
      { op: 'reset', keys: [{}] },
      { op: 'reset', keys: [], window: 33, startedAt: 0 },
      { op: 'reset', keys: [] },
      { op: 'open', publicKey: '00'.repeat(32), envelope: 'd2', maxEnvelopeSize: 'big' },
      { op: 'open', publicKey: '01' + '00'.repeat(31), envelope: 'd2' },
      { op: 'handshake.server' },
      { op: 'handshake.server', serverSeed: '01'.repeat(32), serverNonce: '11'.repeat(31), serverTime: 0, limits: {}, clientAuth: '' },
      { op: 'handshake.server', serverSeed: '01'.repeat(32), serverNonce: '11'.repeat(32), serverTime: 0, limits: { maxSkewMs: 1, maxMessageSize: 1, window: 1, handshakeTimeoutMs: 1 }, clientAuth: '', accounts: 'x' },
      { op: 'handshake.client', clientSeed: '02'.repeat(32), clientNonce: '22'.repeat(32), clientTime: 0, serverKey: '00'.repeat(32), hello: 'zz' },
      { op: 'handshake.client', clientSeed: '02'.repeat(32), clientNonce: '22'.repeat(32), clientTime: -1, serverKey: '00'.repeat(32), hello: '' },
    ];
    const raw = hostile.map((h) => (typeof h === 'string' ? h : JSON.stringify(h))).join('\n') + '\n{"op":"info"}\n';
    const r = spawnSync(DRIVER, ['--backend', 'noble'], { input: raw, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answers).toHaveLength(hostile.length + 1);
    answers.slice(0, -1).forEach((a, i) => {
      expect(a['ok'], `request ${i}: ${JSON.stringify(hostile[i])}`).toBe(false);
      expect(typeof a['error'] === 'string' || typeof a['code'] === 'string', `request ${i}`).toBe(true);
      expect(String(a['error'] ?? ''), `request ${i}`).not.toMatch(/internal error/);
    });
    expect(answers[answers.length - 1]).toMatchObject({ ok: true, backend: 'noble' });
  }, 60_000);
});
