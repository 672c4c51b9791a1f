// SecureServer's `logger` option: its own operational messages go to a pino-compatible logger;
// security decisions stay events and are not logged there.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { SecureServer, generateKeyPair, importSigningKey } from '../../src/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

const key = () => importSigningKey(generateKeyPair().secretKey);

describe('SecureServer logger', () => {
  it('takes a throwing listener to logger.error (not the console) and logs its close at info', () => {
    const { lines, logger } = capture();
    const server = new SecureServer({ key: key(), authorize: () => true, logger });
    server.on('event', () => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    server.on('event', (e) => seen.push(e.type));
    server.admit({ address: '127.0.0.1' }).release();
    expect(seen).toEqual(['upgrade']);
    const error = lines.find((l) => l['msg'] === 'sealwire: a listener threw');
    expect(error?.['level']).toBe(50);
    expect((error?.['err'] as { message?: string } | undefined)?.message).toBe('listener bug');
    // The accepted upgrade itself is a security event, not a log line.
    expect(lines).toHaveLength(1);
    server.close();
    expect(lines[1]).toMatchObject({ level: 30, msg: 'sealwire: server closing', sessions: 0 });
  });

  it('refuses a logger without info, warn and error, and survives one that throws', () => {
    expect(() => new SecureServer({ key: key(), authorize: () => true, logger: { info() {}, warn() {} } as never })).toThrow(TypeError);
    const boom = () => {
      throw new Error('sink down');
    };
    const server = new SecureServer({ key: key(), authorize: () => true, logger: { info: boom, warn: boom, error: boom } });
    server.on('event', boom);
    expect(() => server.admit({ address: '127.0.0.1' }).release()).not.toThrow();
    expect(() => server.close()).not.toThrow();
  });
});
