// A sealwire server in its own process, for the test that searches a server's memory and logs for
// plaintext (test/integration/e2ee.test.ts). It plays a nosy operator: every payload it validates
// is written to its log (stdout), as text. On the message "snapshot" it writes a V8 heap snapshot
// and answers with its path. Started by the test with E2EE_CHILD = { serverSecret, clients }.
import { createServer } from 'node:http';
import { writeHeapSnapshot } from 'node:v8';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, SecureServer, importPublicKey, importSigningKey } from '../../src/index.js';
import { attach } from '../../src/adapters/ws/index.js';
import { fromHex } from '../../src/bytes.js';

const cfg = JSON.parse(process.env['E2EE_CHILD'] ?? '{}') as { serverSecret: string; clients: { identity: string; key: string }[] };
const keys = new KeyRing();
for (const c of cfg.clients) keys.add(importPublicKey(fromHex(c.key)), { identity: c.identity });
const text = new TextDecoder('utf-8', { fatal: false });
const line = (level: string) => (fields: Record<string, unknown>, msg: string) => process.stdout.write(JSON.stringify({ level, msg, ...fields }) + '\n');
const logger = { info: line('info'), warn: line('warn'), error: line('error') };
const server = new SecureServer({
  key: importSigningKey(fromHex(cfg.serverSecret)),
  keys,
  authorize: () => true,
  logger,
  rateLimit: { connection: { perSecond: 1e6, burst: 1e6 }, identity: { perSecond: 1e6, burst: 1e6 } },
  validate: ({ identity, room, payload }) => {
    logger.info({ identity, room, bytes: payload.length, payload: text.decode(payload) }, 'validated a payload');
    return true;
  },
  onEvent: (e) => logger.info({ event: e }, 'security event'),
});
const http = createServer((_req, res) => res.writeHead(404).end());
attach(server, { server: http, path: '/sealwire' });
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.send!({ port: typeof address === 'object' && address !== null ? address.port : 0 });
});
process.on('message', (m) => {
  if (m === 'snapshot') process.send!({ snapshot: writeHeapSnapshot(join(tmpdir(), `sealwire-e2ee-${process.pid}-${Date.now()}.heapsnapshot`)) });
  if (m === 'exit') process.exit(0);
});
