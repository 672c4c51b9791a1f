// Server-side TCP sockets on a local port, read from the kernel's table (Linux): what a peer
// holds on the server, whatever the adapter believes.
import { readFileSync } from 'node:fs';

const STATES: Record<string, string> = { '01': 'ESTABLISHED', '08': 'CLOSE_WAIT', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT', '0A': 'LISTEN', '09': 'LAST_ACK', '0B': 'CLOSING' };

/** Counts of server-side sockets by state on `port` (LISTEN and TIME_WAIT hold nothing of the app's). */
export function socketsOn(port: number): Record<string, number> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const counts: Record<string, number> = {};
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || !cols[1]!.endsWith(`:${hex}`)) continue;
      const state = STATES[cols[3]!] ?? cols[3]!;
      counts[state] = (counts[state] ?? 0) + 1;
    }
  }
  return counts;
}

/** Sockets the server process still holds open on `port`: everything but LISTEN and TIME_WAIT. */
export function heldOn(port: number): number {
  const c = socketsOn(port);
  return Object.entries(c).reduce((n, [s, k]) => (s === 'LISTEN' || s === 'TIME_WAIT' ? n : n + k), 0);
}
