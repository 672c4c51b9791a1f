// The page: bundled from examples/chat/client with esbuild at every start (nothing built is
// committed), kept in memory, served with strict security headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface Assets {
  readonly files: ReadonlyMap<string, { readonly type: string; readonly body: Buffer }>;
}

const clientDir = (name: string): string => fileURLToPath(new URL(`../client/${name}`, import.meta.url));
// uPlot's stylesheet, served as a file like app.css (the CSP allows no inline style).
const uplotCss = (): Buffer => readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'));

/** Bundles the page's script; refuses a bundle that pulled in a Node built-in. */
export async function buildAssets(): Promise<Assets> {
  const result = await build({
    entryPoints: [clientDir('main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const nodeInputs = Object.keys(result.metafile.inputs).filter((p) => p.startsWith('node:') || p.includes('node_modules/ws/'));
  if (nodeInputs.length > 0) throw new Error(`the browser bundle imports Node modules: ${nodeInputs.join(', ')}`);
  const js = result.outputFiles[0]!.contents;
  return {
    files: new Map([
      ['/', { type: 'text/html; charset=utf-8', body: readFileSync(clientDir('index.html')) }],
      ['/app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(js) }],
      ['/app.css', { type: 'text/css; charset=utf-8', body: readFileSync(clientDir('app.css')) }],
      ['/uplot.css', { type: 'text/css; charset=utf-8', body: uplotCss() }],
    ]),
  };
}

/**
 * Headers on every response. The CSP allows only this origin's script and style files (no
 * 'unsafe-inline', no eval), no framing, and enforces Trusted Types: a stray `innerHTML = text`
 * throws instead of parsing user text as HTML. No HSTS: on localhost with a self-signed
 * certificate it would pin HTTPS for every other local development server.
 */
export function securityHeaders(connectSrc: readonly string[]): Record<string, string> {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self' ${connectSrc.join(' ')}`.trim(),
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}

export function serveStatic(assets: Assets, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  const file = req.method === 'GET' || req.method === 'HEAD' ? assets.files.get(path) : undefined;
  if (file === undefined) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
    return;
  }
  res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}
