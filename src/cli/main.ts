// The `sealwire` command: keygen, and offline verification of envelopes and receipts.
// Node-only, outside the core: the library itself imports no `node:` module.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { newKeyFile, writeKeyFile } from './keygen.js';
import { parseEvidence, parseKeys, UsageError } from './input.js';
import { formatText, verifyEvidence } from './verify.js';

const USAGE = `usage:
  sealwire keygen [--out FILE]
      New Ed25519 key pair as JSON {kid, publicKey, secretKey} (hex). With --out, the pair is
      written to FILE (mode 0600, never overwritten) and only the public part is printed.
  sealwire verify --keys KEYS.json [--json] FILE|-
      Verify a file of envelopes and receipts offline (spec/receipts.md appendix A): one record per
      line, hex or base64url, or {"envelope", "binding", "aad"} JSON. KEYS.json maps identity to
      public key(s). Exit 0 when all verify, 1 when any fails or a receipt hash mismatches.
exit codes: 0 ok, 1 verification failed, 2 usage error`;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin?: () => Promise<string>;
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['verify', '--keys', 'keys.json', 'evidence.txt'])
 * ```
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keygen':
        return await keygen(rest, io);
      case 'verify':
        return await verify(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || isArgError(err)) {
      io.stderr(`sealwire: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code === 'string' && e.syscall !== undefined) {
      io.stderr(`sealwire: ${e.message}\n`);
      return 2;
    }
    throw err;
  }
}

function isArgError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

async function keygen(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true, allowPositionals: false });
  const key = newKeyFile();
  const shown = values.out === undefined ? key : await writeKeyFile(values.out, key);
  io.stdout(JSON.stringify(shown, null, 2) + '\n');
  return 0;
}

async function verify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { keys: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: true,
  });
  if (values.keys === undefined) throw new UsageError('verify needs --keys KEYS.json');
  if (positionals.length !== 1) throw new UsageError('verify needs exactly one evidence file (or - for stdin)');
  const ring = parseKeys(await readFile(values.keys, 'utf8'));
  const file = positionals[0]!;
  const text = file === '-' ? await (io.stdin ?? processIo.stdin!)() : await readFile(file, 'utf8');
  const report = verifyEvidence(parseEvidence(text), ring);
  io.stdout(values.json ? JSON.stringify(report, null, 2) + '\n' : formatText(report));
  return report.ok ? 0 : 1;
}

// Run when executed directly (`tsx src/cli/main.ts …` or `node dist/cli/main.js …`); the bin
// launcher imports main() instead.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
