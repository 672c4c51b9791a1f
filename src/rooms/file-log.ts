// A room log in a file (spec/rooms.md [ROOM-6.7]): one frame per line, in hex, so the file is
// also an evidence file `sealwire verify` checks ([ROOM-9.1]). Node-only: the core takes any
// `RoomLog`, this is the embedded one.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { fromHex, toHex } from '../bytes.js';
import type { RoomLog } from './log.js';

const HEADER = '# sealwire room log v1: one room frame per line, in hex; `sealwire verify` checks it\n';

export interface RoomLogFileOptions {
  /**
   * fsync after every frame, so a saved frame survives a power cut, not only a crash of the
   * process. Default false: each frame is written before it is sent, which survives `kill -9`.
   */
  readonly sync?: boolean;
}

export interface RoomLogFile extends RoomLog {
  readonly path: string;
  close(): void;
}

/**
 * Opens (or creates) the room log at `path`. Pass it as `rooms: { log }` to `SecureServer`: its
 * rooms come back after a restart with their epochs and history, and members recover instead of
 * being told their history was lost.
 *
 * @example
 * ```ts
 * const log = openRoomLog('./data/rooms.log')
 * const server = new SecureServer({ key, authenticate, rooms: { log, historyMs: 86_400_000 } })
 * ```
 */
export function openRoomLog(path: string, options: RoomLogFileOptions = {}): RoomLogFile {
  const saved = existsSync(path) ? parse(readFileSync(path, 'utf8')) : [];
  let fd = openSync(path, 'a', 0o600);
  if (saved.length === 0) writeSync(fd, HEADER);
  const write = (frame: Uint8Array): void => {
    writeSync(fd, toHex(frame) + '\n');
    if (options.sync === true) fsyncSync(fd);
  };
  return {
    path,
    saved,
    append: write,
    rewrite(frames) {
      // A new file renamed over the old: a crash leaves one or the other, never half of each.
      const tmp = `${path}.tmp`;
      const out = openSync(tmp, 'w', 0o600);
      try {
        writeSync(out, HEADER + frames.map((f) => toHex(f) + '\n').join(''));
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      renameSync(tmp, path);
      closeSync(fd);
      fd = openSync(path, 'a', 0o600);
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Whole lines only: a last line without its newline was cut by a crash while it was written. */
function parse(text: string): Uint8Array[] {
  const lines = text.split('\n');
  lines.pop();
  const frames: Uint8Array[] = [];
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    // A line that is not hex is not what this log writes: the restore then refuses the log whole.
    frames.push(/^(?:[0-9a-f]{2})+$/.test(line) ? fromHex(line) : new Uint8Array(0));
  }
  return frames;
}
