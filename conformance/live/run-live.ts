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
import type { ServerCtx } from './peer.js';

export const LIVE_SERVER_CHECKS = [...SERVER_CHECKS, ...WIRE_CHECKS, ...RESUME_CHECKS, ...OUTBOX_CHECKS, ...LIVENESS_CHECKS, ...RATE_CHECKS];

/** `options.pingIntervalMs`: the interval the server under test pings at (`--ping-interval`). */
export function runLiveServer(url: string, log?: (line: string) => void, options: Omit<ServerCtx, 'url'> = {}): Promise<LiveReport> {
  return runChecks(LIVE_SERVER_CHECKS, { url, ...options }, log);
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
  const usage = `usage: run.ts --live-server ws://host:port/path [--ping-interval MS] | --live-client <command>`;
  if (value === undefined) throw new Error(usage);
  if (argv[i] === '--live-client') {
    if (rest.length > 0) throw new Error(usage);
    return () => runLiveClient(value);
  }
  let pingIntervalMs: number | undefined;
  if (rest.length > 0) {
    const ms = Number(rest[1]);
    if (rest.length !== 2 || rest[0] !== '--ping-interval' || !Number.isSafeInteger(ms) || ms < 1) throw new Error(usage);
    pingIntervalMs = ms;
  }
  return () => runLiveServer(value, undefined, pingIntervalMs === undefined ? {} : { pingIntervalMs });
}
