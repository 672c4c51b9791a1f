// Entry of the live mode: `--live-server URL` runs our test client, honest and misbehaving, against
// any implementation's server; `--live-client CMD` runs any implementation's client against our
// test server. Both print one line per check and "N passed, N failed".
import { runChecks, type LiveReport } from './check.js';
import { CLIENT_CHECKS } from './client-checks.js';
import { SERVER_CHECKS } from './server-checks.js';
import { WIRE_CHECKS } from './wire-checks.js';
import { OUTBOX_CHECKS } from './outbox-checks.js';
import { RESUME_CHECKS } from './resume-checks.js';
import { LIVENESS_CHECKS } from './liveness-checks.js';
import { RATE_CHECKS } from './rate-checks.js';
import { NODE_SERVER_CHECKS } from './node-server-checks.js';
import { fromHex } from '../../src/bytes.js';
import type { ServerCtx } from './peer.js';

// The rate checks stay last: they leave the server's buckets for 127.0.0.1 empty.
export const LIVE_SERVER_CHECKS = [...SERVER_CHECKS, ...WIRE_CHECKS, ...RESUME_CHECKS, ...OUTBOX_CHECKS, ...LIVENESS_CHECKS, ...RATE_CHECKS];

/** The checks run against a server: with an operator key, the node-set checks too, before the rate checks. */
export function liveServerChecks(options: Omit<ServerCtx, 'url'> = {}): typeof LIVE_SERVER_CHECKS {
  if (options.operatorKey === undefined) return LIVE_SERVER_CHECKS;
  const rate = LIVE_SERVER_CHECKS.length - RATE_CHECKS.length;
  return [...LIVE_SERVER_CHECKS.slice(0, rate), ...NODE_SERVER_CHECKS, ...RATE_CHECKS];
}

/** `options.pingIntervalMs`: the interval the server under test pings at (`--ping-interval`); `options.operatorKey`: `--operator-key`. */
export function runLiveServer(url: string, log?: (line: string) => void, options: Omit<ServerCtx, 'url'> = {}): Promise<LiveReport> {
  return runChecks(liveServerChecks(options), { url, ...options }, log);
}

export function runLiveClient(command: string, log?: (line: string) => void): Promise<LiveReport> {
  return runChecks(CLIENT_CHECKS, { command }, log);
}

/** The live flags of a command line, or undefined when it asks for the vector suite. */
export function liveMode(argv: string[]): (() => Promise<LiveReport>) | undefined {
  const i = argv.findIndex((a) => a === '--live-server' || a === '--live-client');
  if (i < 0) return undefined;
  const value = argv[i + 1];
  const rest = argv.filter((_, k) => k !== i && k !== i + 1);
  const usage = `usage: run.ts --live-server ws://host:port/path [--ping-interval MS] [--operator-key HEX] | --live-client <command>`;
  if (value === undefined) throw new Error(usage);
  if (argv[i] === '--live-client') {
    if (rest.length > 0) throw new Error(usage);
    return () => runLiveClient(value);
  }
  const options: Omit<ServerCtx, 'url'> = {};
  for (let k = 0; k < rest.length; k += 2) {
    const [flag, v] = [rest[k], rest[k + 1] ?? ''];
    if (flag === '--ping-interval' && options.pingIntervalMs === undefined) {
      const ms = Number(v);
      if (!Number.isSafeInteger(ms) || ms < 1) throw new Error(usage);
      options.pingIntervalMs = ms;
    } else if (flag === '--operator-key' && options.operatorKey === undefined && /^[0-9a-fA-F]{64}$/.test(v)) {
      options.operatorKey = fromHex(v.toLowerCase());
    } else throw new Error(usage);
  }
  return () => runLiveServer(value, undefined, options);
}
