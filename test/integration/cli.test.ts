// The `sealwire` CLI as a user runs it: a child process through bin/sealwire.mjs (tsx from source,
// and the dist/ branch against an esbuild bundle), asserting output lines and exit codes.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sender, fromHex, generateKeyPair, importSigningKey, seal, toHex } from '../../src/index.js';
import { ReceiptBuilder } from '../../src/protocol.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const launcher = join(root, 'bin', 'sealwire.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let alice: { kid: string; publicKey: string; secretKey: string };
let server: { kid: string; publicKey: string; secretKey: string };
/** Line numbers of the evidence files written below (good.txt is the first 6 lines of bad.txt). */
const at = { env0: 2, env1: 3, env2: 4, receipt: 6, tampered: 7, forged: 8, forgedReceipt: 9, a3: 10, mismatch: 11, unbound: 12, junk: 13 };

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealwire-cli-'));
  const [a, s] = await Promise.all([run(launcher, ['keygen', '--out', 'alice.json'], dir), run(launcher, ['keygen'], dir)]);
  expect(a.code).toBe(0);
  expect(s.code).toBe(0);
  alice = JSON.parse(await readFile(join(dir, 'alice.json'), 'utf8'));
  server = JSON.parse(s.stdout);
  await writeFile(join(dir, 'keys.json'), JSON.stringify({ alice: alice.publicKey, server: [b64url(fromHex(server.publicKey))] }));

  // Evidence: alice's stream (one record session-bound), the server's receipt for it, then bad records.
  const aliceKey = importSigningKey(fromHex(alice.secretKey));
  const serverKey = importSigningKey(fromHex(server.secretKey));
  const sender = new Sender(aliceKey);
  const binding = new Uint8Array(33).fill(4);
  const envs = [0, 1, 2].map((i) => sender.seal(new TextEncoder().encode(`m${i}`), i === 2 ? { binding } : {}));
  const receiptSender = new Sender(serverKey);
  const builder = new ReceiptBuilder({ seal: (p, ct) => receiptSender.seal(p, { contentType: ct }) });
  for (const [i, e] of envs.entries()) builder.record({ kid: aliceKey.kid, stream: sender.stream, seq: i }, e);
  const receipt = builder.receipt(aliceKey.kid, sender.stream);

  const good = [
    '# alice -> server, and the server receipt',
    toHex(envs[0]!),
    b64url(envs[1]!),
    JSON.stringify({ envelope: toHex(envs[2]!), binding: toHex(binding) }),
    '',
    toHex(receipt),
  ];
  await writeFile(join(dir, 'good.txt'), good.join('\n') + '\n');

  // Bad records, each with one fault.
  const tampered = envs[0]!.slice();
  // The envelope ends with the payload "m0" and the 66-byte signature bstr: flip a payload bit.
  tampered[tampered.length - 68]! ^= 0x01;
  const mallory = importSigningKey(generateKeyPair().secretKey, { kid: aliceKey.kid });
  const forged = seal(mallory, new TextEncoder().encode('forged'), { seq: 9, stream: sender.stream });
  const forgedReceipt = seal(importSigningKey(generateKeyPair().secretKey, { kid: serverKey.kid }), fromHex(toHex(builder.payload(aliceKey.kid, sender.stream)!)), {
    seq: 5,
    stream: receiptSender.stream,
    contentType: 'application/vnd.sealwire.receipt+cbor',
  });
  // alice equivocates at seq 3: the file holds version A, the server's receipt names version B.
  const a3 = seal(aliceKey, new TextEncoder().encode('A'), { seq: 3, stream: sender.stream });
  const b3 = seal(aliceKey, new TextEncoder().encode('B'), { seq: 3, stream: sender.stream });
  builder.record({ kid: aliceKey.kid, stream: sender.stream, seq: 3 }, b3);
  const mismatchReceipt = builder.receipt(aliceKey.kid, sender.stream);
  const unbound = JSON.stringify({ envelope: toHex(envs[2]!) }); // its binding left out
  const bad = [...good, toHex(tampered), toHex(forged), toHex(forgedReceipt), toHex(a3), toHex(mismatchReceipt), unbound, 'not an envelope!'];
  await writeFile(join(dir, 'bad.txt'), bad.join('\n') + '\n');
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function lineOf(out: string, n: number): string {
  const found = out.split('\n').find((l) => l.startsWith(`line ${n}: `));
  expect(found, `no output for line ${n}:\n${out}`).toBeDefined();
  return found!;
}

