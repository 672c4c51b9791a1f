// Authorization and validation hooks on the verified identity (spec/policy.md §2).

/** `join`, `leave`, `send`, or a custom action name ([a-z0-9._:-], 1–64 bytes). */
export type Action = 'join' | 'leave' | 'send' | (string & {});

export interface AuthorizeRequest {
  /** The identity the handshake verified: never something the client claimed in a payload. */
  readonly identity: string;
  readonly roles: readonly string[];
  readonly action: Action;
  /** The room, or null for a custom action that names none. */
  readonly room: string | null;
}

export interface ValidateRequest extends AuthorizeRequest {
  /** The application data of a Send or Custom request. Already authorized, not yet delivered. */
  readonly payload: Uint8Array;
}

/**
 * Decides one request. Return false (or throw) to refuse with `ERR_FORBIDDEN`.
 *
 * @example
 * ```ts
 * const authorize: Authorize = ({ roles, action, room }) =>
 *   room === 'staff' ? roles.includes('admin') : action !== 'broadcast' || roles.includes('admin')
 * ```
 */
export type Authorize = (request: AuthorizeRequest) => boolean | Promise<boolean>;

/** Checks a payload before delivery. Return false (or throw) to refuse with `ERR_PAYLOAD_INVALID`. */
export type Validate = (request: ValidateRequest) => boolean | Promise<boolean>;
