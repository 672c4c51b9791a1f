#!/usr/bin/env node
// `sealwire` launcher. Published packages run the compiled CLI in dist/; a source checkout without
// a build runs the TypeScript through tsx (a devDependency), so the same command works in both.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/main.js', root);
let entry;
if (existsSync(fileURLToPath(built))) {
  entry = built;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('src/cli/main.ts', root);
}
const { main } = await import(pathToFileURL(fileURLToPath(entry)).href);
process.exitCode = await main(process.argv.slice(2));
