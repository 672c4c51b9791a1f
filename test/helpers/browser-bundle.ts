// One esbuild call for the browser tests: an ES module for platform=browser, kept in memory, with
// the list of files that went in (so a test can prove no node: builtin or server package did).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export async function bundleForBrowser(entry: URL): Promise<{ code: string; inputs: string[]; errors: unknown[] }> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs), errors: result.errors };
}
