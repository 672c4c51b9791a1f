// Entry of the live mode: `--live-server URL` runs our test client, honest and misbehaving, against
// any implementation's server; `--live-client CMD` runs any implementation's client against our
// test server. Both print one line per check and "N passed, N failed".
import { runChecks, type LiveReport } from './check.js';
import { CLIENT_CHECKS } from './client-checks.js';
import { SERVER_CHECKS } from './server-checks.js';
import { WIRE_CHECKS } from './wire-checks.js';
import { OUTBOX_CHECKS } from './outbox-checks.js';
import { RESUME_CHECKS } from './resume-checks.js';

export const LIVE_SERVER_CHECKS = [...SERVER_CHECKS, ...WIRE_CHECKS, ...RESUME_CHECKS, ...OUTBOX_CHECKS];

export function runLiveServer(url: string, log?: (line: string) => void): Promise<LiveReport> {
  return runChecks(LIVE_SERVER_CHECKS, { url }, log);
}

export function runLiveClient(command: string, log?: (line: string) => void): Promise<LiveReport> {
  return runChecks(CLIENT_CHECKS, { command }, log);
}

/** The live flags of a command line, or undefined when it asks for the vector suite. */
export function liveMode(argv: string[]): (() => Promise<LiveReport>) | undefined {
  const i = argv.findIndex((a) => a === '--live-server' || a === '--live-client');
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || argv.length !== 2)
    throw new Error(`usage: run.ts ${argv[i]} <${argv[i] === '--live-server' ? 'ws://host:port/path' : 'command'}>`);
  return argv[i] === '--live-server' ? () => runLiveServer(value) : () => runLiveClient(value);
}
