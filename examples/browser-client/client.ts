// The page (bundled by server.ts): a non-extractable Ed25519 key made here, a login that binds a
// token to it, then one session that stays connected and renews its token before it expires.
// A bundler maps these imports to the package: 'sealwire' and 'sealwire/ws/client'.
import { fromHex, importCryptoKeyPair, importPublicKey, toHex } from '../../src/index.js';
import { stayConnected } from '../../src/adapters/ws/client-entry.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = (text: string): void => void ($('status').textContent = text);
const show = (line: string): void => void $('messages').append(Object.assign(document.createElement('li'), { textContent: line }));

// The private key never leaves WebCrypto (store the CryptoKeyPair in IndexedDB to keep it).
const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
const key = await importCryptoKeyPair(pair);
const user = new URLSearchParams(location.search).get('user') ?? 'alice';

/** Your login: here without a password, for the example. The token names our key (cnf.jkt). */
async function login(): Promise<{ token: string; expiresAt: number }> {
  const res = await fetch('/login', { method: 'POST', body: JSON.stringify({ user, publicKey: toHex(key.publicKey) }) });
  if (!res.ok) throw new Error(`login refused: ${res.status}`);
  return (await res.json()) as { token: string; expiresAt: number };
}

const { serverKey } = (await (await fetch('/config')).json()) as { serverKey: string };
let { token, expiresAt } = await login();
// No WebSocket option (the browser's is used) and no origin (location.origin is sent).
const client = await stayConnected(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sealwire`, {
  key,
  serverKey: importPublicKey(fromHex(serverKey)),
  credential: token,
});

function listen(session: NonNullable<typeof client.current>): void {
  session.on('message', (m) => show(`${m.identity}: ${new TextDecoder().decode(m.payload)}`));
}
listen(client.current!);
await client.current!.join('lobby');
status('connected');
client.on('reconnecting', () => {
  status('reconnecting…');
  $('status').dataset['reconnects'] = String(Number($('status').dataset['reconnects'] ?? 0) + 1);
});
client.on('session', ({ session, resumed }) => {
  listen(session);
  if (!resumed) void session.join('lobby');
  status('connected');
});
client.on('failed', ({ code }) => status(`signed out (${code ?? 'refused'})`));

// No surprise logouts: at 80% of the token's life, fetch a new one and hand it to the session.
let renewals = 0;
async function renewLater(): Promise<void> {
  setTimeout(
    async () => {
      ({ token, expiresAt } = await login());
      await client.current?.renew(token);
      client.setCredential(token); // for the connections after this one
      $('status').dataset['renewals'] = String(++renewals);
      void renewLater();
    },
    Math.max(0, (expiresAt - Date.now()) * 0.8),
  );
}
void renewLater();

$('send').addEventListener('submit', (e) => {
  e.preventDefault();
  client.current?.send('lobby', $<HTMLInputElement>('text').value);
});
