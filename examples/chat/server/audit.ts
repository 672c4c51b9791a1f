// The keys an auditor needs to check the chat's room log offline: the server's public key under
// the name "server" (authors' keys travel in the log's own statements). Written beside the log.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../../src/index.js';

export function writeAuditKeys(dataDir: string, serverPublicKey: Uint8Array): void {
  writeFileSync(join(dataDir, 'keys.json'), JSON.stringify({ server: toHex(serverPublicKey) }, null, 2) + '\n');
}
