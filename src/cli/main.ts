// The `sealwire` command: keygen, and offline verification of envelopes and receipts.
// Node-only, outside the core: the library itself imports no `node:` module.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { newKeyFile, writeKeyFile } from './keygen.js';
import { parseEvidence, parseKeys, UsageError } from './input.js';
import { formatText, verifyEvidence } from './verify.js';
import { fromHex } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { KeyRing } from '../keys/keyring.js';
import { NodeKeys } from '../nodes/node-keys.js';
import { openNodeSet } from '../nodes/node-set.js';

const KEYGEN_USAGE = `usage: sealwire keygen [--out FILE]
  New Ed25519 key pair as JSON, hex encoded:
    {"kid": "<32-byte key id>", "publicKey": "<32 bytes>", "secretKey": "<32-byte seed>"}
  With --out, the pair is written to FILE (mode 0600, never over an existing file) and only the
  public part is printed. Give peers the publicKey; keep the secretKey (the seed) to yourself.
  The pair file is not a keys file for \`verify --keys\`: put each publicKey under its identity.
example:
  $ sealwire keygen --out alice.json
  {"kid": "30c9…be06", "publicKey": "e9b6…82d6"}
  $ echo '{"alice": "e9b6…82d6"}' > keys.json     # the publicKey printed above, in full`;

const VERIFY_USAGE = `usage: sealwire verify --keys KEYS.json [--node-set SET --operator NAME] [--json] FILE|-
  Verifies a file of envelopes and receipts offline (spec/receipts.md appendix A).
  KEYS.json maps each identity to its public key (hex or base64url), or to a list of them:
    {"alice": "5b1e…9c", "bob": ["d04a…11", "8f2c…07"]}
  (the publicKey of \`sealwire keygen\` output; a key pair file itself is not a keys file).
  FILE (or - for stdin) holds one record per line: an envelope in hex or base64url, or JSON
  {"envelope": "<hex>", "binding": "<hex>", "aad": "<hex>"} for an envelope bound to a session;
  blank lines and lines starting with # are skipped. From a live session, save the \`record\` of
  each \`evidence\` event: session.on('evidence', (e) => file.write(e.record + '\\n')).
  Room frames (spec/rooms.md §9) are checked as a member checks them, with the server's key from
  KEYS.json: each post shows its author's words, offset and signature; a server's room log
  (openRoomLog) and a member's saved room frames are such files. Other bytes at an offset the
  server already signed are ERR_EQUIVOCATION; a statement naming another key for an identity
  KEYS.json lists is ERR_KEY_MISMATCH. Room frames of a service of several nodes (spec/nodes.md)
  verify under its node set: SET holds the set in hex, signed by the key KEYS.json lists for NAME;
  frames of a node the set does not list, or a node a frame's time is outside of, fail.
  Exit 0 when every record verifies, 1 when any fails or a receipt hash mismatches.
example evidence.txt (a client's \`evidence\` records: the server's envelopes and receipts):
  # saved from a live session
  {"envelope":"d2845859a7…","binding":"d1c0…00"}
  {"envelope":"d284587ea7…","binding":"d1c0…00"}
example:
  $ sealwire verify --keys keys.json evidence.txt
  line 2: ok envelope from=server kid=5cab… stream=1aac… seq=0 ts=2026-12-05T07:22:46.154Z
  line 3: ok receipt from=server kid=5cab… … acks.kid=a54c… next=2 sack=- highest=1 hash=not-in-file covers=-
  2 records: 2 ok, 0 failed, 0 receipt hash mismatches
example (a room transcript: a chat server's room log):
  $ sealwire verify --keys examples/chat/.data/keys.json examples/chat/.data/rooms.log
  line 2: ok statement from=alice room=lobby kid=869a…274e
  line 3: ok room-event from=alice room=lobby epoch=31cc…eb62 offset=0 kind=post signed-by=author kid=869a…274e stream=8a8a…3bf1 seq=0 ts=2026-12-05T17:56:19.364Z text="hello"
  room lobby epoch=31cc…eb62: offsets 0–0, not in the file: -`;

