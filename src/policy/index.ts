// Policy on the verified identity (spec/policy.md).
export type { Action, Authorize, AuthorizeRequest, Validate, ValidateRequest } from './authorize.js';
export type { SecurityEvent, SecurityEventSink, SecurityEventType } from './events.js';
export {
  DEFAULT_CONNECTION_RATE,
  DEFAULT_IDENTITY_RATE,
  DEFAULT_IDENTITY_SESSION_RATE,
  DEFAULT_IP_SESSION_RATE,
  TokenBucket,
  type RateLimit,
} from './rate-limit.js';
export { DEFAULT_MAX_CONNECTIONS_PER_IDENTITY, DEFAULT_MAX_CONNECTIONS_PER_IP } from './limits.js';
