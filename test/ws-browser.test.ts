// The browser client path: `sealwire/ws/client` bundles for the browser with no `node:` or `ws`
// import, so a page can use it with its own WebSocket.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('sealwire/ws/client in a browser bundle', () => {
  it('bundles for platform=browser without node builtins or ws', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/adapters/ws/client-entry.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('node_modules/ws/'))).toBe(false);
    expect(inputs.some((p) => p.startsWith('node:'))).toBe(false);
    expect(inputs.some((p) => p.endsWith('src/session/client-session.ts'))).toBe(true);
  });
});
