// The verification pool's lifecycle: close lets pending work finish, destroy rejects it, a worker
// crash is survived.
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { generateKeyPair, getBackend, importPublicKey, importSigningKey } from '../../../src/index.js';
import { VerifyPool } from '../../../src/pool/index.js';

const node = getBackend('node');
const alice = generateKeyPair();
const signer = importSigningKey(alice.secretKey, { backend: node });
const aliceKey = importPublicKey(alice.publicKey, { backend: node });

describe('VerifyPool lifecycle', () => {
  it('close() lets pending requests finish, then refuses new ones', async () => {
    const p = new VerifyPool({ threads: 1, backend: 'node' });
    const msg = new Uint8Array([7]);
    const pending = Array.from({ length: 50 }, () => p.verify(aliceKey, msg, signer.sign(msg)));
    const closed = p.close();
    await expect(p.verify(aliceKey, msg, signer.sign(msg))).rejects.toThrow(/closed/);
    expect(await Promise.all(pending)).toEqual(new Array(50).fill(true));
    await closed;
    expect(p.pending).toBe(0);
  });

  it('destroy() rejects whatever is pending', async () => {
    const p = new VerifyPool({ threads: 1, backend: 'node' });
    const msg = new Uint8Array([8]);
    const pending = Promise.allSettled(Array.from({ length: 20 }, () => p.verify(aliceKey, msg, signer.sign(msg))));
    await p.destroy();
    const settled = await pending;
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
  });

  it('rejects beyond maxQueue instead of growing without bound', async () => {
    const p = new VerifyPool({ threads: 1, backend: 'node', maxQueue: 2 });
    const msg = new Uint8Array([9]);
    const sig = signer.sign(msg);
    const a = p.verify(aliceKey, msg, sig);
    const b = p.verify(aliceKey, msg, sig);
    await expect(p.verify(aliceKey, msg, sig)).rejects.toThrow(/queue is full/);
    expect(await Promise.all([a, b])).toEqual([true, true]);
    await p.close();
  });

  it('a worker that dies fails its requests closed and is replaced', async () => {
    const p = new VerifyPool({ threads: 1, backend: 'node', maxBatch: 4 });
    const msg = new Uint8Array([10]);
    const sig = signer.sign(msg);
    expect(await p.verify(aliceKey, msg, sig)).toBe(true); // worker up
    // The worker dies holding a batch it never answers. (Forwarding the batch and then terminating
    // raced: a fast worker sometimes answered before it stopped.)
    const post = vi.spyOn(Worker.prototype, 'postMessage').mockImplementationOnce(function (this: Worker) {
      void this.terminate();
    });
    const doomed = Array.from({ length: 3 }, () => p.verify(aliceKey, msg, sig));
    const settled = await Promise.allSettled(doomed);
    post.mockRestore();
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/worker stopped/);
    // A replacement takes over.
    expect(await p.verify(aliceKey, msg, sig)).toBe(true);
    await p.close();
  });

  it('does not keep the process alive when idle, even if never closed', async () => {
    const { execFile } = await import('node:child_process');
    const script = `import { VerifyPool } from ${JSON.stringify(new URL('../../../src/pool/index.ts', import.meta.url).href)};
      import { generateKeyPair, importPublicKey } from ${JSON.stringify(new URL('../../../src/index.ts', import.meta.url).href)};
      const p = new VerifyPool({ threads: 2, backend: 'node' });
      const r = await p.verify(importPublicKey(generateKeyPair().publicKey), new Uint8Array(1), new Uint8Array(64));
      console.log('answered', r);`;
    const started = Date.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      );
    });
    expect(out.trim()).toBe('answered false');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