const USAGE = `usage:
  sealwire keygen [--out FILE]
  sealwire verify --keys KEYS.json [--node-set SET --operator NAME] [--json] FILE|-
  sealwire <command> --help      what a command takes, with examples (or: sealwire help <command>)
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
      case 'help':
        return help(io, USAGES[rest[0] ?? ''] ?? USAGE);
      case undefined:
      case '-h':
      case '--help':
        io.stdout(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || isArgError(err)) {
      const usage = (err instanceof UsageError ? err.usage : undefined) ?? USAGES[command ?? ''] ?? USAGE;
      io.stderr(`sealwire: ${(err as Error).message}\n${usage}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code === 'string' && e.syscall !== undefined) {
      io.stderr(`sealwire: ${fileProblem(e)}\n`);
      return 2;
    }
    throw err;
  }
}

const USAGES: Record<string, string> = { keygen: KEYGEN_USAGE, verify: VERIFY_USAGE };

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
};

/** One plain line for a file the command could not read or write, instead of a stack. */
function fileProblem(e: NodeJS.ErrnoException): string {
  const what = FILE_PROBLEMS[e.code!];
  return what !== undefined && e.path !== undefined ? `${e.path}: ${what}` : e.message;
}

function help(io: Io, usage: string): number {
  io.stdout(usage + '\n');
  return 0;
}

function isArgError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

async function keygen(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  if (values.help === true) return help(io, KEYGEN_USAGE);
  const key = newKeyFile();
  let shown: object = key;
  if (values.out !== undefined) {
    try {
      shown = await writeKeyFile(values.out, key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      throw new UsageError(`${values.out} exists: keygen never overwrites a key file; choose another --out`, KEYGEN_USAGE);
    }
  }
  io.stdout(JSON.stringify(shown, null, 2) + '\n');
  return 0;
}

async function verify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      keys: { type: 'string' },
      'node-set': { type: 'string' },
      operator: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help === true) return help(io, VERIFY_USAGE);
  if (values.keys === undefined) throw new UsageError('verify needs --keys KEYS.json', VERIFY_USAGE);
  if (positionals.length !== 1) throw new UsageError('verify needs exactly one evidence file (or - for stdin)', VERIFY_USAGE);
  const ring = parseKeys(await readFile(values.keys, 'utf8'), values.keys);
  const file = positionals[0]!;
  const text = file === '-' ? await (io.stdin ?? processIo.stdin!)() : await readFile(file, 'utf8');
  const nodes = values['node-set'] === undefined ? undefined : await nodeKeys(values['node-set'], values.operator, ring);
  const report = verifyEvidence(parseEvidence(text), ring, nodes);
  io.stdout(values.json ? JSON.stringify(report, null, 2) + '\n' : formatText(report));
  return report.ok ? 0 : 1;
}

/** The node set an auditor was given, under the operator key its keys file lists for `operator`. */
async function nodeKeys(file: string, operator: string | undefined, ring: KeyRing): Promise<NodeKeys> {
  const key = operator === undefined ? undefined : ring.keysOf(operator)[0]?.key;
  if (key === undefined) throw new UsageError('--node-set needs --operator NAME, an identity of KEYS.json holding the operator key', VERIFY_USAGE);
  let bytes: Uint8Array;
  try {
    bytes = fromHex((await readFile(file, 'utf8')).trim());
    const nodes = new NodeKeys({ operator: key, service: openNodeSet(bytes, key).service });
    // The auditor asks what the set said at each frame's time, not whether it is in force today.
    nodes.accept(bytes, 0);
    return nodes;
  } catch (err) {
    const why = err instanceof ProtocolError ? err.code : (err as Error).message;
    throw new UsageError(`${file} is not a node set signed by ${operator}'s key (${why})`, VERIFY_USAGE);
  }
}

// Run when executed directly (`tsx src/cli/main.ts …` or `node dist/cli/main.js …`); the bin
// launcher imports main() instead.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
