// Request field readers shared by the driver's ops: every hostile field becomes a RequestError that
// names it, answered as {"ok":false,"error":...}, never a crash.
import { fromHex } from '../../src/bytes.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Request = { [k: string]: Json };
export type Answer = { [k: string]: Json };

/** A request the driver cannot act on: answered with `{"ok":false,"error":...}`, never a crash. */
export class RequestError extends Error {}

export function hex(req: Request, name: string, length?: number): Uint8Array {
  const v = req[name];
  if (typeof v !== 'string') throw new RequestError(`"${name}" expected a hex string`);
  if (v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) throw new RequestError(`"${name}" is not valid hex`);
  if (length !== undefined && v.length !== 2 * length) throw new RequestError(`"${name}" expected ${length} bytes`);
  return fromHex(v);
}

export function optHex(req: Request, name: string): Uint8Array | undefined {
  return req[name] === undefined || req[name] === null ? undefined : hex(req, name);
}

export function uint(req: Request, name: string): number {
  const v = req[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new RequestError(`"${name}" expected a non-negative safe integer`);
  }
  return v;
}

export function optUint(req: Request, name: string): number | undefined {
  return req[name] === undefined || req[name] === null ? undefined : uint(req, name);
}

export function optBool(req: Request, name: string): boolean | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new RequestError(`"${name}" expected a boolean`);
  return v;
}

export function optString(req: Request, name: string): string | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new RequestError(`"${name}" expected a string`);
  return v;
}

export function string(req: Request, name: string): string {
  const v = optString(req, name);
  if (v === undefined) throw new RequestError(`"${name}" expected a string`);
  return v;
}

export function optStrings(req: Request, name: string): string[] | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new RequestError(`"${name}" expected an array of strings`);
  return v as string[];
}

export function optObject(req: Request, name: string): Request | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new RequestError(`"${name}" expected an object`);
  return v;
}

export function optObjects(req: Request, name: string): Request[] | undefined {
  const v = req[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((o) => o !== null && typeof o === 'object' && !Array.isArray(o))) {
    throw new RequestError(`"${name}" expected an array of objects`);
  }
  return v as Request[];
}
