// The package as another project gets it: `npm pack` (what `npm install <git url>` also does, after
// running `prepare`), unpacked into a fresh project's node_modules, then imported by plain Node.
// Offline: the runtime dependencies are linked from this checkout, nothing comes from a registry.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sealwire-pack-'));
const pkg = join(dir, 'project', 'node_modules', 'sealwire');

function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)]));
}

describe('the packed package', () => {
  beforeAll(() => {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const tarball = join(dir, out.trim().split('\n').pop()!);
    mkdirSync(pkg, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
    mkdirSync(join(dir, 'project', 'node_modules', '@noble'), { recursive: true });
    for (const dep of ['ed25519', 'hashes', 'ciphers']) {
      symlinkSync(join(root, 'node_modules', '@noble', dep), join(dir, 'project', 'node_modules', '@noble', dep), 'dir');
    }
    symlinkSync(join(root, 'node_modules', '@hpke'), join(dir, 'project', 'node_modules', '@hpke'), 'dir');
  }, 90_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the build, the sources its maps name, the spec and the licence', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'src/index.ts', 'spec/envelope.md', 'LICENSE', 'README.md']) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    const maps = filesUnder(join(pkg, 'dist')).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(20);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const s of sources) expect(existsSync(resolve(dirname(map), s)), `${map} -> ${s}`).toBe(true);
    }
  });

  it("`import 'sealwire'` seals and opens in a fresh project, and the subpaths load", () => {
    const script = [
      "import { generateKeyPair, importSigningKey, importPublicKey, seal, open } from 'sealwire';",
      "import { ERROR_CODES } from 'sealwire/errors';",
      "await import('sealwire/protocol');",
      'const pair = generateKeyPair();',
      "const env = seal(importSigningKey(pair.secretKey), new TextEncoder().encode('hi'), { stream: new Uint8Array(16), seq: 0 });",
      'const { payload } = open(env, { keys: importPublicKey(pair.publicKey) });',
      "console.log(new TextDecoder().decode(payload), typeof ERROR_CODES);",
      // No jose in this project: the JWT helper says so when it is made, not at the first client.
      "const { jwtAuthenticator } = await import('sealwire/jwt');",
      "try { jwtAuthenticator({ key: new Uint8Array(32), issuer: 'i', audience: 'a' }); } catch (e) { console.log(e.message); }",
      // No ws, no prom-client: their subpaths fail at import, naming the package; the browser client needs neither.
      "for (const sub of ['sealwire/ws', 'sealwire/metrics']) await import(sub).catch((e) => console.log(e.message.split(' imported ')[0]));",
      "await import('sealwire/ws/client');",
      // sealwire/e2ee: a chain key sealed to a device key and opened again, in plain Node.
      "const e2ee = await import('sealwire/e2ee');",
      'const device = await e2ee.generateDeviceKey();',
      "const ctx = { room: 'r', epoch: new Uint8Array(16), sender: new Uint8Array(32), chain: new Uint8Array(16), chainKey: new Uint8Array(32).fill(7) };",
      'const dist = await e2ee.sealDistribution(ctx, [{ kid: new Uint8Array(32).fill(1), x25519: device.publicKey }]);',
      'const opened = await e2ee.openDistribution(dist, { ...ctx, me: new Uint8Array(32).fill(1), privateKey: device.privateKey, seen: () => false });',
      'console.log(opened.chainKey[0]);',
    ].join('\n');
    writeFileSync(join(dir, 'project', 'main.mjs'), script);
    const out = execFileSync(process.execPath, ['main.mjs'], { cwd: join(dir, 'project'), encoding: 'utf8', timeout: 20_000 });
    expect(out).toBe(
      [
        'hi object',
        'jwtAuthenticator() needs the optional peer dependency "jose": npm install jose',
        "Cannot find package 'ws'",
        "Cannot find package 'prom-client'",
        '7',
        '',
      ].join('\n'),
    );
  });

  it('type-checks under strict tsc in a consumer, the uWS and Socket.IO adapters with their peers installed under their names', () => {
    const modules = join(dir, 'project', 'node_modules');
    for (const dep of ['uWebSockets.js', 'ws', '@types']) symlinkSync(join(root, 'node_modules', dep), join(modules, dep), 'dir');
    writeFileSync(
      join(dir, 'project', 'main.ts'),
      [
        "import { SecureServer, generateKeyPair, importSigningKey } from 'sealwire';",
        "import { attach } from 'sealwire/uws';",
        "import { attach as attachIo, type IoNamespaceLike } from 'sealwire/socket.io';",
        "import uWS from 'uWebSockets.js';",
        "const server = new SecureServer({ key: importSigningKey(generateKeyPair().secretKey), authorize: () => true });",
        "export const a = attach(server, { app: uWS.App(), path: '/chat' });",
        'export const b = (ns: IoNamespaceLike) => attachIo(server, ns);',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'project', 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'] }, files: ['main.ts'] }),
    );
    writeFileSync(join(dir, 'project', 'package.json'), '{"type":"module"}');
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: join(dir, 'project'), encoding: 'utf8', timeout: 60_000 })).not.toThrow();
  }, 90_000);
});

// The other way in: a clone (no dist/ in git), installed by path. npm links it and runs its
// `prepare` build. The clone borrows this checkout's node_modules, so nothing is downloaded.
describe('a fresh clone installed by path', () => {
  it("`npm install <path-to-clone>` builds it, and `import 'sealwire'` works in the other project", () => {
    const clone = join(dir, 'clone');
    execFileSync('git', ['clone', '--quiet', root, clone], { timeout: 30_000 });
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const project = join(dir, 'other');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{"name":"other","private":true,"type":"module"}');
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', clone], { cwd: project, timeout: 120_000 });
    const script = "import { generateKeyPair, importSigningKey, seal } from 'sealwire'; console.log(seal(importSigningKey(generateKeyPair().secretKey), 'hi', { stream: new Uint8Array(16), seq: 0 })[0]);";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8', timeout: 20_000 });
    expect(out).toBe('210\n'); // 0xd2: the COSE_Sign1 tag
  }, 150_000);
});

