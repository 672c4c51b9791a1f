// `npm run conformance:gen`: writes conformance/vectors/*.json from fixed seeds. Deterministic:
// running it again changes no byte (`--check` exits non-zero if a committed file differs).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VectorFile } from './lib/format.js';
import { checkConsistency } from './lib/format.js';
import * as ed25519 from './gen/ed25519.js';
import * as envelope from './gen/envelope-vectors.js';
import * as transcripts from './gen/transcripts.js';
import { replayNodes } from './gen/replay-nodes.js';
import * as handshake from './gen/handshake.js';
import { sessionBinding } from './gen/session-binding.js';
import * as receipts from './gen/receipts.js';
import * as delivery from './gen/delivery.js';
import * as sessions from './gen/sessions.js';
import { sessionPolicy } from './gen/session-policy.js';
import { sessionTimers } from './gen/session-timers.js';
import { rooms } from './gen/rooms.js';
import { roomRecovery } from './gen/room-recovery.js';
import { roomTranscripts } from './gen/room-transcripts.js';
import { errorCodes, senders } from './gen/senders.js';
import { nodes } from './gen/nodes.js';
import { e2ee } from './gen/e2ee.js';
import { e2eeMembers } from './gen/e2ee-member.js';
import { SCHEMAS } from './gen/schemas.js';

export const VECTOR_DIR = fileURLToPath(new URL('./vectors/', import.meta.url));
export const SCHEMA_DIR = fileURLToPath(new URL('./schemas/', import.meta.url));

// HPKE seals are asynchronous: the encrypted-room file is made once, when this module loads.
const e2eeFile = await e2ee();
const e2eeMembersFile = await e2eeMembers();

/** Every generated file, by name. Order is the order the runner reports them in. */
export const GENERATORS: Record<string, () => VectorFile> = {
  'ed25519_rfc8032.json': ed25519.rfc8032,
  'ed25519_wycheproof.json': ed25519.wycheproof,
  'ed25519_cctv.json': ed25519.cctv,
  'ed25519_speccheck.json': ed25519.speccheck,
  'ed25519_keys.json': ed25519.keys,
  'envelope_codec.json': envelope.codec,
  'envelope_malformed.json': envelope.malformed,
  'envelope_header.json': envelope.header,
  'envelope_signature.json': envelope.signature,
  'keys_validity.json': transcripts.keyValidity,
  'replay_window.json': transcripts.replayWindow,
  'replay_freshness.json': transcripts.freshness,
  'replay_nodes.json': replayNodes,
  'handshake.json': handshake.handshake,
  'session_binding.json': sessionBinding,
  'receipt_codec.json': receipts.codec,
  'receipt_verify.json': receipts.verify,
  'delivery_outbox.json': delivery.outbox,
  'delivery_acks.json': delivery.acks,
  'session_data.json': sessions.sessionData,
  'session_policy.json': sessionPolicy,
  'session_timers.json': sessionTimers,
  'room_streams.json': rooms,
  'room_recovery.json': roomRecovery,
  'room_transcripts.json': roomTranscripts,
  'sender_seq.json': senders,
  'error_codes.json': errorCodes,
  'node_sets.json': nodes,
  'e2ee.json': () => e2eeFile,
  'e2ee_members.json': () => e2eeMembersFile,
};

export function serialize(file: VectorFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}

export function generate(name: string): string {
  const gen = GENERATORS[name];
  if (!gen) throw new Error(`no generator for ${name}`);
  const file = gen();
  const problems = checkConsistency(file, name);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return serialize(file);
}

/** Every file the generator owns: vectors and schemas, path → expected content. */
export function outputs(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of Object.keys(GENERATORS)) out.set(VECTOR_DIR + name, generate(name));
  for (const [name, schema] of Object.entries(SCHEMAS)) out.set(SCHEMA_DIR + name, JSON.stringify(schema, null, 2) + '\n');
  return out;
}

function main(): void {
  const check = process.argv.includes('--check');
  let changed = 0;
  for (const [path, text] of outputs()) {
    const name = path.slice(path.lastIndexOf('/conformance/') + 1);
    let old: string | undefined;
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      old = undefined;
    }
    const same = old === text;
    if (!same) changed++;
    if (check) console.log(`${same ? 'same   ' : 'DIFFERS'} ${name}`);
    else {
      if (!same) writeFileSync(path, text);
      console.log(`${same ? 'unchanged' : 'wrote    '} ${name}`);
    }
  }
  if (check && changed > 0) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
