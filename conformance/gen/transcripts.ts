import type { VectorFile } from '../lib/format.js';
export function keyValidity(): VectorFile { throw new Error('todo'); }
export function replayWindow(): VectorFile { throw new Error('todo'); }
export function freshness(): VectorFile { throw new Error('todo'); }
