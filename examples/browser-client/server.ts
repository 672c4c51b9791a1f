// A browser client of sealwire (client.ts): this server serves the page, logs users in with a JWT
// bound to the key their browser made, and runs sealwire on /sealwire of the same port.
// Run: npx tsx examples/browser-client/server.ts [--port 8080] [--token-seconds 300], open the URL.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { SignJWT, generateKeyPair as joseKeyPair } from 'jose';
import { SecureServer, fromHex, generateKeyPair, importSigningKey, jwkThumbprint, toHex } from '../../src/index.js';
import { jwtAuthenticator } from '../../src/session/jwt.js';
import { attach } from '../../src/adapters/ws/index.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, 'token-seconds': { type: 'string', default: '300' } } });
const tokenSeconds = Number(values['token-seconds']);

// Your bundler does this at build time; the page needs no Node module.
const bundle = await build({ entryPoints: [new URL('client.ts', import.meta.url).pathname], bundle: true, platform: 'browser', format: 'esm', write: false });
const page = readFileSync(new URL('index.html', import.meta.url));

const issuer = await joseKeyPair('EdDSA', { crv: 'Ed25519' }); // your auth service's key
const serverPair = generateKeyPair(); // keep the secret half across restarts in a real server

async function login(body: string): Promise<{ token: string; expiresAt: number }> {
  const { user, publicKey } = JSON.parse(body) as { user: string; publicKey: string };
  // Check the password here. The token is bound to the key the browser holds (cnf.jkt).
  const exp = Math.floor(Date.now() / 1000) + tokenSeconds;
  const expiresAt = exp * 1000;
  const token = await new SignJWT({ roles: ['user'], cnf: { jkt: jwkThumbprint(fromHex(publicKey)) } })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer('https://auth.example')
    .setAudience('chat')
    .setSubject(user)
    .setExpirationTime(exp)
    .sign(issuer.privateKey);
  return { token, expiresAt };
}

const http = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'GET' && path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  else if (path === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.outputFiles[0]!.contents);
  else if (path === '/config') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ serverKey: toHex(serverPair.publicKey) }));
  else if (req.method === 'POST' && path === '/login') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () =>
      login(body).then(
        (r) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
        () => res.writeHead(400).end(),
      ),
    );
  } else res.writeHead(404).end();
});
await new Promise<void>((resolve) => http.listen(Number(values.port), '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(http.address() as { port: number }).port}`;

const secure = new SecureServer({
  key: importSigningKey(serverPair.secretKey),
  authenticate: jwtAuthenticator({ key: issuer.publicKey, issuer: 'https://auth.example', audience: 'chat' }),
  authorize: ({ room }) => room === 'lobby',
  origins: [origin], // the pages allowed to open sessions: a browser sends its Origin, the client its location.origin
});
attach(secure, { server: http, path: '/sealwire' });
secure.on('message', (m) => console.log(`${m.identity} in ${m.room}: ${new TextDecoder().decode(m.payload)}`));
console.log(`open ${origin}/`);
