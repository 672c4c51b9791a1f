#!/usr/bin/env node
// `sealwire` launcher. Installed packages run the compiled CLI in dist/; a source checkout (it has
// tsconfig.json, which is not published) runs the TypeScript through tsx, a devDependency, so a
// dist/ left over from an earlier build never answers for newer sources.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/main.js', root);
const checkout = existsSync(fileURLToPath(new URL('tsconfig.json', root)));
let entry;
if (existsSync(fileURLToPath(built)) && !checkout) {
  entry = built;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('src/cli/main.ts', root);
}
const { main } = await import(pathToFileURL(fileURLToPath(entry)).href);
process.exitCode = await main(process.argv.slice(2));
