// The browser client path: `sealwire/ws/client` bundles for the browser with no `node:` or `ws`
// import, so a page can use it with its own WebSocket.
import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../helpers/browser-bundle.js';

describe('sealwire/ws/client in a browser bundle', () => {
  it('bundles for platform=browser without node builtins or ws', async () => {
    const { errors, inputs } = await bundleForBrowser(new URL('../../src/adapters/ws/client-entry.ts', import.meta.url));
    expect(errors).toEqual([]);
    expect(inputs.some((p) => p.includes('node_modules/ws/'))).toBe(false);
    expect(inputs.some((p) => p.startsWith('node:'))).toBe(false);
    expect(inputs.some((p) => p.endsWith('src/session/client-session.ts'))).toBe(true);
  });
});