describe('sealwire keygen', () => {
  it('writes the pair with mode 0600, prints only the public part, and never overwrites', async () => {
    expect(alice.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(alice.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(toHex(importSigningKey(fromHex(alice.secretKey)).kid)).toBe(alice.kid);
    expect((await stat(join(dir, 'alice.json'))).mode & 0o777).toBe(0o600);
    expect(server.secretKey).toMatch(/^[0-9a-f]{64}$/);
    const again = await run(launcher, ['keygen', '--out', 'alice.json'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^sealwire: alice\.json exists: keygen never overwrites a key file; choose another --out\n/);
    expect(again.stderr).not.toMatch(/EEXIST|at /);
    expect(JSON.parse(await readFile(join(dir, 'alice.json'), 'utf8')).secretKey).toBe(alice.secretKey);
  });
});

describe('sealwire verify', () => {
  it('a file of good envelopes and a receipt: every line ok, the receipt matched and covering them, exit 0', async () => {
    const r = await run(launcher, ['verify', '--keys', 'keys.json', 'good.txt'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const e0 = lineOf(r.stdout, at.env0);
    expect(e0).toMatch(new RegExp(`^line 2: ok envelope from=alice kid=${alice.kid} stream=[0-9a-f]{32} seq=0 ts=\\d{4}-\\d\\d-\\d\\dT`));
    expect(lineOf(r.stdout, at.env1)).toMatch(/: ok envelope from=alice .* seq=1 /);
    expect(lineOf(r.stdout, at.env2)).toMatch(/: ok envelope from=alice .* seq=2 /);
    const rc = lineOf(r.stdout, at.receipt);
    expect(rc).toMatch(new RegExp(`^line 6: ok receipt from=server kid=${server.kid} .* seq=0 `));
    expect(rc).toContain(`acks=alice acks.kid=${alice.kid}`);
    expect(rc).toContain('next=3 sack=- highest=2 hash=matched:line-4 covers=2,3,4');
    expect(r.stdout).toContain('4 records: 4 ok, 0 failed, 0 receipt hash mismatches');
  });

  it('tampered, forged, unbound and junk records and a contradicted receipt: each its verdict, exit 1', async () => {
    const r = await run(launcher, ['verify', '--keys', 'keys.json', 'bad.txt'], dir);
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, at.tampered)).toMatch(/: ERR_BAD_SIGNATURE envelope from=alice .* seq=0 /);
    expect(lineOf(r.stdout, at.forged)).toMatch(/: ERR_BAD_SIGNATURE envelope from=alice .* seq=9 /);
    expect(lineOf(r.stdout, at.forgedReceipt)).toMatch(/: ERR_BAD_SIGNATURE receipt from=server /);
    expect(lineOf(r.stdout, at.a3)).toMatch(/: ok envelope from=alice .* seq=3 /);
    expect(lineOf(r.stdout, at.mismatch)).toMatch(/: ok receipt from=server .* next=4 sack=- highest=3 hash=mismatch:line-10 covers=2,3,4,10/);
    expect(lineOf(r.stdout, at.unbound)).toMatch(/: ERR_BAD_SIGNATURE envelope .* seq=2 /);
    expect(lineOf(r.stdout, at.junk)).toMatch(/: ERR_INPUT unknown from=- \(envelope is neither hex nor base64url\)/);
    expect(lineOf(r.stdout, at.receipt)).toContain('hash=matched:line-4');
    expect(r.stdout).toContain('11 records: 6 ok, 5 failed, 1 receipt hash mismatches');
  });

  it('--json gives the same verdicts as data', async () => {
    const r = await run(launcher, ['verify', '--json', '--keys', 'keys.json', 'bad.txt'], dir);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; records: Array<{ line: number; verdict: string; seq: number | null; receipt?: { match: unknown } }> };
    expect(report.ok).toBe(false);
    expect(report.records.map((x) => [x.line, x.verdict])).toEqual([
      [2, 'ok'],
      [3, 'ok'],
      [4, 'ok'],
      [6, 'ok'],
      [7, 'ERR_BAD_SIGNATURE'],
      [8, 'ERR_BAD_SIGNATURE'],
      [9, 'ERR_BAD_SIGNATURE'],
      [10, 'ok'],
      [11, 'ok'],
      [12, 'ERR_BAD_SIGNATURE'],
      [13, 'ERR_INPUT'],
    ]);
    expect(report.records[8]!.receipt!.match).toEqual({ status: 'mismatch', line: 10 });
  });

  it('usage errors exit 2: no --keys, a bad keys file, a missing file', async () => {
    await writeFile(join(dir, 'badkeys.json'), JSON.stringify({ alice: '00'.repeat(32) }));
    const results = await Promise.all([
      run(launcher, ['verify', 'good.txt'], dir),
      run(launcher, ['verify', '--keys', 'badkeys.json', 'good.txt'], dir),
      run(launcher, ['verify', '--keys', 'keys.json', 'missing.txt'], dir),
      run(launcher, ['frobnicate'], dir),
    ]);
    expect(results.map((x) => x.code)).toEqual([2, 2, 2, 2]);
    expect(results[1]!.stderr).toMatch(/key of "alice"/);
  });

  it('--help on every command exits 0 with its formats; a key pair given as --keys says which file is which', async () => {
    const [top, keygen, verify, pair] = await Promise.all([
      run(launcher, ['--help'], dir),
      run(launcher, ['keygen', '--help'], dir),
      run(launcher, ['verify', '--help'], dir),
      run(launcher, ['verify', '--keys', 'alice.json', 'good.txt'], dir),
    ]);
    expect([top.code, keygen.code, verify.code]).toEqual([0, 0, 0]);
    expect(keygen.stdout).toContain('"publicKey"');
    expect(verify.stdout).toContain('{"alice": ');
    expect(verify.stdout).toContain('{"envelope": "<hex>"');
    expect(pair.code).toBe(2);
    expect(pair.stderr).toContain('is a key pair from `sealwire keygen`');
  });
});

describe('bin/sealwire.mjs with a built dist/', () => {
  it('runs dist/cli/main.js when it exists', async () => {
    const pkg = join(dir, 'pkg');
    await mkdir(join(pkg, 'bin'), { recursive: true });
    await copyFile(launcher, join(pkg, 'bin', 'sealwire.mjs'));
    await build({
      entryPoints: [join(root, 'src', 'cli', 'main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: join(pkg, 'dist', 'cli', 'main.js'),
      logLevel: 'silent',
    });
    await writeFile(join(pkg, 'package.json'), '{"type":"module"}');
    const r = await run(join(pkg, 'bin', 'sealwire.mjs'), ['verify', '--keys', join(dir, 'keys.json'), join(dir, 'good.txt')], pkg);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4 records: 4 ok, 0 failed, 0 receipt hash mismatches');
    // No tsx on that path: a loader failure would show up on stderr.
    expect(r.stderr).toBe('');
  });
});

describe('evidence from a live session', () => {
  it("what a session's `evidence` event gives, saved line by line, is what `sealwire verify` checks", async () => {
    const { KeyRing: Ring, SecureServer, importPublicKey } = await import('../../src/index.js');
    const { attach, connect } = await import('../../src/adapters/ws/index.js');
    const { createServer } = await import('node:http');
    const WebSocket = (await import('ws')).default;
    const serverSigning = importSigningKey(fromHex(server.secretKey));
    const aliceSigning = importSigningKey(fromHex(alice.secretKey));
    const ring = new Ring();
    ring.add(aliceSigning.publicKey, { identity: 'alice' });
    const secure = new SecureServer({ key: serverSigning, keys: ring, authorize: () => true });
    const http = createServer();
    const ws = attach(secure, { server: http });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}/`;
    const session = await connect(url, { WebSocket, key: aliceSigning, serverKey: importPublicKey(serverSigning.publicKey) });
    const records: string[] = [];
    session.on('evidence', (e) => records.push(e.record));
    const got = new Promise<void>((resolve) => session.on('message', () => records.length >= 3 && resolve()));
    for (const s of secure.sessions) for (const text of ['one', 'two', 'three']) s.send(null, text);
    await got;
    session.close();
    await ws.close();
    http.close();
    await writeFile(join(dir, 'live.txt'), `# saved from a live session\n${records.join('\n')}\n`);
    const r = await run(launcher, ['verify', '--keys', 'keys.json', 'live.txt'], dir);
    expect(r.stdout).toContain(`${records.length} records: ${records.length} ok, 0 failed`);
    expect(r.code).toBe(0);
  });
});
